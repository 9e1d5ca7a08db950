package ccfs_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// hostileCase is one request from the hostile corpus: either a req built
// and signed as usual, then edited, or raw bytes written to the socket.
type hostileCase struct {
	name   string
	r      req
	raw    func(e *env) []byte
	status int
	code   string
}

func setHeader(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func hostileCorpus() []hostileCase {
	wav := b64(validWAV)
	ok := body(wav)
	audio := make([]byte, 8000)
	field := func(i int, v string) func(string) string {
		return func(h string) string { f := strings.Split(h, "/"); f[i] = v; return strings.Join(f, "/") }
	}
	return []hostileCase{
		// The Authorization header, each field wrong in turn.
		{name: "no Authorization", r: req{body: ok, edit: func(r *http.Request) { r.Header.Del("Authorization") }}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "empty Authorization", r: req{body: ok, edit: setHeader("Authorization", "")}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "two Authorization headers", r: req{body: ok, edit: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "Bearer token", r: req{body: ok, edit: setHeader("Authorization", "Bearer abc.def")}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "scheme auth-v1", r: req{body: ok, edit: authz(field(0, "auth-v1"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "scheme upper case", r: req{body: ok, edit: authz(field(0, "AUTH-V2"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "four fields", r: req{body: ok, edit: authz(func(h string) string { return h[:strings.LastIndexByte(h, '/')] })}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "six fields", r: req{body: ok, edit: authz(func(h string) string { return h + "/extra" })}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "empty access key", r: req{body: ok, edit: authz(field(1, ""))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "other access key", r: req{body: ok, edit: authz(field(1, "other"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "unknown access key", r: req{body: ok, ak: "ghost", sk: testSK}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "timestamp not a time", r: req{body: ok, edit: authz(field(2, "yesterday"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "timestamp with offset", r: req{body: ok, edit: authz(field(2, "2026-11-23T19:00:00+08:00"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "timestamp changed", r: req{body: ok, edit: authz(field(2, "2026-11-23T19:00:01.000Z"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signed headers unsorted", r: req{body: ok, edit: authz(field(3, "host;content-type;content-length"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signed headers upper case", r: req{body: ok, edit: authz(field(3, "Content-Length;Content-Type;Host"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "content-type not signed", r: req{body: ok, edit: authz(field(3, "content-length;host"))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signature 63 digits", r: req{body: ok, edit: authz(func(h string) string { return h[:len(h)-1] })}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signature upper case", r: req{body: ok, edit: authz(func(h string) string { i := strings.LastIndexByte(h, '/'); return h[:i] + strings.ToUpper(h[i:]) })}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signature one digit changed", r: req{body: ok, edit: authz(func(h string) string {
			last := "0"
			if h[len(h)-1] == '0' {
				last = "1"
			}
			return h[:len(h)-1] + last
		})}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signature all zero", r: req{body: ok, edit: authz(field(4, strings.Repeat("0", 64)))}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signed host changed", r: req{body: ok, edit: func(r *http.Request) { r.Host = "evil.example:443" }}, status: 401, code: ccfs.ErrAuth.Code()},
		// The signing time at and beyond the window's edges.
		{name: "signed 15 min ago", r: req{body: ok, signedAt: t0.Add(-15*time.Minute + time.Second)}, status: 200, code: "0"},
		{name: "signed 15 min ahead", r: req{body: ok, signedAt: t0.Add(15 * time.Minute)}, status: 200, code: "0"},
		{name: "signed 15 min + 1 s ago", r: req{body: ok, signedAt: t0.Add(-15*time.Minute - time.Second)}, status: 401, code: ccfs.ErrTimestamp.Code()},
		{name: "signed 16 min ahead", r: req{body: ok, signedAt: t0.Add(16 * time.Minute)}, status: 401, code: ccfs.ErrTimestamp.Code()},
		{name: "signed a year ago", r: req{body: ok, signedAt: t0.AddDate(-1, 0, 0)}, status: 401, code: ccfs.ErrTimestamp.Code()},
		// VDN ownership.
		{name: "VDN not owned", r: req{query: "vdnId=55", body: ok}, status: 401, code: ccfs.ErrVDNForbidden.Code()},
		{name: "other key's VDN", r: req{query: "vdnId=99", body: ok}, status: 401, code: ccfs.ErrVDNForbidden.Code()},
		// vdnId.
		{name: "vdnId ../1", r: req{query: "vdnId=../1", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId -1", r: req{query: "vdnId=-1", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId 0", r: req{query: "vdnId=0", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId 1e3", r: req{query: "vdnId=1e3", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId 53abc", r: req{query: "vdnId=53abc", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId 2147483648", r: req{query: "vdnId=2147483648", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId 0x35", r: req{query: "vdnId=0x35", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId with a space", r: req{query: "vdnId=%2053", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId empty", r: req{query: "vdnId=", body: ok}, status: 200, code: ccfs.ErrEmpty.Code()},
		{name: "vdnId repeated", r: req{query: "vdnId=53&vdnId=54", body: ok}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "vdnId missing", r: req{query: "vdn=53", body: ok}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "query with ;", raw: func(e *env) []byte {
			return bytes.Replace(signedRaw(e, ok), []byte("?vdnId=53"), []byte("?vdnId=53;x=1"), 1)
		}, status: 200, code: ccfs.ErrFormat.Code()},
		// Content-Type.
		{name: "Content-Type missing", r: req{body: ok, edit: func(r *http.Request) { r.Header.Del("Content-Type") }}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "Content-Type text/plain", r: req{body: ok, contentType: "text/plain"}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "Content-Type latin-1", r: req{body: ok, contentType: "application/json;charset=ISO-8859-1"}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "Content-Type form", r: req{body: ok, contentType: "application/x-www-form-urlencoded"}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "Content-Type twice", r: req{body: ok, edit: func(r *http.Request) { r.Header.Add("Content-Type", "application/json") }}, status: 200, code: ccfs.ErrFormat.Code()},
		// Content-Length and framing.
		{name: "chunked body", r: req{body: ok, edit: func(r *http.Request) { r.ContentLength = -1; r.Body = io.NopCloser(bytes.NewReader(ok)) }}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "Content-Length over the body", raw: func(e *env) []byte {
			w := signedRaw(e, ok)
			return bytes.Replace(w, []byte("Content-Length: "+strconv.Itoa(len(ok))), []byte("Content-Length: "+strconv.Itoa(len(ok)+500)), 1)
		}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "Content-Length under the body", raw: func(e *env) []byte {
			w := signedRaw(e, ok)
			return bytes.Replace(w, []byte("Content-Length: "+strconv.Itoa(len(ok))), []byte("Content-Length: "+strconv.Itoa(len(ok)-10)), 1)
		}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "body over the limit", r: req{body: make([]byte, 2<<20)}, status: 200, code: ccfs.ErrTooLong.Code()},
		{name: "empty body", r: req{}, status: 200, code: ccfs.ErrBodyNull.Code()},
		// JSON.
		{name: "JSON truncated", r: req{body: ok[:len(ok)-2]}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "JSON nested 10000 deep", r: req{body: []byte(`{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `,"request":{"version":"2.0"},"msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "JSON array", r: req{body: []byte(`[` + string(ok) + `]`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "JSON trailing garbage", r: req{body: append(bytes.Clone(ok), []byte(`{}`)...)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "duplicate data", r: req{body: []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + wav + `","data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "duplicate version", r: req{body: []byte(`{"request":{"version":"2.0","version":"2.0"},"msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "duplicate msgBody", r: req{body: []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + wav + `"},"msgBody":{}}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "request is a string", r: req{body: []byte(`{"request":"2.0","msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "non-UTF-8 version", r: req{body: []byte("{\"request\":{\"version\":\"2.0\xff\"},\"msgBody\":{\"data\":\"" + wav + "\"}}")}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "non-UTF-8 in data", r: req{body: body(wav[:100] + "\xc3\x28" + wav[100:])}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "version missing", r: req{body: []byte(`{"request":{},"msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "version 1.0", r: req{body: []byte(`{"request":{"version":"1.0"},"msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrVersion.Code()},
		{name: "version 33 characters", r: req{body: []byte(`{"request":{"version":"` + strings.Repeat("2", 33) + `"},"msgBody":{"data":"` + wav + `"}}`)}, status: 200, code: ccfs.ErrTooLong.Code()},
		{name: "data null", r: req{body: []byte(`{"request":{"version":"2.0"},"msgBody":{"data":null}}`)}, status: 200, code: ccfs.ErrNull.Code()},
		// base64.
		{name: "escaped line break in base64", r: req{body: body(wav[:40] + `\n` + wav[40:])}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "raw line break in base64", r: req{body: body(wav[:40] + "\n" + wav[40:])}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "raw carriage return in base64", r: req{body: body(wav[:40] + "\r" + wav[40:])}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "escaped letters in base64", r: req{body: body(`\u0055` + wav[1:])}, status: 200, code: "0"},
		{name: "URL-safe base64", r: req{body: body(strings.NewReplacer("+", "-", "/", "_").Replace(b64(wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "data", Data: bytes.Repeat([]byte{0xfb, 0xff}, 60)}))))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "base64 without padding", r: req{body: body(strings.TrimRight(b64(wavfile.File(wavfile.ALaw8k, 101)), "="))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "base64 with a space", r: req{body: body(wav[:40] + " " + wav[40:])}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "data after the padding", r: req{body: body(b64(wavfile.File(wavfile.ALaw8k, 101)) + "AAAA")}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "data not a WAV", r: req{body: body(b64([]byte("ID3\x04\x00\x00 an mp3 file, not a wav")))}, status: 200, code: ccfs.ErrFormat.Code()},
		// Hostile WAV headers.
		{name: "WAV with a 2 GiB fmt chunk", r: req{body: body(b64(wavfile.Build(wavfile.Chunk{ID: "fmt ", Data: audio, Size: wavfile.U32(1 << 31)})))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "WAV with a 2 GiB LIST chunk", r: req{body: body(b64(wavfile.Build(wavfile.Chunk{ID: "LIST", Data: audio, Size: wavfile.U32(1 << 31)})))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "WAV data beyond the file", r: req{body: body(b64(wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "data", Data: audio, Size: wavfile.U32(50_000_000)})))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "WAV RIFF size 0xFFFFFFFF", r: req{body: body(b64(append([]byte("RIFF\xff\xff\xff\xffWAVE"), validWAV[12:]...)))}, status: 200, code: ccfs.ErrTooLong.Code()},
		{name: "WAV truncated", r: req{body: body(b64(validWAV[:len(validWAV)-100]))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "WAV stereo", r: req{body: body(b64(wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 800)))}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "WAV over 1 MB", r: req{body: body(b64(wavfile.File(wavfile.ALaw8k, 1<<20)))}, status: 200, code: ccfs.ErrTooLong.Code()},
		// Method and path.
		{name: "GET", r: req{method: "GET"}, status: 405, code: ccfs.ErrMethod.Code()},
		{name: "PUT", r: req{method: "PUT", body: ok}, status: 405, code: ccfs.ErrMethod.Code()},
		{name: "other path", r: req{path: "/CCFS/resource/ccfs/ivr/renameFile", body: ok}, status: 404, code: ccfs.ErrNotFound.Code()},
		{name: "path with a dot segment", raw: func(e *env) []byte {
			return bytes.Replace(signedRaw(e, ok), []byte(ccfs.UploadPath), []byte(ccfs.UploadPath+"/../uploadFile"), 1)
		}, status: 404, code: ccfs.ErrNotFound.Code()},
	}
}

// TestHostileCorpus sends every case to a handler on a store.Dir and checks
// the status, the result code, and that nothing was stored — not even a
// temporary file — except for the cases that are accepted.
func TestHostileCorpus(t *testing.T) {
	cases := hostileCorpus()
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			d, root := newDirStore(t)
			e.st = d
			var status int
			var resp ccfs.Response
			if tc.raw != nil {
				raw := tc.raw(e)
				if m := regexp.MustCompile(`Authorization: (\S+)`).FindSubmatch(raw); m != nil {
					e.sent = append(e.sent, [2]string{string(m[1]), string(raw)})
				}
				status, resp = sendRaw(t, e, raw)
			} else {
				status, resp, _ = e.do(tc.r)
			}
			if status != tc.status || resp.ResultCode != tc.code {
				t.Fatalf("got %d %s %q; want %d %s", status, resp.ResultCode, resp.ResultDesc, tc.status, tc.code)
			}
			checkNoSecretsLogged(t, e)
			files := filesUnder(t, root)
			if want := map[bool]int{true: 1, false: 0}[tc.code == "0"]; len(files) != want {
				t.Fatalf("files under the store: %v", files)
			}
		})
	}
}

// checkNoSecretsLogged looks in everything e logged for a secret key, the
// signature or signing key of any request sent, or payload bytes.
func checkNoSecretsLogged(t *testing.T, e *env) {
	t.Helper()
	logs := e.logs.String()
	if logs == "" {
		t.Fatal("nothing logged")
	}
	secrets := []string{testSK, "sk-other"}
	for _, s := range e.sent {
		a, b := s[0], s[1]
		if i := strings.LastIndexByte(a, '/'); i > 0 && len(a)-i > 16 {
			secrets = append(secrets, a[i+1:], auth.SigningKey(testSK, a[:i]))
		}
		if j := strings.Index(b, `"data":"`); j >= 0 && len(b) > j+40 {
			secrets = append(secrets, b[j+8:j+40])
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds %q:\n%s", s, logs)
		}
	}
}

// TestReplayCorpus: the same accepted request, sent again, is refused, and
// only one file exists.
func TestReplayCorpus(t *testing.T) {
	e := newEnv(t, nil)
	d, root := newDirStore(t)
	e.st = d
	raw := signedRaw(e, body(b64(validWAV)))
	for i, want := range []string{"0", ccfs.ErrReplay.Code(), ccfs.ErrReplay.Code()} {
		if _, resp := sendRaw(t, e, raw); resp.ResultCode != want {
			t.Fatalf("attempt %d: %+v\n%s", i+1, resp, e.logs.String())
		}
	}
	if files := filesUnder(t, root); len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
}

package ccfs_test

// uploadFile (upload.go): what it stores, what it answers, and what a
// failing or misbehaving store leaves behind.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

func TestUploadSuccess(t *testing.T) {
	e := newEnv(t, nil)
	status, resp, _ := e.do(req{body: body(b64(validWAV))})
	if status != 200 || resp.ResultCode != "0" || resp.ResultDesc != "success" || resp.ResultData == nil {
		t.Fatalf("%d %+v", status, resp)
	}
	re := regexp.MustCompile(`^Y:/3rdfile/53/thirdvoicebotfile/[A-Za-z0-9]{8}_\d{13}\.wav$`)
	if !re.MatchString(resp.ResultData.FileName) {
		t.Fatalf("fileName %q", resp.ResultData.FileName)
	}
	got, ok := e.mem.Get(strings.TrimPrefix(resp.ResultData.FileName, "Y:/"))
	if !ok || !bytes.Equal(got, validWAV) {
		t.Fatalf("stored %d bytes, want the %d uploaded", len(got), len(validWAV))
	}
	if e.event.Code != "0" || e.event.AccessKey != testAK || e.event.VDN != 53 || e.event.FileBytes != int64(len(validWAV)) ||
		e.event.Interface != ccfs.InterfaceUpload || e.event.FileName != resp.ResultData.FileName {
		t.Fatalf("event %+v", e.event)
	}
}

func TestResultCodes(t *testing.T) {
	wav := b64(validWAV)
	stereo := b64(wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 100))
	big := b64(wavfile.File(wavfile.ALaw8k, 1<<20))
	slashy := b64(wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "data", Data: bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 100)}))
	tests := []struct {
		name   string
		r      req
		status int
		code   string
		desc   string // part of resultDesc
	}{
		{"wrong path", req{path: "/CCFS/resource/ccfs/ivr/upload", body: body(wav)}, 404, ccfs.ErrNotFound.Code(), "no such interface"},
		{"GET", req{method: "GET"}, 405, ccfs.ErrMethod.Code(), "POST"},
		{"no vdnId", req{query: "-", body: body(wav)}, 200, ccfs.ErrNull.Code(), "vdnId cannot be null"},
		{"empty vdnId", req{query: "vdnId=", body: body(wav)}, 200, ccfs.ErrEmpty.Code(), "vdnId cannot be an empty string"},
		{"vdnId twice", req{query: "vdnId=53&vdnId=53", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId -1", req{query: "vdnId=-1", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId 0", req{query: "vdnId=0", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId 1e3", req{query: "vdnId=1e3", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId ../1", req{query: "vdnId=../1", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId 53abc", req{query: "vdnId=53abc", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId +53", req{query: "vdnId=%2B53", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"vdnId 2^31", req{query: "vdnId=2147483648", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "vdnId"},
		{"no Content-Type", req{body: body(wav), edit: func(r *http.Request) { r.Header.Del("Content-Type") }}, 200, ccfs.ErrNull.Code(), "Content-Type"},
		{"text/plain", req{contentType: "text/plain", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "Content-Type"},
		{"latin-1", req{contentType: "application/json;charset=ISO-8859-1", body: body(wav)}, 200, ccfs.ErrFormat.Code(), "Content-Type"},
		{"empty body", req{body: nil}, 200, ccfs.ErrBodyNull.Code(), "requestBody is null"},
		{"body over the limit", req{body: make([]byte, 2<<20)}, 200, ccfs.ErrTooLong.Code(), "request body is too long"},
		{"file over the limit", req{body: body(big)}, 200, ccfs.ErrTooLong.Code(), "too long"},
		{"not JSON", req{body: []byte("data=UklGRg==")}, 200, ccfs.ErrFormat.Code(), "request body"},
		{"truncated JSON", req{body: body(wav)[:100]}, 200, ccfs.ErrFormat.Code(), "request body"},
		{"no version", req{body: []byte(`{"request":{},"msgBody":{"data":"` + wav + `"}}`)}, 200, ccfs.ErrNull.Code(), "version cannot be null"},
		{"empty version", req{body: []byte(`{"request":{"version":""},"msgBody":{"data":"` + wav + `"}}`)}, 200, ccfs.ErrEmpty.Code(), "version"},
		{"long version", req{body: []byte(`{"request":{"version":"` + strings.Repeat("2", 33) + `"},"msgBody":{"data":"` + wav + `"}}`)}, 200, ccfs.ErrTooLong.Code(), "version"},
		{"version 1.0", req{body: []byte(`{"request":{"version":"1.0"},"msgBody":{"data":"` + wav + `"}}`)}, 200, ccfs.ErrVersion.Code(), "current version is 2.0"},
		{"no data", req{body: []byte(`{"request":{"version":"2.0"},"msgBody":{}}`)}, 200, ccfs.ErrNull.Code(), "data cannot be null"},
		{"empty data", req{body: body("")}, 200, ccfs.ErrEmpty.Code(), "data cannot be an empty string"},
		{"bad base64", req{body: body("UklGRg")}, 200, ccfs.ErrFormat.Code(), "base64"},
		{"url-safe base64", req{body: body(strings.NewReplacer("+", "-", "/", "_").Replace(slashy))}, 200, ccfs.ErrFormat.Code(), "base64"},
		{"escaped slashes", req{body: body(strings.ReplaceAll(slashy, "/", `\/`))}, 200, "0", ""},
		{"escape inside base64", req{body: body(wav[:20] + `\n` + wav[20:])}, 200, ccfs.ErrFormat.Code(), "line break"},
		{"not a WAV", req{body: body(b64([]byte("ID3\x04 this is an mp3 file")))}, 200, ccfs.ErrFormat.Code(), "not a WAV file"},
		{"stereo", req{body: body(stereo)}, 200, ccfs.ErrFormat.Code(), "2 channels (stereo); need mono"},
		{"duplicate data", req{body: []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + wav + `","data":"` + wav + `"}}`)}, 200, ccfs.ErrFormat.Code(), "twice"},
		{"no Authorization", req{body: body(wav), edit: func(r *http.Request) { r.Header.Del("Authorization") }}, 401, ccfs.ErrAuth.Code(), "Authorization"},
		{"wrong secret", req{body: body(wav), sk: "nope", ak: testAK}, 401, ccfs.ErrAuth.Code(), "signature"},
		{"unknown key", req{body: body(wav), sk: "nope", ak: "ghost"}, 401, ccfs.ErrAuth.Code(), `unknown access key: "ghost"`},
		{"signed too early", req{body: body(wav), signedAt: t0.Add(-16 * time.Minute)}, 401, ccfs.ErrTimestamp.Code(), "window"},
		{"VDN not owned", req{query: "vdnId=55", body: body(wav)}, 401, ccfs.ErrVDNForbidden.Code(), "VDN"},
		{"other key's VDN", req{query: "vdnId=99", body: body(wav)}, 401, ccfs.ErrVDNForbidden.Code(), "VDN"},
		// Authentication wins over every other failure of the request.
		{"bad signature and bad body", req{body: []byte("{nonsense"), sk: "nope", ak: testAK}, 401, ccfs.ErrAuth.Code(), "signature"},
		{"bad signature and stereo", req{body: body(stereo), sk: "nope", ak: testAK}, 401, ccfs.ErrAuth.Code(), "signature"},
		{"forbidden VDN and stereo", req{query: "vdnId=55", body: body(stereo)}, 401, ccfs.ErrVDNForbidden.Code(), "VDN"},
		{"body changed after signing", req{body: body(wav), edit: func(r *http.Request) {
			b := body(strings.Replace(wav, "A", "B", 1))
			r.Body = io.NopCloser(bytes.NewReader(b))
		}}, 401, ccfs.ErrAuth.Code(), "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			status, resp, _ := e.do(tt.r)
			if status != tt.status || resp.ResultCode != tt.code || !strings.Contains(resp.ResultDesc, tt.desc) {
				t.Fatalf("got %d %s %q; want %d %s containing %q", status, resp.ResultCode, resp.ResultDesc, tt.status, tt.code, tt.desc)
			}
			if (resp.ResultData != nil) != (tt.code == "0") {
				t.Fatal("resultData present on failure or absent on success")
			}
			if names := e.mem.Names(); len(names) != 0 && tt.code != "0" {
				t.Fatalf("stored %v", names)
			}
			if e.event.Code != tt.code {
				t.Fatalf("event code %s", e.event.Code)
			}
		})
	}
}

// failingStore reads some bytes then fails; it must leave nothing behind.
type failingStore struct {
	*store.Memory
	after int
}

func (f failingStore) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return f.Memory.Put(ctx, name, io.MultiReader(io.LimitReader(r, int64(f.after)), errReader{}), size)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

type panickingStore struct{}

func (panickingStore) Put(context.Context, string, io.Reader, int64) ([]string, error) {
	panic("adapter bug")
}

func TestStoreFailures(t *testing.T) {
	for _, after := range []int{0, 1, 100, 4000, 7999} {
		e := newEnv(t, nil)
		e.st = failingStore{e.mem, after}
		_, resp, _ := e.do(req{body: body(b64(validWAV))})
		if resp.ResultCode != ccfs.ErrStorage.Code() || strings.Contains(resp.ResultDesc, "fire") {
			t.Fatalf("after %d bytes: %+v", after, resp)
		}
		if len(e.mem.Names()) != 0 {
			t.Fatal("stored")
		}
		if !strings.Contains(e.logs.String(), "disk on fire") {
			t.Fatal("cause not logged")
		}
	}
	e := newEnv(t, nil)
	e.st = panickingStore{}
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Fatalf("panic: %+v", resp)
	}
	// The server goes on serving.
	e.st = e.mem
	if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("after the panic: %+v", resp)
	}
}

// TestClientDisconnect sends part of a body and hangs up.
func TestClientDisconnect(t *testing.T) {
	e := newEnv(t, nil)
	e.st = e.mem
	b := body(b64(validWAV))
	for _, cut := range []int{10, len(b) / 2, len(b) - 1} {
		e.mu.Lock()
		e.event = ccfs.Event{}
		e.mu.Unlock()
		pr, pw := io.Pipe()
		hr, _ := http.NewRequest("POST", e.srv.URL+ccfs.UploadPath+"?vdnId=53", pr)
		hr.ContentLength = int64(len(b))
		hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
		(&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).Sign(hr, b)
		go func() {
			pw.Write(b[:cut])
			time.Sleep(20 * time.Millisecond)
			pw.CloseWithError(errors.New("client gone"))
		}()
		resp, err := e.srv.Client().Do(hr)
		if err == nil {
			resp.Body.Close()
		}
		// The request has ended when its Event is out: the body could not
		// be read to its end, and nothing was stored.
		if ev := e.waitEvent(t); ev.Code != ccfs.ErrFormat.Code() || !strings.Contains(ev.Desc, "could not be read to its end") {
			t.Fatalf("cut at %d: %s %s", cut, ev.Code, ev.Desc)
		}
		if names := e.mem.Names(); len(names) != 0 {
			t.Fatalf("cut at %d: stored %v", cut, names)
		}
	}
}

// lazyStore breaks the contract: it keeps a prefix and says yes without
// reading to EOF.
type lazyStore struct{ *store.Memory }

func (l lazyStore) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return l.Memory.Put(ctx, name, io.LimitReader(r, 10), -1)
}

func TestStoreThatDoesNotDrain(t *testing.T) {
	e := newEnv(t, nil)
	e.st = lazyStore{e.mem}
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Fatalf("%+v", resp)
	}
	if names := e.mem.Names(); len(names) != 0 {
		t.Fatalf("kept %v", names)
	}
}

func TestPoolLocationIDs(t *testing.T) {
	e := newEnv(t, nil)
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	e.st = p
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultData == nil || strings.Join(resp.ResultData.LocationID, ",") != "0,256" {
		t.Fatalf("%+v", resp)
	}
	name := strings.TrimPrefix(resp.ResultData.FileName, "Y:/")
	for _, m := range []*store.Memory{a, b} {
		if got, _ := m.Get(name); !bytes.Equal(got, validWAV) {
			t.Fatal("a location lacks the file")
		}
	}
}

// TestUploadNamesEveryFormatReason: a WAV file wrong in several ways is
// refused with every reason its fmt chunk gives, in one answer, in the
// words and order of ccfs check; nothing is stored.
func TestUploadNamesEveryFormatReason(t *testing.T) {
	e := newEnv(t, nil)
	wav := wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}, 22050)
	status, resp, _ := e.do(req{body: body(b64(wav))})
	const want = "the format of data is incorrect: 16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 22050 Hz; need 8000 Hz"
	if status != 200 || resp.ResultCode != ccfs.ErrFormat.Code() || resp.ResultDesc != want {
		t.Fatalf("got %d %s %q\nwant 200 %s %q", status, resp.ResultCode, resp.ResultDesc, ccfs.ErrFormat.Code(), want)
	}
	if names := e.mem.Names(); len(names) != 0 {
		t.Fatalf("stored %v", names)
	}
	// ccfs check says the same of the same file.
	if _, err := wavcheck.Inspect(bytes.NewReader(wav), wavcheck.Policy{}); err == nil || "the format of data is incorrect: "+err.Error() != want {
		t.Fatalf("Inspect: %v", err)
	}
}

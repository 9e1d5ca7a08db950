package ccfs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/store"
)

// The files every sibling-interface test starts with: two of the test
// key's VDN 53, one of VDN 99 (another tenant's), and a recording.
var (
	prompt53    = "3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav"
	prompt53b   = "3rdfile/53/thirdvoicebotfile/bbbbbbbb_2.wav"
	prompt99    = "3rdfile/99/thirdvoicebotfile/cccccccc_3.wav"
	recording53 = "voice/53/IVRrecordFile/20261125/call-1.wav"
	single53    = "voice/53/IVRrecordFile/single/only.wav"
	recording99 = "voice/99/IVRrecordFile/call-9.wav"
	seeded      = []string{prompt53, prompt53b, prompt99, recording53, single53, recording99}
)

// seed puts the files above into e's store, each holding its own name.
func seed(t *testing.T, s store.Store) {
	for _, n := range seeded {
		if _, err := s.Put(context.Background(), n, strings.NewReader("RIFF "+n), -1); err != nil {
			t.Fatal(err)
		}
	}
}

func deleteBody(msgBody string) []byte {
	return []byte(`{"request":{"version":"2.0"},"msgBody":` + msgBody + `}`)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// siblingCase is one request to deleteFile or downloadFile.
type siblingCase struct {
	name   string
	r      req
	status int
	code   string
	// gone lists the seeded files that must be gone afterwards; every
	// other one must still be there.
	gone []string
}

// commonCases are the cases both interfaces answer alike, given a valid
// msgBody for the interface.
func commonCases(path, valid string) []siblingCase {
	ok := deleteBody(valid)
	short := time.Minute
	return []siblingCase{
		{name: "GET", r: req{method: "GET", path: path, body: ok}, status: 405, code: "0300018"},
		{name: "no Content-Type", r: req{path: path, body: ok, edit: func(r *http.Request) { r.Header.Del("Content-Type") }}, status: 200, code: "0300001"},
		{name: "text/plain", r: req{path: path, body: ok, contentType: "text/plain"}, status: 200, code: "0300004"},
		{name: "empty body", r: req{path: path, body: []byte{}}, status: 200, code: "0300007"},
		{name: "oversized body", r: req{path: path, body: deleteBody(`{"x":"` + strings.Repeat("a", 17<<10) + `"}`)}, status: 200, code: "0300003"},
		{name: "not JSON", r: req{path: path, body: []byte("fileName=x")}, status: 200, code: "0300004"},
		{name: "JSON array", r: req{path: path, body: []byte(`[1]`)}, status: 200, code: "0300004"},
		{name: "text after the object", r: req{path: path, body: append(bytes.Clone(ok), "{}"...)}, status: 200, code: "0300004"},
		{name: "truncated JSON", r: req{path: path, body: ok[:len(ok)-2]}, status: 200, code: "0300004"},
		{name: "invalid UTF-8", r: req{path: path, body: deleteBody(`{"x":"` + "\xff" + `"}`)}, status: 200, code: "0300004"},
		{name: "version missing", r: req{path: path, body: []byte(`{"msgBody":` + valid + `}`)}, status: 200, code: "0300001"},
		{name: "version null", r: req{path: path, body: []byte(`{"request":{"version":null},"msgBody":` + valid + `}`)}, status: 200, code: "0300001"},
		{name: "version empty", r: req{path: path, body: []byte(`{"request":{"version":""},"msgBody":` + valid + `}`)}, status: 200, code: "0300002"},
		{name: "version 1.0", r: req{path: path, body: []byte(`{"request":{"version":"1.0"},"msgBody":` + valid + `}`)}, status: 200, code: "0300006"},
		{name: "version too long", r: req{path: path, body: []byte(`{"request":{"version":"` + strings.Repeat("2", 33) + `"},"msgBody":` + valid + `}`)}, status: 200, code: "0300003"},
		{name: "version a number", r: req{path: path, body: []byte(`{"request":{"version":2.0},"msgBody":` + valid + `}`)}, status: 200, code: "0300004"},
		{name: "request a string", r: req{path: path, body: []byte(`{"request":"2.0","msgBody":` + valid + `}`)}, status: 200, code: "0300004"},
		{name: "request twice", r: req{path: path, body: []byte(`{"request":{"version":"2.0"},"request":{"version":"2.0"},"msgBody":` + valid + `}`)}, status: 200, code: "0300004"},
		{name: "msgBody an array", r: req{path: path, body: deleteBody(`[]`)}, status: 200, code: "0300004"},
		{name: "unknown fields are skipped", r: req{path: path, body: []byte(`{"x":[1,{"y":null}],"request":{"version":"2.0","z":1},"msgBody":` + valid + `}`)}, status: 200, code: "0"},
		// Authentication: 401 wins over everything in the body.
		{name: "wrong secret", r: req{path: path, body: ok, ak: testAK, sk: "wrong"}, status: 401, code: "0300010"},
		{name: "wrong secret, bad body", r: req{path: path, body: []byte(`{"request":{"version":"9"}}`), ak: testAK, sk: "wrong"}, status: 401, code: "0300010"},
		{name: "another key's secret", r: req{path: path, body: ok, ak: testAK, sk: "sk-other"}, status: 401, code: "0300010"},
		{name: "unknown key", r: req{path: path, body: ok, ak: "nobody", sk: "x"}, status: 401, code: "0300010"},
		{name: "no Authorization", r: req{path: path, body: ok, edit: func(r *http.Request) { r.Header.Del("Authorization") }}, status: 401, code: "0300010"},
		{name: "body changed after signing", r: req{path: path, body: ok, edit: func(r *http.Request) {
			b := bytes.Replace(ok, []byte(`"2.0"`), []byte(`"2.1"`), 1)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}}, status: 401, code: "0300010"},
		{name: "signed too long ago", r: req{path: path, body: ok, signedAt: t0.Add(-16 * time.Minute)}, status: 401, code: "0300011"},
		{name: "signed in the future", r: req{path: path, body: ok, signedAt: t0.Add(16*time.Minute + short)}, status: 401, code: "0300011"},
	}
}

// runSiblingCases runs each case on a fresh handler over a seeded store,
// and checks its answer and what is left in the store.
func runSiblingCases(t *testing.T, cases []siblingCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			seed(t, e.mem)
			resp := e.send(c.r)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			code := "0" // a download's file
			if resp.Header.Get("Content-Type") == "application/json;charset=UTF-8" {
				var out ccfs.Response
				if err := json.Unmarshal(raw, &out); err != nil {
					t.Fatalf("answer %q: %v", raw, err)
				}
				code = out.ResultCode
			}
			if resp.StatusCode != c.status || code != c.code {
				t.Fatalf("got %d %s %q; want %d %s", resp.StatusCode, code, clipBytes(raw), c.status, c.code)
			}
			for _, n := range seeded {
				_, ok := e.mem.Get(n)
				if want := !contains(c.gone, n); ok != want {
					t.Errorf("%s: there %v, want %v", n, ok, want)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func clipBytes(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// TestDeleteTable is deleteFile's hostile-input table.
func TestDeleteTable(t *testing.T) {
	del := func(name string, msgBody string, status int, code string, gone ...string) siblingCase {
		return siblingCase{name: name, r: req{path: ccfs.DeletePath, body: deleteBody(msgBody)}, status: status, code: code, gone: gone}
	}
	file := func(name, fileName string, status int, code string, gone ...string) siblingCase {
		return del(name, `{"fileName":`+jsonString(fileName)+`}`, status, code, gone...)
	}
	cases := commonCases(ccfs.DeletePath, `{"fileName":"Y:/`+prompt53+`"}`)
	for i := range cases {
		if cases[i].code == "0" {
			cases[i].gone = []string{prompt53}
		}
	}
	cases = append(cases,
		file("deleted", "Y:/"+prompt53, 200, "0", prompt53),
		del("with a locationId outside a pool (ignored)", `{"fileName":"Y:/`+prompt53+`","locationId":"0"}`, 200, "0", prompt53),
		del("with an empty locationId", `{"fileName":"Y:/`+prompt53+`","locationId":""}`, 200, "0", prompt53),
		del("fileName missing", `{}`, 200, "0300001"),
		del("msgBody missing", `null`, 200, "0300001"),
		del("fileName null", `{"fileName":null}`, 200, "0300001"),
		del("fileName empty", `{"fileName":""}`, 200, "0300002"),
		del("fileName a number", `{"fileName":53}`, 200, "0300004"),
		del("fileName an array", `{"fileName":["Y:/`+prompt53+`"]}`, 200, "0300004"),
		del("fileName twice", `{"fileName":"Y:/`+prompt53+`","fileName":"Y:/`+prompt53b+`"}`, 200, "0300004"),
		file("fileName too long", "Y:/3rdfile/53/thirdvoicebotfile/"+strings.Repeat("a", 1100), 200, "0300003"),
		del("locationId a number", `{"fileName":"Y:/`+prompt53+`","locationId":0}`, 200, "0300004"),
		del("locationId too long", `{"fileName":"Y:/`+prompt53+`","locationId":"`+strings.Repeat("1", 65)+`"}`, 200, "0300003"),
		// Another tenant's file: refused as not the key's VDN, and kept.
		file("another tenant's VDN", "Y:/"+prompt99, 401, "0300013"),
		file("does not exist", "Y:/3rdfile/53/thirdvoicebotfile/nothere.wav", 200, "0300021"),
		file("a VDN with no files", "Y:/3rdfile/54/thirdvoicebotfile/nothere.wav", 200, "0300021"),
		// Paths that are not a file in the upload rule's directory.
		file("a recording", "Y:/"+recording53, 200, "0300004"),
		file("the rule's directory", "Y:/3rdfile/53/thirdvoicebotfile", 200, "0300004"),
		file("a subdirectory", "Y:/3rdfile/53/thirdvoicebotfile/sub/x.wav", 200, "0300004"),
		file("no root prefix", "/"+prompt53, 200, "0300004"),
		file("another drive", "Z:/"+prompt53, 200, "0300004"),
		file("lower-case drive", "y:/"+prompt53, 200, "0300004"),
		file("backslashes", `Y:\3rdfile\53\thirdvoicebotfile\aaaaaaaa_1.wav`, 200, "0300004"),
		file("a backslash inside", `Y:/3rdfile/53/thirdvoicebotfile\aaaaaaaa_1.wav`, 200, "0300004"),
		file("dot-dot to another tenant", "Y:/3rdfile/53/thirdvoicebotfile/../../99/thirdvoicebotfile/cccccccc_3.wav", 200, "0300004"),
		file("dot-dot at the top", "Y:/../3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("encoded dot-dot", "Y:/3rdfile/53/thirdvoicebotfile/%2e%2e/%2e%2e/99/thirdvoicebotfile/cccccccc_3.wav", 200, "0300004"),
		file("encoded slash", "Y:/3rdfile/99%2fthirdvoicebotfile/cccccccc_3.wav", 200, "0300004"),
		file("a dot segment", "Y:/3rdfile/53/./thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("doubled slash", "Y:/3rdfile/53//thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("leading doubled slash", "Y://3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("trailing slash", "Y:/"+prompt53+"/", 200, "0300004"),
		file("a NUL byte", "Y:/"+prompt53+"\x00.txt", 200, "0300004"),
		file("a colon inside", "Y:/3rdfile/53/thirdvoicebotfile/C:aaaaaaaa_1.wav", 200, "0300004"),
		file("VDN with a leading zero", "Y:/3rdfile/053/thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("VDN with a sign", "Y:/3rdfile/+53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("VDN too large", "Y:/3rdfile/4294967349/thirdvoicebotfile/aaaaaaaa_1.wav", 200, "0300004"),
		file("a full-width slash", "Y:/3rdfile/53/thirdvoicebotfile／aaaaaaaa_1.wav", 200, "0300004"),
	)
	runSiblingCases(t, cases)
}

// TestDeleteReplay: a deleteFile request cannot be sent twice.
func TestDeleteReplay(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	r := req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`), signedAt: e.clock()}
	if _, resp, _ := e.do(r); resp.ResultCode != "0" {
		t.Fatalf("first: %+v", resp)
	}
	if ev := e.event; ev.Interface != ccfs.InterfaceDelete || !ev.KeyVerified || ev.VDN != 53 || ev.FileName != "Y:/"+prompt53 {
		t.Fatalf("event %+v", ev)
	}
	if status, resp, _ := e.do(r); status != 401 || resp.ResultCode != "0300012" {
		t.Fatalf("replayed: %d %+v", status, resp)
	}
}

func downloadBody(filePath string, mode string) []byte {
	m := `{"filePath":` + jsonString(filePath)
	if mode != "" {
		m += `,"mode":` + mode
	}
	return deleteBody(m + "}")
}

// TestDownloadTable is downloadFile's hostile-input table.
func TestDownloadTable(t *testing.T) {
	get := func(name, filePath, mode string, status int, code string) siblingCase {
		return siblingCase{name: name, r: req{path: ccfs.DownloadPath, body: downloadBody(filePath, mode)}, status: status, code: code}
	}
	raw := func(name, msgBody string, status int, code string) siblingCase {
		return siblingCase{name: name, r: req{path: ccfs.DownloadPath, body: deleteBody(msgBody)}, status: status, code: code}
	}
	cases := commonCases(ccfs.DownloadPath, `{"filePath":"Y:/`+recording53+`"}`)
	cases = append(cases,
		get("a recording", "Y:/"+recording53, "", 200, "0"),
		get("an uploaded prompt", "Y:/"+prompt53, "", 200, "0"),
		get("mode 0 is a file", "Y:/"+recording53, "0", 200, "0"),
		get("mode 2 is a file", "Y:/"+recording53, "2", 200, "0"),
		get("the one file of a folder", "Y:/voice/53/IVRrecordFile/single", "1", 200, "0"),
		get("a folder with a trailing slash", "Y:/voice/53/IVRrecordFile/single/", "1", 200, "0"),
		get("a folder of two files", "Y:/3rdfile/53/thirdvoicebotfile", "1", 200, "0300022"),
		get("a folder of no file, one folder", "Y:/voice/53/IVRrecordFile", "1", 200, "0300022"),
		get("a folder that does not exist", "Y:/voice/53/IVRrecordFile/none", "1", 200, "0300021"),
		get("mode 1 on a file", "Y:/"+recording53, "1", 200, "0300004"),
		get("a folder without mode 1", "Y:/voice/53/IVRrecordFile/single", "", 200, "0300021"),
		get(`mode the string "1", as clients that quote every value write it`, "Y:/voice/53/IVRrecordFile/single", `"1"`, 200, "0"),
		get(`mode the string "0" is a file`, "Y:/"+recording53, `"0"`, 200, "0"),
		get(`mode the string "1" on a file`, "Y:/"+recording53, `"1"`, 200, "0300004"),
		get("mode a string that is no integer", "Y:/"+recording53, `"x"`, 200, "0300004"),
		get("mode a string with a space", "Y:/voice/53/IVRrecordFile/single", `" 1"`, 200, "0300004"),
		get("mode an empty string", "Y:/"+recording53, `""`, 200, "0300004"),
		get("mode a fraction", "Y:/"+recording53, "1.5", 200, "0300004"),
		get("mode true", "Y:/"+recording53, "true", 200, "0300004"),
		get("mode null is a file", "Y:/"+recording53, "null", 200, "0"),
		raw("filePath missing", `{"mode":1}`, 200, "0300001"),
		raw("filePath null", `{"filePath":null}`, 200, "0300001"),
		raw("filePath empty", `{"filePath":""}`, 200, "0300002"),
		raw("filePath a number", `{"filePath":1}`, 200, "0300004"),
		raw("filePath twice", `{"filePath":"Y:/`+recording53+`","filePath":"Y:/`+recording99+`"}`, 200, "0300004"),
		raw("mode twice", `{"filePath":"Y:/`+recording53+`","mode":0,"mode":1}`, 200, "0300004"),
		get("filePath too long", "Y:/voice/53/IVRrecordFile/"+strings.Repeat("a", 1100), "", 200, "0300003"),
		get("another tenant's recording", "Y:/"+recording99, "", 401, "0300013"),
		get("another tenant's prompt", "Y:/"+prompt99, "", 401, "0300013"),
		get("another tenant's folder", "Y:/voice/99/IVRrecordFile", "1", 401, "0300013"),
		get("does not exist", "Y:/voice/53/IVRrecordFile/none.wav", "", 200, "0300021"),
		get("outside every rule", "Y:/etc/passwd", "", 200, "0300004"),
		get("the rule's directory as a file", "Y:/voice/53/IVRrecordFile", "", 200, "0300004"),
		get("a rule's parent", "Y:/voice/53", "1", 200, "0300004"),
		get("no root prefix", "/"+recording53, "", 200, "0300004"),
		get("another drive", "C:/"+recording53, "", 200, "0300004"),
		get("backslashes", `Y:\voice\53\IVRrecordFile\20261125\call-1.wav`, "", 200, "0300004"),
		get("dot-dot to another tenant", "Y:/voice/53/IVRrecordFile/../../99/IVRrecordFile/call-9.wav", "", 200, "0300004"),
		get("dot-dot out of the root", "Y:/voice/53/IVRrecordFile/../../../../etc/passwd", "", 200, "0300004"),
		get("encoded dot-dot", "Y:/voice/53/IVRrecordFile/%2e%2e/%2e%2e/99/IVRrecordFile/call-9.wav", "", 200, "0300004"),
		// JSON carries the bytes as U+FFFD: a name like any other, not a dot.
		get("overlong UTF-8 dots", "Y:/voice/53/IVRrecordFile/\xc0\xae\xc0\xae/x.wav", "", 200, "0300021"),
		get("a dot segment", "Y:/voice/53/IVRrecordFile/./20261125/call-1.wav", "", 200, "0300004"),
		get("doubled slash", "Y:/voice/53/IVRrecordFile//20261125/call-1.wav", "", 200, "0300004"),
		get("a NUL byte", "Y:/"+recording53+"\x00", "", 200, "0300004"),
		get("VDN with a leading zero", "Y:/voice/053/IVRrecordFile/20261125/call-1.wav", "", 200, "0300004"),
	)
	runSiblingCases(t, cases)
}

// TestDownloadServesTheFile checks the headers and bytes of a download,
// and its Event.
func TestDownloadServesTheFile(t *testing.T) {
	e := newEnv(t, nil)
	data := bytes.Repeat([]byte("0123456789abcdef"), 10_000)
	if _, err := e.mem.Put(context.Background(), recording53, bytes.NewReader(data), -1); err != nil {
		t.Fatal(err)
	}
	resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, "")})
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(data))
	}
	for h, want := range map[string]string{
		"Content-Type":           "Application/Octet-stream;charset=UTF-8",
		"Content-Length":         "160000",
		"Content-Disposition":    `attachment; filename=call-1.wav`,
		"X-Content-Type-Options": "nosniff",
	} {
		if v := resp.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	ev := e.waitEvent(t)
	if ev.Interface != ccfs.InterfaceDownload || ev.Code != "0" || !ev.KeyVerified || ev.VDN != 53 ||
		ev.FileBytes != int64(len(data)) || ev.FileName != "Y:/"+recording53 {
		t.Fatalf("event %+v", ev)
	}
}

// waitEvent returns the Event of the last request once it is out: a
// download's comes after its last byte, which the client may have read
// already.
func (e *env) waitEvent(t *testing.T) ccfs.Event {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		e.mu.Lock()
		ev := e.event
		e.mu.Unlock()
		if ev.Code != "" {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatal("no Event")
		}
	}
}

// TestDownloadRefusesSymlinkEscape: on a store.Dir, a link inside a
// tenant's folder that points out of the root serves nothing.
func TestDownloadRefusesSymlinkEscape(t *testing.T) {
	root := t.TempDir()
	d, err := store.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("SECRET"), 0o600)
	dir := filepath.Join(root, "voice", "53", "IVRrecordFile")
	os.MkdirAll(dir, 0o750)
	if err := os.Symlink(secret, filepath.Join(dir, "link.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../..", filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil)
	e.st = d
	for _, c := range []struct{ path, mode string }{
		{"Y:/voice/53/IVRrecordFile/link.wav", ""},
		{"Y:/voice/53/IVRrecordFile", "1"}, // a link is not a file of the folder
		{"Y:/voice/53/IVRrecordFile/up/" + filepath.Base(filepath.Dir(secret)) + "/secret", ""},
	} {
		resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody(c.path, c.mode)})
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(raw, []byte("SECRET")) || resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Fatalf("%s: served %q", c.path, raw)
		}
	}
}

// TestSiblingsNeedTheirCapability: a store that can neither remove nor
// open files is offered neither interface.
func TestSiblingsNeedTheirCapability(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Store = putOnly{store.NewMemory()} })
	for _, path := range []string{ccfs.DeletePath, ccfs.DownloadPath} {
		status, resp, _ := e.do(req{path: path, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`)})
		if status != 404 || resp.ResultCode != "0300019" {
			t.Errorf("%s: %d %+v", path, status, resp)
		}
	}
}

type putOnly struct{ s store.Store }

func (p putOnly) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return p.s.Put(ctx, name, r, size)
}

// genStore serves one generated file of size bytes under every name in
// voice/53/IVRrecordFile/; reading it fails with failErr after failAt
// bytes (io.EOF: the file is shorter than its size says, as one truncated
// while it is sent).
type genStore struct {
	putOnly
	size, failAt int64
	failErr      error
}

func (g genStore) Open(name string) (fs.File, error) {
	if !strings.HasPrefix(name, "voice/53/IVRrecordFile/") {
		return nil, fs.ErrNotExist
	}
	return &genFile{g: g, name: path.Base(name)}, nil
}

type genFile struct {
	g    genStore
	name string
	off  int64
}

func (f *genFile) Stat() (fs.FileInfo, error) { return sizedInfo{f.name, f.g.size}, nil }
func (f *genFile) Read(p []byte) (int, error) {
	if f.off >= f.g.failAt {
		return 0, f.g.failErr
	}
	n := int(min(int64(len(p)), f.g.failAt-f.off))
	for i := range p[:n] {
		p[i] = byte(f.off + int64(i))
	}
	f.off += int64(n)
	return n, nil
}
func (f *genFile) Close() error { return nil }

type sizedInfo struct {
	name string
	size int64
}

func (i sizedInfo) Name() string       { return i.name }
func (i sizedInfo) Size() int64        { return i.size }
func (i sizedInfo) Mode() fs.FileMode  { return 0o640 }
func (i sizedInfo) ModTime() time.Time { return time.Time{} }
func (i sizedInfo) IsDir() bool        { return false }
func (i sizedInfo) Sys() any           { return nil }

// TestDownloadCutShort: a file that fails or ends early mid-way ends the
// response early, so the client sees an error rather than a silently
// shorter file; the log says why, at ERROR.
func TestDownloadCutShort(t *testing.T) {
	for name, failErr := range map[string]error{
		"read error": errors.New("disk on fire"),
		"truncated":  io.EOF,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.st = genStore{size: 1 << 20, failAt: 300_000, failErr: failErr}
			resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, "")})
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "1048576" {
				t.Fatalf("%d, Content-Length %q", resp.StatusCode, resp.Header.Get("Content-Length"))
			}
			if err == nil || int64(len(got)) >= 1<<20 {
				t.Fatalf("the client read %d bytes and %v; want an error before the end", len(got), err)
			}
			ev := e.waitEvent(t)
			if ev.Code != "0300023" || ev.Err == nil || ev.FileBytes != 300_000-300_000%(64<<10) {
				t.Fatalf("event %+v", ev)
			}
			if !strings.Contains(e.logs.String(), `"level":"ERROR","msg":"download"`) {
				t.Fatalf("no ERROR line:\n%s", e.logs.String())
			}
		})
	}
}

// TestDownloadDropsAClientThatStopsReading: a client that takes the
// download below the minimum rate is cut off, and its slot freed.
func TestDownloadDropsAClientThatStopsReading(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) {
		o.MinBodyRate = 64 << 20
		o.BodyRateGrace = 100 * time.Millisecond
		o.MaxInFlight, o.MaxInFlightPerKey = 1, 1
	})
	const size = 1 << 30
	e.st = genStore{size: size, failAt: size}
	resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, "")})
	defer resp.Body.Close()
	// Read nothing: the socket's buffers fill, and the server's writes stop.
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.mu.Lock()
		ev := e.event
		e.mu.Unlock()
		if ev.Code == "0300023" {
			if ev.FileBytes >= size || !errors.Is(ev.Err, os.ErrDeadlineExceeded) {
				t.Fatalf("event %+v", ev)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still sends to a client that reads nothing; event %+v", ev)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The slot is free again: the next download is served.
	seed(t, e.mem)
	e.st = e.mem
	if r := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, "")}); r.StatusCode != 200 || r.Header.Get("Content-Type") != ccfs.DownloadContentType {
		t.Fatalf("after the drop: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	} else {
		r.Body.Close()
	}
}

// TestDeleteAtOneLocation: in a CTI pool, locationId deletes the copy at
// that location only; without it, every copy goes.
func TestDeleteAtOneLocation(t *testing.T) {
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *ccfs.Options) { o.Store = p })
	seed(t, p)
	del := func(msgBody string) string {
		_, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(msgBody)})
		return resp.ResultCode
	}
	has := func() [2]bool {
		_, inA := a.Get(prompt53)
		_, inB := b.Get(prompt53)
		return [2]bool{inA, inB}
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"512"}`); code != "0300004" || has() != [2]bool{true, true} {
		t.Fatalf("unknown location: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"256"}`); code != "0" || has() != [2]bool{true, false} {
		t.Fatalf("at 256: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"256"}`); code != "0300021" {
		t.Fatalf("at 256 again: %s", code)
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `"}`); code != "0" || has() != [2]bool{false, false} {
		t.Fatalf("everywhere: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `"}`); code != "0300021" {
		t.Fatalf("everywhere again: %s", code)
	}
	if _, ok := a.Get(prompt53b); !ok {
		t.Fatal("another file went too")
	}
}

// TestDownloadFolderEvent: a folder download's Event and log line name
// the file sent, not the folder.
func TestDownloadFolderEvent(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/single", "1")})
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if ev := e.waitEvent(t); ev.Code != "0" || ev.FileName != "Y:/"+single53 || resp.Header.Get("Content-Disposition") != "attachment; filename=only.wav" {
		t.Fatalf("event %+v, Content-Disposition %q", ev, resp.Header.Get("Content-Disposition"))
	}
}

// flakyRemover is a Memory whose Remove fails while down is set.
type flakyRemover struct {
	*store.Memory
	down *atomic.Bool
}

func (f flakyRemover) Remove(ctx context.Context, name string) error {
	if f.down.Load() {
		return errors.New("location unreachable")
	}
	return f.Memory.Remove(ctx, name)
}

// TestDeleteWithALocationDown: a delete while one pool location is down
// removes the other copies and answers 0300016; once it is back, the same
// delete (signed anew) removes the last copy.
func TestDeleteWithALocationDown(t *testing.T) {
	var down atomic.Bool
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: flakyRemover{b, &down}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *ccfs.Options) { o.Store = p })
	seed(t, p)
	del := req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`)}
	down.Store(true)
	if _, resp, _ := e.do(del); resp.ResultCode != "0300016" {
		t.Fatalf("with 256 down: %+v", resp)
	}
	_, inA := a.Get(prompt53)
	_, inB := b.Get(prompt53)
	if inA || !inB {
		t.Fatalf("after the partial delete: at 0 %v, at 256 %v", inA, inB)
	}
	if !strings.Contains(e.logs.String(), "location 256: location unreachable") {
		t.Fatalf("the cause is not logged:\n%s", e.logs.String())
	}
	down.Store(false)
	if _, resp, _ := e.do(del); resp.ResultCode != "0" {
		t.Fatalf("the retry: %+v", resp)
	}
	if _, inB := b.Get(prompt53); inB {
		t.Fatal("the retry left the copy at 256")
	}
}

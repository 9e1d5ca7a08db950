package ccfs_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/ccfs-go/ccfs/store"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
)

// TestDownloadTable is downloadFile's hostile-input table.
func TestDownloadTable(t *testing.T) {
	get := func(name, filePath, mode string, status int, code string) smallCase {
		return smallCase{name: name, r: req{path: ccfs.DownloadPath, body: downloadBody(filePath, mode)}, status: status, code: code}
	}
	raw := func(name, msgBody string, status int, code string) smallCase {
		return smallCase{name: name, r: req{path: ccfs.DownloadPath, body: deleteBody(msgBody)}, status: status, code: code}
	}
	cases := commonCases(ccfs.DownloadPath, `{"filePath":"Y:/`+recording53+`"}`)
	cases = append(cases,
		get("a recording", "Y:/"+recording53, "", 200, "0"),
		get("an uploaded prompt", "Y:/"+prompt53, "", 200, "0"),
		get("mode 0 is a file", "Y:/"+recording53, "0", 200, "0"),
		get("mode 2 is a file", "Y:/"+recording53, "2", 200, "0"),
		get("the one file of a folder", "Y:/voice/53/IVRrecordFile/single", "1", 200, "0"),
		get("a folder with a trailing slash", "Y:/voice/53/IVRrecordFile/single/", "1", 200, "0"),
		get("a folder of two files", "Y:/3rdfile/53/thirdvoicebotfile", "1", 200, ccfs.ErrNotOneFile.Code()),
		get("a folder of no file, one folder", "Y:/voice/53/IVRrecordFile", "1", 200, ccfs.ErrNotOneFile.Code()),
		get("a folder that does not exist", "Y:/voice/53/IVRrecordFile/none", "1", 200, ccfs.ErrNoSuchFile.Code()),
		get("mode 1 on a file", "Y:/"+recording53, "1", 200, ccfs.ErrFormat.Code()),
		get("a folder without mode 1", "Y:/voice/53/IVRrecordFile/single", "", 200, ccfs.ErrNoSuchFile.Code()),
		get(`mode the string "1", as clients that quote every value write it`, "Y:/voice/53/IVRrecordFile/single", `"1"`, 200, "0"),
		get(`mode the string "0" is a file`, "Y:/"+recording53, `"0"`, 200, "0"),
		get(`mode the string "1" on a file`, "Y:/"+recording53, `"1"`, 200, ccfs.ErrFormat.Code()),
		get("mode a string that is no integer", "Y:/"+recording53, `"x"`, 200, ccfs.ErrFormat.Code()),
		get("mode a string with a space", "Y:/voice/53/IVRrecordFile/single", `" 1"`, 200, ccfs.ErrFormat.Code()),
		get("mode an empty string", "Y:/"+recording53, `""`, 200, ccfs.ErrFormat.Code()),
		get("mode a fraction", "Y:/"+recording53, "1.5", 200, ccfs.ErrFormat.Code()),
		get("mode true", "Y:/"+recording53, "true", 200, ccfs.ErrFormat.Code()),
		get("mode null is a file", "Y:/"+recording53, "null", 200, "0"),
		raw("filePath missing", `{"mode":1}`, 200, ccfs.ErrNull.Code()),
		raw("filePath null", `{"filePath":null}`, 200, ccfs.ErrNull.Code()),
		raw("filePath empty", `{"filePath":""}`, 200, ccfs.ErrEmpty.Code()),
		raw("filePath a number", `{"filePath":1}`, 200, ccfs.ErrFormat.Code()),
		raw("filePath twice", `{"filePath":"Y:/`+recording53+`","filePath":"Y:/`+recording99+`"}`, 200, ccfs.ErrFormat.Code()),
		raw("mode twice", `{"filePath":"Y:/`+recording53+`","mode":0,"mode":1}`, 200, ccfs.ErrFormat.Code()),
		get("filePath too long", "Y:/voice/53/IVRrecordFile/"+strings.Repeat("a", 1100), "", 200, ccfs.ErrTooLong.Code()),
		get("another tenant's recording", "Y:/"+recording99, "", 401, ccfs.ErrVDNForbidden.Code()),
		get("another tenant's prompt", "Y:/"+prompt99, "", 401, ccfs.ErrVDNForbidden.Code()),
		get("another tenant's folder", "Y:/voice/99/IVRrecordFile", "1", 401, ccfs.ErrVDNForbidden.Code()),
		get("does not exist", "Y:/voice/53/IVRrecordFile/none.wav", "", 200, ccfs.ErrNoSuchFile.Code()),
		get("outside every rule", "Y:/etc/passwd", "", 200, ccfs.ErrFormat.Code()),
		get("the rule's directory as a file", "Y:/voice/53/IVRrecordFile", "", 200, ccfs.ErrFormat.Code()),
		get("a rule's parent", "Y:/voice/53", "1", 200, ccfs.ErrFormat.Code()),
		get("no root prefix", "/"+recording53, "", 200, ccfs.ErrFormat.Code()),
		get("another drive", "C:/"+recording53, "", 200, ccfs.ErrFormat.Code()),
		get("backslashes", `Y:\voice\53\IVRrecordFile\20261125\call-1.wav`, "", 200, ccfs.ErrFormat.Code()),
		get("dot-dot to another tenant", "Y:/voice/53/IVRrecordFile/../../99/IVRrecordFile/call-9.wav", "", 200, ccfs.ErrFormat.Code()),
		get("dot-dot out of the root", "Y:/voice/53/IVRrecordFile/../../../../etc/passwd", "", 200, ccfs.ErrFormat.Code()),
		get("encoded dot-dot", "Y:/voice/53/IVRrecordFile/%2e%2e/%2e%2e/99/IVRrecordFile/call-9.wav", "", 200, ccfs.ErrFormat.Code()),
		// JSON carries the bytes as U+FFFD: a name like any other, not a dot.
		get("overlong UTF-8 dots", "Y:/voice/53/IVRrecordFile/\xc0\xae\xc0\xae/x.wav", "", 200, ccfs.ErrNoSuchFile.Code()),
		get("a dot segment", "Y:/voice/53/IVRrecordFile/./20261125/call-1.wav", "", 200, ccfs.ErrFormat.Code()),
		get("doubled slash", "Y:/voice/53/IVRrecordFile//20261125/call-1.wav", "", 200, ccfs.ErrFormat.Code()),
		get("a NUL byte", "Y:/"+recording53+"\x00", "", 200, ccfs.ErrFormat.Code()),
		get("VDN with a leading zero", "Y:/voice/053/IVRrecordFile/20261125/call-1.wav", "", 200, ccfs.ErrFormat.Code()),
	)
	runSmallCases(t, cases)
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

// TestDownloadRefusesSymlinkEscape: on a store.Dir, a link inside a
// tenant's folder that points out of the root serves nothing.
func TestDownloadRefusesSymlinkEscape(t *testing.T) {
	d, root := newDirStore(t)
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
			if ev.Code != ccfs.ErrCutShort.Code() || ev.Err == nil || ev.FileBytes != 300_000-300_000%(64<<10) {
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
		if ev.Code == ccfs.ErrCutShort.Code() {
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

// putOnly is a store that only stores: it can neither open nor remove.
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

func (i sizedInfo) Name() string { return i.name }

func (i sizedInfo) Size() int64 { return i.size }

func (i sizedInfo) Mode() fs.FileMode { return 0o640 }

func (i sizedInfo) ModTime() time.Time { return time.Time{} }

func (i sizedInfo) IsDir() bool { return false }

func (i sizedInfo) Sys() any { return nil }

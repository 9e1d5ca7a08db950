package ccfs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
)

// The links an operator or a recording system might make inside a
// store.Dir lead no request of VDN 53's key into VDN 99's files: not a
// download through a file link, a directory link (with and without mode
// 1) or a hard link, not a delete, not an upload. Each is what an outside
// review did to a live server.
func TestNoLinkLeadsToAnotherTenant(t *testing.T) {
	d, root := newDirStore(t)
	e := newEnv(t, func(o *ccfs.Options) { o.Store, o.ListFiles = d, true }) // d itself: listFiles needs a store that lists
	e.st = d
	seed(t, d)
	on := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	for _, err := range []error{
		os.Symlink("../../../99/IVRrecordFile/call-9.wav", on("voice/53/IVRrecordFile/20261125/link99.wav")),
		os.Symlink("../../99/IVRrecordFile", on("voice/53/IVRrecordFile/dir99")),
		os.Link(on(prompt99), on("3rdfile/53/thirdvoicebotfile/hard99.wav")),
		os.MkdirAll(on("3rdfile/54"), 0o750),
		os.Symlink("../99/thirdvoicebotfile", on("3rdfile/54/thirdvoicebotfile")), // VDN 54's prompts are VDN 99's
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		what string
		r    req
	}{
		{"download through a file link", req{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/20261125/link99.wav", "")}},
		{"download through a directory link", req{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/dir99/call-9.wav", "")}},
		{"download of a linked folder, mode 1", req{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/dir99", "1")}},
		{"download of a hard link", req{path: ccfs.DownloadPath, body: downloadBody("Y:/3rdfile/53/thirdvoicebotfile/hard99.wav", "")}},
		{"delete through a directory link", req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/3rdfile/54/thirdvoicebotfile/cccccccc_3.wav"}`)}},
		{"delete of a hard link", req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/hard99.wav"}`)}},
	} {
		e.logs.Reset()
		resp := e.send(c.r)
		var got bytes.Buffer
		got.ReadFrom(resp.Body)
		resp.Body.Close()
		if strings.Contains(got.String(), "RIFF voice/99") || strings.Contains(got.String(), "RIFF 3rdfile/99") ||
			!strings.Contains(got.String(), `"resultCode":"`+ccfs.ErrNoSuchFile.Code()+`"`) {
			t.Errorf("%s: %d %.200s", c.what, resp.StatusCode, got.String())
		}
		if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
			t.Errorf("%s: logged at ERROR: %s", c.what, e.logs.String())
		}
	}
	// listFiles shows no link: not the hard link in VDN 53's folder, not
	// VDN 54's folder that is VDN 99's.
	for _, c := range []struct {
		vdn  int
		want string
	}{{53, `"fileName":"Y:/` + prompt53 + `"`}, {54, `"files":[]`}} {
		resp := e.send(req{path: ccfs.ListPath, body: listBody(c.vdn, 0, "")})
		var got bytes.Buffer
		got.ReadFrom(resp.Body)
		resp.Body.Close()
		if strings.Contains(got.String(), "/99/") || strings.Contains(got.String(), "cccccccc") || strings.Contains(got.String(), "hard") || !strings.Contains(got.String(), c.want) {
			t.Errorf("listing VDN %d: %d %.300s", c.vdn, resp.StatusCode, got.String())
		}
	}
	if _, err := os.Stat(on(prompt99)); err != nil {
		t.Fatalf("VDN 99's prompt: %v", err)
	}
	// An upload to VDN 54, whose prompt folder is a link to VDN 99's, does
	// not land there.
	status, resp, _ := e.do(req{query: "vdnId=54", body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Errorf("upload through a directory link: %d %+v", status, resp)
	}
	if entries, _ := os.ReadDir(on("3rdfile/99/thirdvoicebotfile")); len(entries) != 1 {
		t.Errorf("VDN 99's folder holds %d files, want its one", len(entries))
	}
}

// Downloading a named pipe answers at once, without blocking a slot.
func TestDownloadOfANamedPipe(t *testing.T) {
	d, root := newDirStore(t)
	e := newEnv(t, nil)
	e.st = d
	seed(t, d)
	if err := syscall.Mkfifo(filepath.Join(root, "voice/53/IVRrecordFile/20261125/pipe.wav"), 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	start := time.Now()
	status, resp, _ := e.do(req{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/20261125/pipe.wav", "")})
	if resp.ResultCode != ccfs.ErrNoSuchFile.Code() || time.Since(start) > 2*time.Second || e.h.InFlight() != 0 {
		t.Fatalf("%d %+v after %v", status, resp, time.Since(start))
	}
}

// A name the filesystem cannot hold is the caller's mistake: 0300004,
// logged at INFO, never the store's 0300016 and ERROR that operators
// alert on.
func TestOverlongNameIsTheCallersError(t *testing.T) {
	d, _ := newDirStore(t)
	e := newEnv(t, nil)
	e.st = d
	long := strings.Repeat("a", 300) + ".wav"
	for _, r := range []req{
		{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/"+long, "")},
		{path: ccfs.DownloadPath, body: downloadBody("Y:/voice/53/IVRrecordFile/"+long, "1")},
		{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/` + long + `"}`)},
	} {
		e.logs.Reset()
		status, resp, _ := e.do(r)
		if resp.ResultCode != ccfs.ErrFormat.Code() || strings.Contains(e.logs.String(), `"level":"ERROR"`) {
			t.Errorf("%s: %d %+v\n%s", r.path, status, resp, e.logs.String())
		}
	}
}

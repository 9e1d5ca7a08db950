package ccfs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/store"
)

// DownloadContentType is the Content-Type of a downloaded file, spelled
// as the vendor spells it.
const DownloadContentType = "Application/Octet-stream;charset=UTF-8"

// serveDownload runs one downloadFile request: the checks that need no
// body, the body read whole and its signature checked, the path it names
// checked against the download path rules and the key's VDNs, then the
// file streamed. It returns a cutShort if the file fails after its first
// byte was sent.
func (h *Handler) serveDownload(w http.ResponseWriter, r *http.Request, ev *Event) (*Response, error) {
	x, filePath, rawMode, release, err := h.beginSmall(w, r, ev, "filePath", "mode")
	if err != nil {
		return nil, err
	}
	defer release()
	folder, err := modeField(rawMode)
	if err != nil {
		return nil, err
	}
	name, err := h.cfg.storeName("filePath", filePath, folder)
	if err != nil {
		return nil, err
	}
	vdn, _, ok := match(h.cfg.download, name, !folder)
	if !ok {
		return nil, ErrFormat.with("the format of filePath is incorrect: it is not under the Third-Party Recording Download Path Rule %s", h.cfg.DownloadPathRule)
	}
	ev.VDN = vdn
	if err := checkOwner(x, vdn); err != nil {
		return nil, err
	}
	shown := filePath // the path an answer quotes
	if folder {
		if name, err = theOneFile(h.cfg.opener, name, filePath); err != nil {
			return nil, err
		}
		shown = h.cfg.RootPrefix + "/" + name
		ev.FileName = shown // the file sent, not the folder
	}
	f, info, err := openFile(h.cfg.opener, name, shown)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := h.send(w, r, f, info, ev); err != nil {
		return nil, err
	}
	if h.cfg.DownloadEvents {
		h.recordDownload(r.Context(), vdn, name, info.Size(), ev)
	}
	return nil, nil
}

// recordDownload records a recording.downloaded event for a file sent
// whole (Options.DownloadEvents). Nothing changed in the store, so it is
// prepared and committed at once; a failure is logged, since the file has
// been sent.
func (h *Handler) recordDownload(ctx context.Context, vdn int, name string, size int64, req *Event) {
	event := h.cfg.newEvent(events.RecordingDownloaded, vdn, name, size, req)
	intent, err := h.cfg.prepareEvent(ctx, event)
	if err != nil {
		h.cfg.Logger.Error("events: a download's event could not be recorded", "event", event.ID, "file", event.FileName, "err", err)
		return
	}
	h.cfg.settleEvent(ctx, intent, event, true)
}

// modeField reads downloadFile's mode: an integer, or a string holding
// one (clients that write every value as a string send "1"); 1 names a
// folder, any other value (or none) a file.
func modeField(raw json.RawMessage) (folder bool, err error) {
	if isNull(raw) {
		return false, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			text = ""
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return false, ErrFormat.with("the format of mode is incorrect: it is not an integer")
	}
	return n == ModeFolder, nil
}

// theOneFile returns the name of the one file in the folder dir, which
// the caller named shown, or says why there is not exactly one.
// Subfolders do not count.
func theOneFile(op store.Opener, dir, shown string) (string, error) {
	d, err := op.Open(dir)
	if err != nil {
		return "", openError(err, "folder", shown)
	}
	defer d.Close()
	rd, ok := d.(fs.ReadDirFile)
	if info, err := d.Stat(); !ok || err != nil || !info.IsDir() {
		return "", ErrFormat.with("the format of filePath is incorrect: with mode 1 it must name a folder")
	}
	var one string
	files := 0
	for files < 2 {
		entries, err := rd.ReadDir(64)
		for _, e := range entries {
			if e.Type().IsRegular() {
				files++
				one = e.Name()
			}
		}
		if err == io.EOF || err == nil && len(entries) == 0 {
			break
		}
		if err != nil {
			return "", ErrStorage.with("the folder could not be listed").because(err)
		}
	}
	switch files {
	case 0:
		return "", ErrNotOneFile.with("the folder holds no file")
	case 1:
		return dir + "/" + one, nil
	}
	return "", ErrNotOneFile.with("the folder holds more than one file")
}

// openFile opens the file name, which must be a regular file; shown is
// its path as the caller named it (or, for mode 1, the folder's and the
// file's), which an answer quotes.
func openFile(op store.Opener, name, shown string) (fs.File, fs.FileInfo, error) {
	f, err := op.Open(name)
	if err != nil {
		return nil, nil, openError(err, "file", shown)
	}
	info, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, nil, ErrStorage.with("the file could not be read").because(err)
	case info.IsDir():
		f.Close()
		return nil, nil, noSuchFile("file", shown, "names a folder (mode 1 downloads the one file in a folder)")
	case !info.Mode().IsRegular():
		f.Close()
		return nil, nil, noSuchFile("file", shown, "names something other than a file")
	}
	return f, info, nil
}

// openError maps a store's failure to open a file or folder, which the
// caller named shown.
func openError(err error, what, shown string) error {
	if missing(err) {
		return noSuchFile(what, shown, "").because(err)
	}
	return ErrStorage.with("the %s could not be read", what).because(err)
}

// sendChunk is how much of a file is read and written at a time.
const sendChunk = 64 << 10

// sendBufs recycles the buffers of downloads in progress.
var sendBufs = sync.Pool{New: func() any { return new([sendChunk]byte) }}

// send streams f, of info.Size() bytes, as the response: exactly that
// many bytes, in fixed memory, held to the minimum rate. Once the first
// byte is out a failure can only cut the response short: it returns a
// cutShort.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, f fs.File, info fs.FileInfo, ev *Event) error {
	size := info.Size()
	hdr := w.Header()
	hdr.Set("Content-Type", DownloadContentType)
	hdr.Set("Content-Length", strconv.FormatInt(size, 10))
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": info.Name()}); cd != "" {
		hdr.Set("Content-Disposition", cd)
	}
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	p := newWritePace(w, r, h)
	buf := sendBufs.Get().(*[sendChunk]byte)
	defer sendBufs.Put(buf)
	var sent int64
	defer func() { ev.FileBytes = sent }()
	for sent < size {
		n, err := io.ReadFull(f, buf[:min(int64(len(buf)), size-sent)])
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("the file ended after %d of its %d bytes", sent+int64(n), size)
			}
			return cutShort{fileReadError{err}}
		}
		if err := p.before(sent, n); err != nil {
			return cutShort{fmt.Errorf("sending the file: %w", err)}
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return cutShort{fmt.Errorf("sending the file: %w", err)}
		}
		sent += int64(n)
	}
	p.done()
	return nil
}

// A cutShort is a download that failed after its first byte was sent.
type cutShort struct{ err error }

func (e cutShort) Error() string { return "download cut short: " + e.err.Error() }

func (e cutShort) Unwrap() error { return e.err }

// A fileReadError is a failure to read a file being downloaded: the
// store's fault, not the client's.
type fileReadError struct{ err error }

func (e fileReadError) Error() string { return "reading the file: " + e.err.Error() }

func (e fileReadError) Unwrap() error { return e.err }

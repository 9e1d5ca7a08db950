package console

// A VDN's prompts: the page that lists them a page at a time (with each
// one's duration read from its header), its download, and its delete
// with a confirmation. Every name is checked by the Handler's operator's
// tools, which refuse anything that is not a prompt of the VDN.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
)

// The prompts page's size: promptsLimit by default, at most
// maxPromptsLimit.
const (
	promptsLimit    = 50
	maxPromptsLimit = 200
)

// Reading the durations of a page's prompts: at most durationsAtOnce
// files at once, each given at most durationTimeout.
const (
	durationsAtOnce = 8
	durationTimeout = 2 * time.Second
)

// maxPathVDN bounds a VDN's number in a path.
const maxPathVDN = 1<<31 - 1

// A promptRow is one prompt on the prompts page.
type promptRow struct {
	Name     string // the base name
	URL      string // the console's path of the prompt: …/vdn/53/prompt/NAME
	Size     int64
	Modified time.Time
	// Seconds is how long it plays, if Readable; Problem says why not.
	Seconds  float64
	Readable bool
	Problem  string
}

// SecondsSort is the duration for sorting: seconds with 3 decimals.
func (p promptRow) SecondsSort() string { return strconv.FormatFloat(p.Seconds, 'f', 3, 64) }

// SecondsText is the duration for reading: "1.50 s".
func (p promptRow) SecondsText() string { return strconv.FormatFloat(p.Seconds, 'f', 2, 64) + " s" }

// promptsPage is what prompts.html shows.
type promptsPage struct {
	VDN      int
	Dir      string
	Usage    string // the VDN's usage against its quota, or ""
	Deleted  string // the base name of a prompt just deleted, or ""
	Files    []promptRow
	After    string // the page begins after this base name
	FirstURL string // the first page, if this is not it
	NextURL  string // the next page, if there may be one
}

// servePrompts lists a VDN's prompts, a page at a time:
// ?after=BASE&limit=N (1–200, 50 by default).
func (c *Console) servePrompts(w http.ResponseWriter, r *http.Request) {
	vdn, ok := c.vdnParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit := promptsLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPromptsLimit {
			c.fail(w, r, http.StatusBadRequest, fmt.Sprintf("The page size (limit) must be a whole number from 1 to %d, not %q.", maxPromptsLimit, clip(s)))
			return
		}
		limit = n
	}
	after := q.Get("after")
	h := c.opts.Handler
	files, more, err := h.Prompts(r.Context(), vdn, after, limit)
	if err != nil {
		c.promptFail(w, r, err)
		return
	}
	page := promptsPage{VDN: vdn, Dir: h.PromptDir(vdn), After: after, Files: make([]promptRow, len(files))}
	self := c.promptsURL(vdn)
	for i, f := range files {
		base := path.Base(f.FileName)
		page.Files[i] = promptRow{Name: base, URL: self + "prompt/" + url.PathEscape(base), Size: f.Size, Modified: f.Modified}
	}
	c.readDurations(r.Context(), vdn, page.Files)
	sizeQuery := url.Values{}
	if limit != promptsLimit {
		sizeQuery.Set("limit", strconv.Itoa(limit))
	}
	if after != "" {
		page.FirstURL = self
		if len(sizeQuery) > 0 {
			page.FirstURL += "?" + sizeQuery.Encode()
		}
	}
	if more && len(page.Files) > 0 {
		sizeQuery.Set("after", page.Files[len(page.Files)-1].Name)
		page.NextURL = self + "?" + sizeQuery.Encode()
	}
	if d := q.Get("deleted"); d != "" && len(d) <= 255 && c.deletedMark(vdn, d) == q.Get("mark") {
		page.Deleted = d
	}
	page.Usage = c.promptsUsage(r.Context(), vdn)
	c.render(w, r, http.StatusOK, "prompts", "Prompts of VDN "+strconv.Itoa(vdn), "tenants", page)
}

// readDurations fills in each row's duration from its file's header, a
// few files at once, each bounded in time: a file that cannot be read in
// time, or whose header is no WAV header, is marked unreadable.
func (c *Console) readDurations(ctx context.Context, vdn int, rows []promptRow) {
	slots := make(chan struct{}, durationsAtOnce)
	var wg sync.WaitGroup
	for i := range rows {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			row := &rows[i]
			secs, err := c.promptSeconds(ctx, vdn, row.Name)
			if err != nil {
				row.Problem = err.Error()
				return
			}
			row.Seconds, row.Readable = secs, true
		})
	}
	wg.Wait()
}

// promptSeconds reads how long vdn's prompt base plays from its header,
// giving up after durationTimeout (the read then finishes on its own and
// closes the file).
func (c *Console) promptSeconds(ctx context.Context, vdn int, base string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, durationTimeout)
	defer cancel()
	type result struct {
		secs float64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, info, err := c.opts.Handler.OpenPrompt(ctx, vdn, base)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		pf, err := readPromptHeader(f, info.Size())
		if err != nil {
			done <- result{err: err}
			return
		}
		secs, ok := pf.durationSeconds()
		if !ok {
			done <- result{err: errors.New("its header gives no byte rate")}
			return
		}
		done <- result{secs: secs}
	}()
	select {
	case res := <-done:
		return res.secs, res.err
	case <-ctx.Done():
		return 0, errors.New("its header could not be read in time")
	}
}

// promptsUsage is the VDN's usage line, when it is cheap: with quotas on
// (the ledger says it at once). Without quotas, usage is counted over the
// whole store, which is the tenants page's job, not every page of
// prompts'.
func (c *Console) promptsUsage(ctx context.Context, vdn int) string {
	h := c.opts.Handler
	if !h.Quotas() {
		return ""
	}
	us, err := h.Usage(ctx, []int{vdn})
	if err != nil {
		return ""
	}
	u := us[vdn]
	s := humanSize(u.Bytes)
	if u.Limit.Bytes > 0 {
		s += " of " + humanSize(u.Limit.Bytes)
	}
	s += " used, " + strconv.FormatInt(u.Files, 10)
	if u.Limit.Files > 0 {
		s += " of " + strconv.FormatInt(u.Limit.Files, 10)
	}
	return s + " files"
}

// vdnParam reads the path's {vdn}, or answers 400 and returns false.
func (c *Console) vdnParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.PathValue("vdn")
	vdn, err := strconv.Atoi(s)
	if err != nil || vdn <= 0 || vdn > maxPathVDN || strconv.Itoa(vdn) != s {
		c.fail(w, r, http.StatusBadRequest, fmt.Sprintf("%q is not a VDN: a VDN is a whole number from 1 on, such as 53.", clip(s)))
		return 0, false
	}
	return vdn, true
}

// promptParams reads the path's {vdn} and {name} (a prompt's base name,
// which the Handler's tools check), or answers 400 and returns false.
func (c *Console) promptParams(w http.ResponseWriter, r *http.Request) (int, string, bool) {
	vdn, ok := c.vdnParam(w, r)
	if !ok {
		return 0, "", false
	}
	name := r.PathValue("name")
	if name == "" || len(name) > 1024 {
		c.fail(w, r, http.StatusBadRequest, "No prompt is named.")
		return 0, "", false
	}
	return vdn, name, true
}

// openPrompt opens the prompt the path names ({vdn}, {name}) through the
// Handler's tools, or answers why not and returns false. The caller
// closes f.
func (c *Console) openPrompt(w http.ResponseWriter, r *http.Request) (vdn int, base string, f fs.File, info fs.FileInfo, ok bool) {
	if vdn, base, ok = c.promptParams(w, r); !ok {
		return 0, "", nil, nil, false
	}
	f, info, err := c.opts.Handler.OpenPrompt(r.Context(), vdn, base)
	if err != nil {
		c.promptFail(w, r, err)
		return 0, "", nil, nil, false
	}
	return vdn, base, f, info, true
}

// promptFail answers with the page of a Handler tool's failure, with the
// status its kind deserves: 404 for no such file, 400 for a name or VDN
// that is no prompt's, 503 for a store that failed or cannot, 500 for
// anything else.
func (c *Console) promptFail(w http.ResponseWriter, r *http.Request, err error) {
	var e ccfs.Error
	if !errors.As(err, &e) {
		c.opts.Logger.Error("console: a prompt could not be read", "err", err)
		c.fail(w, r, http.StatusInternalServerError, "Something went wrong; the server's log says what.")
		return
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(e, ccfs.ErrNoSuchFile):
		status = http.StatusNotFound
	case errors.Is(e, ccfs.ErrFormat), errors.Is(e, ccfs.ErrNull), errors.Is(e, ccfs.ErrEmpty), errors.Is(e, ccfs.ErrTooLong):
		status = http.StatusBadRequest
	case errors.Is(e, ccfs.ErrStorage):
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		c.opts.Logger.Error("console: a prompt could not be read or removed", "err", err)
	}
	c.fail(w, r, status, promptSentence(e.Desc()))
}

// promptSentence capitalises s and ends it with a full stop.
func promptSentence(s string) string {
	if s == "" {
		return s
	}
	if 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if last := s[len(s)-1]; last != '.' && last != '?' && last != '!' {
		s += "."
	}
	return s
}

// serveDownload sends a prompt as it is stored, as an attachment.
func (c *Console) serveDownload(w http.ResponseWriter, r *http.Request) {
	_, base, f, info, ok := c.openPrompt(w, r)
	if !ok {
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": base})
	if disp == "" { // a name no header can carry
		disp = `attachment; filename="prompt.wav"`
	}
	h.Set("Content-Disposition", disp)
	h.Set("Cache-Control", "private, no-store")
	if rs, ok := f.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", info.ModTime(), rs)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size(), 10))
	if r.Method != http.MethodHead {
		io.Copy(w, f)
	}
}

// deletePage is what delete.html shows.
type deletePage struct {
	VDN      int
	Name     string
	Size     int64
	Modified time.Time
	Back     string // the VDN's prompts page
}

// serveDeleteForm asks the operator to confirm a delete, naming the
// prompt, its size and its time.
func (c *Console) serveDeleteForm(w http.ResponseWriter, r *http.Request) {
	vdn, base, f, info, ok := c.openPrompt(w, r)
	if !ok {
		return
	}
	f.Close()
	c.render(w, r, http.StatusOK, "delete", "Delete "+base+"?", "tenants", deletePage{
		VDN: vdn, Name: base, Size: info.Size(), Modified: info.ModTime(), Back: c.promptsURL(vdn),
	})
}

// serveDelete deletes a prompt once confirmed (operatorOnly has checked
// the form's token), and sends the operator back to the VDN's prompts,
// which say what was deleted. The Handler logs the audit line.
func (c *Console) serveDelete(w http.ResponseWriter, r *http.Request) {
	vdn, base, ok := c.promptParams(w, r)
	if !ok {
		return
	}
	if err := c.opts.Handler.RemovePrompt(r.Context(), vdn, base, operatorOf(r).name); err != nil {
		c.promptFail(w, r, err)
		return
	}
	http.Redirect(w, r, c.promptsURL(vdn)+"?deleted="+url.QueryEscape(base)+"&mark="+c.deletedMark(vdn, base), http.StatusSeeOther)
}

// deletedMark is what the link a delete sends the operator to carries
// beside the name deleted: an HMAC of the VDN and the name, keyed with a
// secret of this console's, so that the prompts page says something was
// deleted only when the console's own delete sent the operator there,
// never because a link someone wrote says so.
func (c *Console) deletedMark(vdn int, base string) string {
	m := hmac.New(sha256.New, c.flashKey[:])
	m.Write([]byte(strconv.Itoa(vdn) + "/" + base))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// promptsURL is the path of vdn's prompts page.
func (c *Console) promptsURL(vdn int) string {
	return c.opts.Path + "vdn/" + strconv.Itoa(vdn) + "/"
}

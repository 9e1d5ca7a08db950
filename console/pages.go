package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the console's templates: each page's own file, parsed with
// the layout (layout.html), which defines the frame every page shares.
type pages struct {
	byName map[string]*template.Template
}

// loadPages parses every page with the layout; a page is named by its
// file, without ".html".
func loadPages() *pages {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
		p.byName[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return p
}

// A view is what every page's template is given: the frame's parts and
// the page's own data (Data).
type view struct {
	Base     string // Options.Path
	Title    string
	Nav      string // the navigation entry of this page: "overview", "tenants", "refusals"
	Operator string // "" on the sign-in page
	Token    string // the session's form token, for forms that change something
	SignOut  bool   // the console has its own sessions, so a sign-out button
	Data     any
}

// render writes the page name with data, as status. A page is built
// whole before its first byte is sent, so a template's failure is a 500,
// never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, data any) {
	t := c.pages.byName[name]
	if t == nil {
		panic("console: no page " + name)
	}
	op := operatorOf(r)
	v := view{Base: c.opts.Path, Title: title, Nav: nav, Operator: op.name, Token: op.token, SignOut: c.opts.Users != nil && op.name != "", Data: data}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		c.opts.Logger.Error("console: a page could not be rendered", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; the server's log says why", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail answers with the error page, saying msg, with a link back to
// where the operator was: the sign-in once signed out, a VDN's prompts
// from one of its prompts, the refusals from a refusal.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	e := failure{Message: msg, Back: c.opts.Path, BackText: "Back to the overview"}
	switch vdn, err := strconv.Atoi(r.PathValue("vdn")); {
	case status == http.StatusUnauthorized && c.opts.Users != nil:
		e.Back, e.BackText = c.opts.Path+"signin", "Sign in"
	case err == nil && vdn > 0 && vdn <= maxPathVDN:
		e.Back, e.BackText = c.opts.Path+"vdn/"+strconv.Itoa(vdn)+"/", "Back to the prompts of VDN "+strconv.Itoa(vdn)
	case strings.HasPrefix(r.URL.Path, c.opts.Path+"refusals/"):
		e.Back, e.BackText = c.opts.Path+"refusals", "Back to the refusals"
	}
	title := failTitles[status]
	if title == "" {
		title = http.StatusText(status)
	}
	c.render(w, r, status, "error", title, "", e)
}

// A failure is what the error page says, and where it leads back to.
type failure struct{ Message, Back, BackText string }

// failTitles are the error page's headings in an operator's words
// rather than HTTP's ("Unprocessable Entity").
var failTitles = map[int]string{
	http.StatusBadRequest:          "Not understood",
	http.StatusUnauthorized:        "Signed out",
	http.StatusForbidden:           "Refused",
	http.StatusNotFound:            "Not found",
	http.StatusUnprocessableEntity: "Cannot be read",
	http.StatusInternalServerError: "Something went wrong",
	http.StatusServiceUnavailable:  "Not available now",
}

// signinPage shows the sign-in form, with msg if there is something to
// say.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request, status int, name, next, msg string) {
	c.render(w, r, status, "signin", "Sign in", "", struct{ Name, Next, Message string }{name, next, msg})
}

// serveStatic serves the console's style sheet and script.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/" + path.Base(r.PathValue("file")))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(r.PathValue("file")) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write(b)
}

// urlQueryEscape escapes s for a URL's query.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"size":     humanSize,
	"time":     timeTag,
	"percent":  percent,
	"query":    url.QueryEscape,
	"pathpart": url.PathEscape,
}

// humanSize writes n bytes for a person, in powers of 1024: "512 B",
// "40 KiB", "9.5 MiB".
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v /= 1024
		if v < 1024 || u == "PiB" {
			return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + u
		}
	}
	panic("unreachable")
}

// timeTag writes t as a <time> element: its text in UTC, which the
// console's script rewrites in the operator's locale, the UTC time kept
// on hover (title). A zero time is a dash.
func timeTag(t time.Time) template.HTML {
	if t.IsZero() {
		return "—"
	}
	u := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		u.Format(time.RFC3339Nano), u.Format("2006-01-02 15:04:05 UTC"), u.Format("2006-01-02 15:04:05 UTC")))
}

// percent is part of whole as a whole percentage from 0 to 100, for a
// bar's width; 0 for no whole.
func percent(part, whole int64) int {
	if whole <= 0 || part <= 0 {
		return 0
	}
	if part >= whole {
		return 100
	}
	return int(part * 100 / whole)
}

package ccfs_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
	"golang.org/x/time/rate"
)

// newListEnv returns an env whose handler serves listFiles over st.
func newListEnv(t *testing.T, st store.Store) *env {
	return newEnv(t, func(o *ccfs.Options) { o.Store, o.ListFiles, o.RatePerKey = st, true, rate.Inf })
}

// listBody is a listFiles request body for vdn, with a limit (0: none)
// and a pageToken ("" none).
func listBody(vdn, limit int, token string) []byte {
	m := fmt.Sprintf(`{"vdnId":%d`, vdn)
	if limit != 0 {
		m += fmt.Sprintf(`,"limit":%d`, limit)
	}
	if token != "" {
		m += `,"pageToken":` + jsonString(token)
	}
	return deleteBody(m + "}")
}

// list sends a listFiles request and decodes its answer strictly.
func (e *env) list(r req) (int, ccfs.ListResponse, string) {
	e.t.Helper()
	r.path = ccfs.ListPath
	resp := e.send(r)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		e.t.Fatalf("Content-Type %q: %s", ct, raw)
	}
	var out ccfs.ListResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("answer %q: %v", raw, err)
	}
	if out.ResultCode == ccfs.SuccessCode { // a listing holds nothing else
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			e.t.Fatalf("answer %q: %v", raw, err)
		}
	}
	return resp.StatusCode, out, string(raw)
}

// page lists one page of vdn and fails the test unless it succeeds.
func (e *env) page(vdn, limit int, token string) ccfs.ListResult {
	e.t.Helper()
	status, out, raw := e.list(req{body: listBody(vdn, limit, token)})
	if status != 200 || out.ResultCode != "0" || out.ResultData == nil {
		e.t.Fatalf("listing VDN %d: %d %s", vdn, status, raw)
	}
	return *out.ResultData
}

func putFile(t testing.TB, s store.Store, name, content string) {
	t.Helper()
	if _, err := s.Put(context.Background(), name, strings.NewReader(content), -1); err != nil {
		t.Fatal(err)
	}
}

func promptName(vdn int, base string) string {
	return fmt.Sprintf("3rdfile/%d/thirdvoicebotfile/%s", vdn, base)
}

// 25 prompts are listed in 3 pages of 10, 10 and 5, each once, in the
// order of their names, the last page without a nextPageToken.
func TestListFilesPages(t *testing.T) {
	mem := store.NewMemory()
	var want []string
	for i := range 25 {
		n := promptName(53, fmt.Sprintf("p%02d_%d.wav", 24-i, i)) // put out of order
		putFile(t, mem, n, strings.Repeat("x", i+1))
		want = append(want, "Y:/"+n)
	}
	slices.Sort(want)
	putFile(t, mem, promptName(54, "other.wav"), "x") // the key's other VDN: not on this listing
	e := newListEnv(t, mem)
	var got []string
	var sizes []int
	token := ""
	for i, wantLen := range []int{10, 10, 5} {
		p := e.page(53, 10, token)
		if len(p.Files) != wantLen {
			t.Fatalf("page %d holds %d files, want %d", i+1, len(p.Files), wantLen)
		}
		for _, f := range p.Files {
			got = append(got, f.FileName)
			sizes = append(sizes, int(f.Size))
			if f.Modified.Location() != time.UTC || f.Modified.IsZero() || f.LocationIDs != nil {
				t.Errorf("%s: modified %v, locationIds %v", f.FileName, f.Modified, f.LocationIDs)
			}
		}
		if last := i == 2; last != (p.NextPageToken == "") {
			t.Fatalf("page %d: nextPageToken %q", i+1, p.NextPageToken)
		}
		token = p.NextPageToken
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed\n%v\nwant\n%v", got, want)
	}
	for i, f := range got {
		b, _ := mem.Get(strings.TrimPrefix(f, "Y:/"))
		if sizes[i] != len(b) {
			t.Errorf("%s: size %d, want %d", f, sizes[i], len(b))
		}
	}
	ev := e.waitEvent(t)
	if ev.Interface != ccfs.InterfaceList || ev.VDN != 53 || !ev.KeyVerified {
		t.Errorf("Event %+v", ev)
	}
	// The default limit, and an empty VDN's page: [] and no token.
	if p := e.page(53, 0, ""); len(p.Files) != 25 || p.NextPageToken != "" {
		t.Errorf("default limit: %d files, token %q", len(p.Files), p.NextPageToken)
	}
	if _, _, raw := e.list(req{body: listBody(53, 0, "")}); !strings.Contains(raw, `"files":[`) {
		t.Errorf("answer %s", raw)
	}
	e2 := newListEnv(t, store.NewMemory())
	if _, _, raw := e2.list(req{body: listBody(53, 0, "")}); !strings.Contains(raw, `"files":[]`) || strings.Contains(raw, "nextPageToken") {
		t.Errorf("an empty VDN's answer: %s", raw)
	}
}

// A listing that runs while other files are uploaded and deleted lists
// every file present throughout exactly once, and no name twice.
func TestListFilesWhileFilesComeAndGo(t *testing.T) {
	d, _ := newDirStore(t)
	var stable []string
	for i := range 60 {
		n := promptName(53, fmt.Sprintf("s%03d.wav", i*2))
		putFile(t, d, n, "stable")
		stable = append(stable, "Y:/"+n)
	}
	e := newListEnv(t, d)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var churned atomic.Int64
	for g := range 3 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				// Names between, before and after the stable ones.
				n := promptName(53, fmt.Sprintf("s%03d-%d.wav", (i*7+g*3)%121, g))
				if i%5 == 0 {
					n = promptName(53, fmt.Sprintf("%c%03d.wav", "aAz"[g], i%50))
				}
				putFile(t, d, n, "churn")
				d.Remove(context.Background(), n)
				churned.Add(1)
			}
		})
	}
	seen := map[string]int{}
	token := ""
	for pages := 0; ; pages++ {
		start := churned.Load()
		waitFor(t, "churn between pages", func() bool { return churned.Load() > start+3 })
		p := e.page(53, 7, token)
		for _, f := range p.Files {
			seen[f.FileName]++
		}
		if token = p.NextPageToken; token == "" {
			break
		}
		if pages > 100 {
			t.Fatal("the listing never ends")
		}
	}
	stop()
	wg.Wait()
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", n, c)
		}
	}
	for _, n := range stable {
		if seen[n] != 1 {
			t.Errorf("%s, present throughout, listed %d times", n, seen[n])
		}
	}
}

// countingStore counts the listings of the store it wraps.
type countingStore struct {
	*store.Memory
	lists atomic.Int64
}

func (c *countingStore) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	c.lists.Add(1)
	return c.Memory.List(ctx, dir, fn)
}

// Another tenant's VDN is refused with 0300013, a stranger with a 401,
// and neither touches the store, leaks a name, or spends the key's rate.
func TestListFilesRefusesOthers(t *testing.T) {
	cs := &countingStore{Memory: store.NewMemory()}
	seed(t, cs.Memory)
	e := newListEnv(t, cs)
	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"another tenant's VDN", req{body: listBody(99, 0, "")}, 401, ccfs.ErrVDNForbidden.Code()},
		{"a VDN no one owns", req{body: listBody(55, 0, "")}, 401, ccfs.ErrVDNForbidden.Code()},
		{"a stranger (wrong secret)", req{body: listBody(53, 0, ""), ak: testAK, sk: "wrong"}, 401, ccfs.ErrAuth.Code()},
		{"a stranger with another key's secret", req{body: listBody(99, 0, ""), ak: testAK, sk: "sk-other"}, 401, ccfs.ErrAuth.Code()},
		{"an unknown key", req{body: listBody(53, 0, ""), ak: "nobody", sk: "x"}, 401, ccfs.ErrAuth.Code()},
	} {
		status, out, raw := e.list(c.r)
		if status != c.status || out.ResultCode != c.code || out.ResultData != nil || strings.Contains(raw, "3rdfile") {
			t.Errorf("%s: %d %s", c.name, status, raw)
		}
		if ev := e.waitEvent(t); c.code == ccfs.ErrAuth.Code() && ev.KeyVerified {
			t.Errorf("%s: the Event says the key was proven", c.name)
		}
	}
	if n := cs.lists.Load(); n != 0 {
		t.Fatalf("the store was listed %d times for callers refused", n)
	}
	if p := e.page(53, 0, ""); len(p.Files) != 2 {
		t.Fatalf("the key's own VDN: %+v", p)
	}
}

// Strangers do not spend a key's rate; listings do, like every other
// interface's requests.
func TestListFilesCountsInTheRate(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Store, o.ListFiles, o.RatePerKey, o.Burst = store.NewMemory(), true, 0.001, 2 })
	for range 5 {
		if status, out, _ := e.list(req{body: listBody(53, 0, ""), ak: testAK, sk: "wrong"}); status != 401 {
			t.Fatalf("stranger: %d %+v", status, out)
		}
	}
	e.page(53, 0, "")
	e.page(53, 0, "")
	if _, out, raw := e.list(req{body: listBody(53, 0, "")}); out.ResultCode != ccfs.ErrRateLimited.Code() {
		t.Fatalf("a third listing with a burst of 2: %s", raw)
	}
	if _, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`)}); resp.ResultCode != ccfs.ErrRateLimited.Code() {
		t.Fatalf("a delete after the listings spent the rate: %+v", resp)
	}
}

// limit and the other fields: each bad value is refused with a clear
// description.
func TestListFilesFields(t *testing.T) {
	mem := store.NewMemory()
	seed(t, mem)
	e := newListEnv(t, mem)
	for _, c := range []struct {
		msgBody, code, desc string
	}{
		{`{"vdnId":53,"limit":-1}`, ccfs.ErrFormat.Code(), "-1 is out of range; give 1 to 1000"},
		{`{"vdnId":53,"limit":1001}`, ccfs.ErrFormat.Code(), "1001 is out of range"},
		{`{"vdnId":53,"limit":1.5}`, ccfs.ErrFormat.Code(), `"1.5" is not an integer`},
		{`{"vdnId":53,"limit":1e2}`, ccfs.ErrFormat.Code(), "limit is incorrect"},
		{`{"vdnId":53,"limit":"10"}`, ccfs.ErrFormat.Code(), "limit is incorrect"},
		{`{"vdnId":53,"limit":true}`, ccfs.ErrFormat.Code(), "limit is incorrect"},
		{`{"vdnId":53,"limit":99999999999999999999}`, ccfs.ErrFormat.Code(), "limit is incorrect"},
		{`{"vdnId":53,"limit":[1]}`, ccfs.ErrFormat.Code(), "limit is incorrect"},
		{`{"limit":10}`, ccfs.ErrNull.Code(), "vdnId cannot be null"},
		{`{"vdnId":null}`, ccfs.ErrNull.Code(), "vdnId cannot be null"},
		{`{"vdnId":""}`, ccfs.ErrEmpty.Code(), "vdnId cannot be an empty string"},
		{`{"vdnId":0}`, ccfs.ErrFormat.Code(), "not a positive 32-bit integer"},
		{`{"vdnId":-53}`, ccfs.ErrFormat.Code(), "not a positive 32-bit integer"},
		{`{"vdnId":53.0}`, ccfs.ErrFormat.Code(), "not a positive 32-bit integer"},
		{`{"vdnId":"../99"}`, ccfs.ErrFormat.Code(), "not a positive 32-bit integer"},
		{`{"vdnId":2147483648}`, ccfs.ErrFormat.Code(), "not a positive 32-bit integer"},
		{`{"vdnId":{}}`, ccfs.ErrFormat.Code(), "vdnId is incorrect"},
		{`{"vdnId":53,"pageToken":5}`, ccfs.ErrFormat.Code(), "pageToken is incorrect: it is not a string"},
		{`{"vdnId":53,"pageToken":"` + strings.Repeat("A", 600) + `"}`, ccfs.ErrTooLong.Code(), "pageToken is too long"},
		{`{"vdnId":53,"vdnId":54}`, ccfs.ErrFormat.Code(), `"vdnId" is given twice`},
		{`{"vdnId":53,"limit":0}`, "0", ""},
		{`{"vdnId":53,"limit":null}`, "0", ""},
		{`{"vdnId":"53","limit":1000}`, "0", ""},
		{`{"vdnId":53,"pageToken":""}`, "0", ""},
		{`{"vdnId":53,"unknown":[1,2],"fileName":"Y:/` + prompt99 + `"}`, "0", ""}, // unknown fields skipped, as deleteFile does
	} {
		_, out, raw := e.list(req{body: deleteBody(c.msgBody)})
		if out.ResultCode != c.code || !strings.Contains(out.ResultDesc, c.desc) {
			t.Errorf("%s: %s; want %s %q", c.msgBody, raw, c.code, c.desc)
		}
		if c.code == "0" && (len(out.ResultData.Files) != 2 || strings.Contains(raw, "/99/")) {
			t.Errorf("%s: %s", c.msgBody, raw)
		}
	}
}

// The checks every small interface makes, as deleteFile's and
// downloadFile's tables run them.
func TestListFilesCommonCases(t *testing.T) {
	for _, c := range commonCases(ccfs.ListPath, `{"vdnId":53}`) {
		t.Run(c.name, func(t *testing.T) {
			mem := store.NewMemory()
			seed(t, mem)
			e := newListEnv(t, mem)
			resp := e.send(c.r)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var out ccfs.ListResponse
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("answer %q: %v", raw, err)
			}
			if resp.StatusCode != c.status || out.ResultCode != c.code {
				t.Fatalf("got %d %s; want %d %s", resp.StatusCode, clipBytes(raw), c.status, c.code)
			}
			if c.code != "0" && strings.Contains(string(raw), "3rdfile") {
				t.Fatalf("a refusal lists files: %s", raw)
			}
			checkNoSecretsLogged(t, e)
		})
	}
}

// A pageToken that was changed, cut short, made for another VDN or by
// another key, or never made, is refused; the listing must start again.
func TestListFilesRefusesForgedTokens(t *testing.T) {
	mem := store.NewMemory()
	for i := range 5 {
		putFile(t, mem, promptName(53, fmt.Sprintf("a%d.wav", i)), "x")
		putFile(t, mem, promptName(54, fmt.Sprintf("a%d.wav", i)), "x")
		putFile(t, mem, promptName(99, fmt.Sprintf("a%d.wav", i)), "x")
	}
	e := newListEnv(t, mem)
	tok := e.page(53, 2, "").NextPageToken
	tok54 := e.page(54, 2, "").NextPageToken
	_, other, _ := e.list(req{body: listBody(99, 2, ""), ak: "other", sk: "sk-other"})
	if tok == "" || tok54 == "" || other.ResultData == nil || other.ResultData.NextPageToken == "" {
		t.Fatal("no tokens to tamper with")
	}
	if p := e.page(53, 2, tok); p.Files[0].FileName != "Y:/"+promptName(53, "a2.wav") {
		t.Fatalf("the token's own page: %+v", p)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("the token is not base64url: %v", err)
	}
	edit := func(f func([]byte) []byte) string {
		return base64.RawURLEncoding.EncodeToString(f(bytes.Clone(raw)))
	}
	nameAt := bytes.Index(raw, []byte("a1.wav"))
	if nameAt < 0 {
		t.Fatalf("token %x", raw)
	}
	for _, c := range []struct{ name, token string }{
		{"VDN changed", edit(func(b []byte) []byte { b[4] ^= 53 ^ 54; return b })},
		{"name changed", edit(func(b []byte) []byte { b[nameAt+1] = '3'; return b })},
		{"name moved back", edit(func(b []byte) []byte { b[nameAt+1] = '0'; return b })},
		{"MAC changed", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b })},
		{"truncated", tok[:len(tok)-4]},
		{"cut to nothing but a byte", tok[:2]},
		{"not base64", "!!" + tok},
		{"padded", tok + "=="},
		{"another VDN's token", tok54},
		{"another key's token", other.ResultData.NextPageToken},
	} {
		status, out, rawAnswer := e.list(req{body: listBody(53, 2, c.token)})
		if status != 200 || out.ResultCode != ccfs.ErrFormat.Code() || !strings.Contains(out.ResultDesc, "pageToken") ||
			!strings.Contains(out.ResultDesc, "start the listing again without it") || out.ResultData != nil {
			t.Errorf("%s: %d %s", c.name, status, rawAnswer)
		}
	}
	// A VDN 54 token, used for 54 by the same key, works: it was the VDN
	// that was wrong.
	if p := e.page(54, 2, tok54); len(p.Files) != 2 || !strings.Contains(p.Files[0].FileName, "/54/") {
		t.Fatalf("VDN 54's own token: %+v", p)
	}
}

// A token opens on every node that shares the credentials, and a key's
// rotated secret ends its tokens: one made with the old secret does not
// open once the new one is current, even for a caller still signing with
// the old.
func TestListFilesTokensFollowTheSecret(t *testing.T) {
	mem := store.NewMemory()
	for i := range 3 {
		putFile(t, mem, promptName(53, fmt.Sprintf("a%d.wav", i)), "x")
	}
	withKey := func(k auth.Key) *env {
		return newEnv(t, func(o *ccfs.Options) {
			creds, err := auth.NewStatic(k)
			if err != nil {
				t.Fatal(err)
			}
			o.Credentials, o.Store, o.ListFiles, o.RatePerKey = creds, mem, true, rate.Inf
		})
	}
	node1 := withKey(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	node2 := withKey(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	tok := node1.page(53, 1, "").NextPageToken
	if p := node2.page(53, 1, tok); len(p.Files) != 1 || !strings.HasSuffix(p.Files[0].FileName, "a1.wav") {
		t.Fatalf("node 2 with node 1's token: %+v", p)
	}
	rotated := withKey(auth.Key{AccessKey: testAK, SecretKey: "sk-rotated-0123456789", VDNs: []int{53},
		PreviousSecretKey: testSK, PreviousUntil: t0.Add(time.Hour)})
	status, out, raw := rotated.list(req{body: listBody(53, 1, tok)}) // signed with the previous secret
	if status != 200 || out.ResultCode != ccfs.ErrFormat.Code() || !strings.Contains(out.ResultDesc, "start the listing again") {
		t.Fatalf("a token from before the rotation: %s", raw)
	}
	if p := rotated.page(53, 1, ""); p.NextPageToken == "" {
		t.Fatal("starting again gives no token")
	}
}

// Only the prompts directly in the VDN's upload directory are listed:
// not recordings, not subdirectories, not links (a store.Dir skips them),
// not another VDN's files, and odd names come back escaped, never
// breaking the answer.
func TestListFilesListsOnlyTheVDNsPrompts(t *testing.T) {
	d, root := newDirStore(t)
	seed(t, d)
	on := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	odd := []string{"quo\"te.wav", "back\\slash.wav", "new\nline.wav", "tab\t.wav", "<script>.wav", "ünï.wav", "%2e%2e.wav", "semi;colon.wav"}
	for _, n := range odd { // as a process beside the server might write them
		if err := os.WriteFile(on(promptName(53, n)), []byte("odd"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	putFile(t, d, promptName(53, "sub/deeper.wav"), "in a subdirectory")
	putFile(t, d, "3rdfile/53/elsewhere.wav", "beside the rule's directory")
	for _, err := range []error{
		os.Symlink("../../99/thirdvoicebotfile/cccccccc_3.wav", on(promptName(53, "link99.wav"))),
		os.Symlink("../../99/thirdvoicebotfile", on(promptName(53, "dir99"))),
		os.Link(on(prompt99), on(promptName(53, "hard99.wav"))),
		os.MkdirAll(on("3rdfile/54"), 0o750),
		os.Symlink("../99/thirdvoicebotfile", on("3rdfile/54/thirdvoicebotfile")), // VDN 54's prompts are VDN 99's
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e := newListEnv(t, d)
	p := e.page(53, 0, "")
	var got []string
	for _, f := range p.Files {
		got = append(got, strings.TrimPrefix(f.FileName, "Y:/"+promptName(53, "")))
	}
	want := append([]string{"aaaaaaaa_1.wav", "bbbbbbbb_2.wav"}, odd...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %q\nwant %q", got, want)
	}
	// VDN 54's directory is a link into VDN 99's: nothing is listed.
	if p := e.page(54, 0, ""); len(p.Files) != 0 {
		t.Fatalf("VDN 54 through a link: %+v", p)
	}
	// Paging through odd names: one at a time, each once.
	var paged []string
	for tok, i := "", 0; i == 0 || tok != ""; i++ {
		p := e.page(53, 1, tok)
		for _, f := range p.Files {
			paged = append(paged, strings.TrimPrefix(f.FileName, "Y:/"+promptName(53, "")))
		}
		tok = p.NextPageToken
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %q\nwant %q", paged, want)
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Fatalf("logged at ERROR: %s", e.logs.String())
	}
}

// A pool lists each file once, with the locations that hold it.
func TestListFilesInAPool(t *testing.T) {
	a, b := store.NewMemory(), store.NewMemory()
	pool, err := store.NewPool(1, store.Location{ID: "a", Store: a}, store.Location{ID: "b", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	putFile(t, a, promptName(53, "both.wav"), "x")
	putFile(t, b, promptName(53, "both.wav"), "x")
	putFile(t, a, promptName(53, "only-a.wav"), "x")
	putFile(t, b, promptName(53, "only-b.wav"), "x")
	e := newListEnv(t, pool)
	want := map[string][]string{"both.wav": {"a", "b"}, "only-a.wav": {"a"}, "only-b.wav": {"b"}}
	var files []ccfs.ListedFile
	for tok, i := "", 0; i == 0 || tok != ""; i++ {
		p := e.page(53, 1, tok)
		files = append(files, p.Files...)
		tok = p.NextPageToken
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimPrefix(f.FileName, "Y:/"+promptName(53, "")))
	}
	if !slices.Equal(names, []string{"both.wav", "only-a.wav", "only-b.wav"}) {
		t.Fatalf("a pool listed %q", names)
	}
	for _, f := range files {
		n := strings.TrimPrefix(f.FileName, "Y:/"+promptName(53, ""))
		if !slices.Equal(f.LocationIDs, want[n]) { // in the pool's order
			t.Errorf("%s: locationIds %q, want %q", n, f.LocationIDs, want[n])
		}
	}
}

// listFiles is off unless asked for: its path answers 404, as the
// vendor's server's would, and Interfaces does not name it.
func TestListFilesOffByDefault(t *testing.T) {
	mem := store.NewMemory()
	seed(t, mem)
	e := newEnv(t, func(o *ccfs.Options) { o.Store = mem })
	status, resp, _ := e.do(req{path: ccfs.ListPath, body: listBody(53, 0, "")})
	if status != 404 || resp.ResultCode != ccfs.ErrNotFound.Code() {
		t.Fatalf("listFiles off: %d %+v", status, resp)
	}
	if slices.Contains(e.h.Interfaces(), ccfs.InterfaceList) {
		t.Fatalf("Interfaces %v", e.h.Interfaces())
	}
	on := newListEnv(t, mem)
	if !slices.Contains(on.h.Interfaces(), ccfs.InterfaceList) {
		t.Fatalf("Interfaces with ListFiles %v", on.h.Interfaces())
	}
	if strings.Contains(e.logs.String(), `"level":"WARN"`) {
		t.Fatalf("a handler without ListFiles warns of it: %s", e.logs.String())
	}
}

// noListStore is a store that cannot list.
type noListStore struct{ store.Store }

// ListFiles on a store that cannot list is refused by NewHandler.
func TestListFilesNeedsAListingStore(t *testing.T) {
	creds, err := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: noListStore{store.NewMemory()}, ListFiles: true})
	if err == nil || !strings.Contains(err.Error(), "ListFiles needs a store that lists") {
		t.Fatalf("NewHandler: %v", err)
	}
}

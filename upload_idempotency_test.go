package ccfs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// keyed is an upload with an Idempotency-Key.
type keyed struct {
	key      string // "" sends none
	wav      []byte
	vdn      string // vdnId; "" is 53
	ak, sk   string
	unsigned bool // the key is not among the signed headers
	edit     func(*http.Request)
}

// upload sends k to e's server, signed anew, and returns the answer.
func (e *env) upload(k keyed) (ccfs.Response, http.Header) {
	e.t.Helper()
	if k.vdn == "" {
		k.vdn = "53"
	}
	if k.ak == "" {
		k.ak, k.sk = testAK, testSK
	}
	b := body(b64(k.wav))
	hr, err := http.NewRequest("POST", e.srv.URL+ccfs.UploadPath+"?vdnId="+k.vdn, bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	signed := auth.DefaultSignedHeaders()
	if k.key != "" {
		hr.Header.Set(ccfs.HeaderIdempotencyKey, k.key)
		if !k.unsigned {
			signed = append(signed, "idempotency-key")
		}
	}
	at := e.clock()
	s := auth.Signer{AccessKey: k.ak, SecretKey: k.sk, SignedHeaders: signed, Now: func() time.Time { return at }}
	if err := s.Sign(hr, b); err != nil {
		e.t.Fatal(err)
	}
	if k.edit != nil {
		k.edit(hr)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out ccfs.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out, resp.Header
}

// wantOK fails the test unless out is a success; it returns its fileName.
func wantOK(t *testing.T, what string, out ccfs.Response) string {
	t.Helper()
	if out.ResultCode != ccfs.SuccessCode || out.ResultData == nil || out.ResultData.FileName == "" {
		t.Fatalf("%s: %+v, want success", what, out)
	}
	return out.ResultData.FileName
}

// wantCode fails the test unless out carries code.
func wantCode(t *testing.T, what string, out ccfs.Response, code ccfs.Error) {
	t.Helper()
	if out.ResultCode != code.Code() {
		t.Fatalf("%s: %s %q, want %s", what, out.ResultCode, out.ResultDesc, code.Code())
	}
}

// A retry under the same key answers the first upload's name, says it is
// a repeat, and stores nothing more: no file, no quota, no event. The
// same key with another file is refused.
func TestIdempotentRetryStoresNothingMore(t *testing.T) {
	dir, root := newDirStore(t)
	usage := quota.NewMemory()
	lim, _ := quota.ParseLimits("*=10MiB")
	var recorded atomic.Int32
	e := newEnv(t, func(o *ccfs.Options) {
		o.Quota, o.Usage = lim, usage
		o.Events = events.Func(func(context.Context, events.Event) error { recorded.Add(1); return nil })
	})
	e.st = dir
	first, h := e.upload(keyed{key: "upload-1", wav: validWAV})
	name := wantOK(t, "first", first)
	if h.Get(ccfs.HeaderIdempotencyReplayed) != "" {
		t.Fatalf("the first upload says %s: %q", ccfs.HeaderIdempotencyReplayed, h.Get(ccfs.HeaderIdempotencyReplayed))
	}
	for i := range 3 {
		again, h := e.upload(keyed{key: "upload-1", wav: validWAV})
		if got := wantOK(t, "retry", again); got != name {
			t.Fatalf("retry %d answers %s, the first %s", i, got, name)
		}
		if h.Get(ccfs.HeaderIdempotencyReplayed) != "true" {
			t.Fatalf("retry %d: %s %q, want true", i, ccfs.HeaderIdempotencyReplayed, h.Get(ccfs.HeaderIdempotencyReplayed))
		}
		if ev := e.waitEvent(t); !ev.IdempotencyReplayed || ev.FileName != name || ev.Code != ccfs.SuccessCode {
			t.Fatalf("retry %d's Event: %+v", i, ev)
		}
	}
	if files := filesUnder(t, root); len(files) != 1 {
		t.Fatalf("stored %v, want one file", files)
	}
	if u, _ := usage.Usage(context.Background(), 53); u.Files != 1 || u.Bytes != int64(len(validWAV)) {
		t.Fatalf("usage %+v, want one file of %d bytes", u, len(validWAV))
	}
	if n := recorded.Load(); n != 1 {
		t.Fatalf("%d events recorded, want 1", n)
	}
	other := wavfile.File(wavfile.ALaw8k, 4000)
	out, h := e.upload(keyed{key: "upload-1", wav: other})
	wantCode(t, "another file under the key", out, ccfs.ErrIdempotencyMismatch)
	if !strings.Contains(out.ResultDesc, `"upload-1"`) || h.Get(ccfs.HeaderIdempotencyReplayed) != "" {
		t.Fatalf("mismatch: %q %v", out.ResultDesc, h)
	}
	if files := filesUnder(t, root); len(files) != 1 {
		t.Fatalf("after the mismatch: %v", files)
	}
	// Without the header, the same file is stored again, as the vendor's
	// server stores it.
	wantOK(t, "no key", mustUpload(e, keyed{wav: validWAV}))
	if files := filesUnder(t, root); len(files) != 2 {
		t.Fatalf("without a key: %v, want two files", files)
	}
}

func mustUpload(e *env, k keyed) ccfs.Response {
	out, _ := e.upload(k)
	return out
}

// holdingStore holds each upload it is given at the file's end (after
// the key was begun, before the commit) until release is closed.
type holdingStore struct {
	store.Store
	atEnd   chan struct{} // closed when an upload reached its end
	release chan struct{}
	once    sync.Once
}

func (s *holdingStore) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return s.Store.Put(ctx, name, readerFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if err == io.EOF {
			s.once.Do(func() { close(s.atEnd) })
			<-s.release
		}
		return n, err
	}), size)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A retry while the first upload under its key is still in flight is
// answered busy, with Retry-After; once the first is stored, a retry is
// its repeat.
func TestIdempotentRetryWhileInFlightIsBusy(t *testing.T) {
	e := newEnv(t, nil)
	hold := &holdingStore{Store: e.mem, atEnd: make(chan struct{}), release: make(chan struct{})}
	var released sync.Once
	release := func() { released.Do(func() { close(hold.release) }) }
	t.Cleanup(release) // before the server closes, if the test fails
	e.st = hold
	done := make(chan ccfs.Response, 1)
	go func() {
		out, _ := e.upload(keyed{key: "k", wav: validWAV})
		done <- out
	}()
	select {
	case <-hold.atEnd:
	case <-time.After(10 * time.Second):
		t.Fatal("the first upload never reached the store's end")
	}
	e.st = e.mem // the retries are not held
	out, h := e.upload(keyed{key: "k", wav: validWAV})
	wantCode(t, "a retry in flight", out, ccfs.ErrBusy)
	if h.Get("Retry-After") != "1" || !strings.Contains(out.ResultDesc, "in progress") {
		t.Fatalf("busy: Retry-After %q, %q", h.Get("Retry-After"), out.ResultDesc)
	}
	out, _ = e.upload(keyed{key: "k", wav: wavfile.File(wavfile.ALaw8k, 100)})
	wantCode(t, "another file while in flight", out, ccfs.ErrIdempotencyMismatch)
	release()
	name := wantOK(t, "first", <-done)
	again, h := e.upload(keyed{key: "k", wav: validWAV})
	if wantOK(t, "retry", again) != name || h.Get(ccfs.HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("retry after the first: %+v %v", again, h)
	}
	if n := len(e.mem.Names()); n != 1 {
		t.Fatalf("%d files stored, want 1", n)
	}
}

// A key is scoped by the verified access key and the VDN: the same text
// elsewhere is another key.
func TestIdempotencyKeysDoNotCollide(t *testing.T) {
	e := newEnv(t, nil)
	a := wantOK(t, "53", mustUpload(e, keyed{key: "same", wav: validWAV}))
	b := wantOK(t, "54", mustUpload(e, keyed{key: "same", wav: validWAV, vdn: "54"}))
	c := wantOK(t, "other key", mustUpload(e, keyed{key: "same", wav: validWAV, vdn: "99", ak: "other", sk: "sk-other"}))
	if a == b || b == c || a == c || len(e.mem.Names()) != 3 {
		t.Fatalf("%s %s %s: %d files, want three", a, b, c, len(e.mem.Names()))
	}
	// Another file under the same text, for another VDN, is no mismatch.
	wantOK(t, "55", mustUpload(e, keyed{key: "same2", wav: validWAV}))
	wantOK(t, "54", mustUpload(e, keyed{key: "same2", wav: wavfile.File(wavfile.ALaw8k, 100), vdn: "54"}))
}

// A stranger (a signature that does not hold), and a key refused its VDN,
// create no entry: the key is begun only once the signature holds.
func TestIdempotencyStrangersCreateNoEntry(t *testing.T) {
	mem := idempotency.NewMemory(0)
	e := newEnv(t, func(o *ccfs.Options) { o.Idempotency = mem })
	out, _ := e.upload(keyed{key: "k", wav: validWAV, sk: "wrong", ak: testAK})
	wantCode(t, "a stranger", out, ccfs.ErrAuth)
	out, _ = e.upload(keyed{key: "k", wav: validWAV, vdn: "99"})
	wantCode(t, "another tenant's VDN", out, ccfs.ErrVDNForbidden)
	if mem.Len() != 0 {
		t.Fatalf("%d entries after refusals, want none", mem.Len())
	}
	wantOK(t, "the key's owner", mustUpload(e, keyed{key: "k", wav: validWAV}))
	if mem.Len() != 1 {
		t.Fatalf("%d entries, want 1", mem.Len())
	}
}

// An upload that fails forgets its key: a retry of it is stored.
func TestIdempotencyFailedUploadFreesTheKey(t *testing.T) {
	e := newEnv(t, nil)
	e.st = brokenPutStore{}
	out, _ := e.upload(keyed{key: "k", wav: validWAV})
	wantCode(t, "a failing store", out, ccfs.ErrStorage)
	e.st = e.mem
	out, h := e.upload(keyed{key: "k", wav: validWAV})
	wantOK(t, "the retry", out)
	if h.Get(ccfs.HeaderIdempotencyReplayed) != "" || len(e.mem.Names()) != 1 {
		t.Fatalf("retry after a failure: %v, %d files", h, len(e.mem.Names()))
	}
}

type brokenPutStore struct{ store.Store }

func (brokenPutStore) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	io.Copy(io.Discard, r)
	return nil, errors.New("disk on fire")
}

// A key the client did not sign is taken as a signed one is: whoever
// changed it in transit could only make the upload stored (a key that
// was not used) or refused (one used for another file), since a repeat
// must carry the same file, signed with the same access key.
func TestIdempotencyKeyNotSigned(t *testing.T) {
	e := newEnv(t, nil)
	name := wantOK(t, "unsigned", mustUpload(e, keyed{key: "u", wav: validWAV, unsigned: true}))
	for _, unsigned := range []bool{true, false} {
		out, h := e.upload(keyed{key: "u", wav: validWAV, unsigned: unsigned})
		if wantOK(t, "retry", out) != name || h.Get(ccfs.HeaderIdempotencyReplayed) != "true" {
			t.Fatalf("retry (unsigned %v): %+v", unsigned, out)
		}
	}
	out, _ := e.upload(keyed{key: "u", wav: wavfile.File(wavfile.ALaw8k, 100), unsigned: true})
	wantCode(t, "another file, unsigned key", out, ccfs.ErrIdempotencyMismatch)
	// A signed key changed in transit: the signature fails.
	out, _ = e.upload(keyed{key: "u", wav: validWAV, edit: func(r *http.Request) { r.Header.Set(ccfs.HeaderIdempotencyKey, "v") }})
	wantCode(t, "a signed key changed", out, ccfs.ErrAuth)
	if len(e.mem.Names()) != 1 {
		t.Fatalf("%d files, want 1", len(e.mem.Names()))
	}
}

// A malformed key is refused before the body is read, with a code and a
// description naming it.
func TestIdempotencyKeyMalformed(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		name string
		edit func(*http.Request)
		want ccfs.Error
		desc string
	}{
		{"twice", func(r *http.Request) { r.Header.Add(ccfs.HeaderIdempotencyKey, "b") }, ccfs.ErrFormat, "given 2 times"},
		{"empty", func(r *http.Request) { r.Header.Set(ccfs.HeaderIdempotencyKey, "") }, ccfs.ErrEmpty, "Idempotency-Key cannot be an empty string"},
		{"long", func(r *http.Request) {
			r.Header.Set(ccfs.HeaderIdempotencyKey, strings.Repeat("k", idempotency.MaxKey+1))
		}, ccfs.ErrTooLong, "256 bytes (at most 255)"},
		{"space", func(r *http.Request) { r.Header.Set(ccfs.HeaderIdempotencyKey, "a b") }, ccfs.ErrFormat, "byte 1 is 0x20"},
		{"non-ASCII", func(r *http.Request) { r.Header.Set(ccfs.HeaderIdempotencyKey, "clé") }, ccfs.ErrFormat, "byte 2 is 0xc3"},
	} {
		out, _ := e.upload(keyed{key: "a", wav: validWAV, edit: c.edit})
		if out.ResultCode != c.want.Code() || !strings.Contains(out.ResultDesc, c.desc) {
			t.Errorf("%s: %s %q, want %s with %q", c.name, out.ResultCode, out.ResultDesc, c.want.Code(), c.desc)
		}
		if ev := e.waitEvent(t); ev.BodyBytes != 0 {
			t.Errorf("%s: %d body bytes read before the refusal", c.name, ev.BodyBytes)
		}
	}
	// The longest key, and every printable byte, are taken.
	var all []byte
	for b := byte(0x21); b <= 0x7e; b++ {
		all = append(all, b)
	}
	wantOK(t, "every printable byte", mustUpload(e, keyed{key: string(all), wav: validWAV}))
	wantOK(t, "the longest key", mustUpload(e, keyed{key: strings.Repeat("k", idempotency.MaxKey), wav: validWAV}))
	if len(e.mem.Names()) != 2 {
		t.Fatalf("%d files, want 2", len(e.mem.Names()))
	}
}

// With idempotency.Off the header is ignored, as the vendor's server
// ignores it: every upload is stored, and a malformed key is no error.
func TestIdempotencyOff(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Idempotency = idempotency.Off })
	for _, k := range []string{"k", "k", "a b"} {
		out, h := e.upload(keyed{key: k, wav: validWAV})
		if wantOK(t, k, out); h.Get(ccfs.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("Off replayed %q", k)
		}
	}
	if len(e.mem.Names()) != 3 {
		t.Fatalf("%d files, want 3", len(e.mem.Names()))
	}
	if _, err := ccfs.NewHandler(ccfs.Options{Credentials: &auth.Static{}, Store: store.NewMemory(), IdempotencyTTL: -1}); err == nil {
		t.Fatal("a negative IdempotencyTTL is accepted")
	}
}

// The key is remembered for IdempotencyTTL: past it, the same key stores
// the file again.
func TestIdempotencyTTL(t *testing.T) {
	mem := idempotency.NewMemory(0)
	var now atomic.Pointer[time.Time]
	now.Store(&t0)
	mem.Now = func() time.Time { return *now.Load() }
	e := newEnv(t, func(o *ccfs.Options) { o.Idempotency, o.IdempotencyTTL = mem, time.Hour })
	a := wantOK(t, "first", mustUpload(e, keyed{key: "k", wav: validWAV}))
	later := t0.Add(time.Hour - time.Second)
	now.Store(&later)
	if b := wantOK(t, "within the TTL", mustUpload(e, keyed{key: "k", wav: validWAV})); b != a {
		t.Fatalf("within the TTL: %s, want %s", b, a)
	}
	past := t0.Add(time.Hour)
	now.Store(&past)
	wantOK(t, "past the TTL", mustUpload(e, keyed{key: "k", wav: validWAV}))
	if len(e.mem.Names()) != 2 {
		t.Fatalf("%d files, want 2", len(e.mem.Names()))
	}
}

// With conversion on, the file hashed is the file as sent: a retry of a
// converted upload is its repeat, and the stored (converted) prompt sent
// under the same key is another file.
func TestIdempotencyHashesTheFileAsSent(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Convert = ccfs.ConvertEvery })
	src := tone(pcm16, 22050)
	first, _ := e.upload(keyed{key: "c", wav: src})
	name := wantOK(t, "converted", first)
	again, h := e.upload(keyed{key: "c", wav: src})
	if wantOK(t, "retry", again) != name || h.Get(ccfs.HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("retry of a converted upload: %+v", again)
	}
	stored, _ := e.mem.Get(strings.TrimPrefix(name, "Y:/"))
	out, _ := e.upload(keyed{key: "c", wav: stored})
	wantCode(t, "the converted prompt under the key", out, ccfs.ErrIdempotencyMismatch)
	if len(e.mem.Names()) != 1 {
		t.Fatalf("%d files, want 1", len(e.mem.Names()))
	}
}

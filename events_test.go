package ccfs_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// recorder is an events.Sink that notes every step, and whether the file
// the event names was in the store at that moment (the order of the
// steps and the change is what makes the events durable).
type recorder struct {
	mu         sync.Mutex
	st         store.Store // the store to look at
	steps      []step
	failPrep   error
	failCommit error
}

type step struct {
	what  string // "prepare", "commit", "abandon"
	ev    events.Event
	there bool // the file was in the store
}

func (r *recorder) note(what string, ev events.Event) {
	_, err := store.Stat(context.Background(), r.st, strings.TrimPrefix(ev.FileName, "Y:/"))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, step{what, ev, err == nil})
}

func (r *recorder) Prepare(_ context.Context, ev events.Event) (events.Intent, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if r.failPrep != nil {
		return nil, r.failPrep
	}
	r.note("prepare", ev)
	return &recorderIntent{r: r, id: ev.ID, ev: ev}, nil
}

type recorderIntent struct {
	r  *recorder
	id string
	ev events.Event
}

func (i *recorderIntent) Commit(_ context.Context, ev events.Event) error {
	if ev.ID != i.id {
		return errors.New("a commit of another event")
	}
	i.r.note("commit", ev)
	return i.r.failCommit
}

func (i *recorderIntent) Abandon(context.Context) error {
	i.r.note("abandon", i.ev)
	return nil
}

func (r *recorder) take() []step {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.steps
	r.steps = nil
	return s
}

// whats lists the steps' kinds and the file's presence: "prepare-",
// "commit+".
func whats(steps []step) string {
	var out []string
	for _, s := range steps {
		mark := "-"
		if s.there {
			mark = "+"
		}
		out = append(out, s.what+mark)
	}
	return strings.Join(out, " ")
}

// TestUploadEvent: an upload's event is prepared before the store commits
// the file (it is not there yet), committed once it has (it is), with the
// answer's fileName, the stored size and codec, the verified key and the
// request's ID.
func TestUploadEvent(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec })
	rec.st = e.mem
	_, resp, hdr := e.do(req{query: "vdnId=53", body: body(b64(validWAV))})
	if resp.ResultCode != "0" {
		t.Fatalf("%+v", resp)
	}
	steps := rec.take()
	if got := whats(steps); got != "prepare- commit+" {
		t.Fatalf("steps %q, want the event prepared before the file is stored and committed after", got)
	}
	ev := steps[1].ev
	if ev.ID != steps[0].ev.ID || ev.Type != events.PromptUploaded || ev.VDN != 53 || ev.FileName != resp.ResultData.FileName ||
		ev.Size != int64(len(validWAV)) || ev.Codec != "alaw" || ev.AccessKey != testAK || ev.RequestID != hdr.Get("X-Request-ID") ||
		ev.ConvertedFrom != "" || len(ev.LocationIDs) != 0 {
		t.Fatalf("event %+v", ev)
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestUploadEventPool: in a pool, the committed event names the locations
// the store answered.
func TestUploadEventPool(t *testing.T) {
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{st: p}
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec; o.Store = p })
	if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("%+v", resp)
	}
	steps := rec.take()
	if whats(steps) != "prepare- commit+" || strings.Join(steps[1].ev.LocationIDs, ",") != "0,256" {
		t.Fatalf("steps %q, locations %v", whats(steps), steps[len(steps)-1].ev.LocationIDs)
	}
}

// TestUploadEventRefused: a stranger's upload prepares nothing; an upload
// whose event cannot be prepared is refused, keeps nothing and claims no
// quota; one the store fails after the event was prepared abandons it.
func TestUploadEventRefused(t *testing.T) {
	rec := &recorder{}
	lim, _ := quota.ParseLimits("*=1MiB")
	usage := quota.NewMemory()
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec; o.Quota = lim; o.Usage = usage })
	rec.st = e.mem

	if _, resp, _ := e.do(req{body: body(b64(validWAV)), ak: testAK, sk: "not-the-secret"}); resp.ResultCode == "0" {
		t.Fatalf("a stranger stored a file: %+v", resp)
	}
	if steps := rec.take(); len(steps) != 0 {
		t.Fatalf("a stranger's upload made %q", whats(steps))
	}

	rec.failPrep = errors.New("outbox disk full")
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrStorage.Code() || !strings.Contains(resp.ResultDesc, "its event could not be recorded") ||
		strings.Contains(resp.ResultDesc, "disk full") {
		t.Fatalf("prepare failed: %+v", resp)
	}
	if names := e.mem.Names(); len(names) != 0 {
		t.Fatalf("stored %v without its event", names)
	}
	if u, _ := usage.Usage(context.Background(), 53); u.Bytes != 0 || u.Files != 0 {
		t.Fatalf("usage %+v after a refused upload", u)
	}
	rec.failPrep = nil

	e.st = failAtEnd{} // quota_test.go
	if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Fatalf("store failed: %+v", resp)
	}
	if got := whats(rec.take()); got != "prepare- abandon-" {
		t.Fatalf("a failed store: steps %q, want the event abandoned", got)
	}
}

// TestDeleteEvent: a delete's event is prepared while the file is there,
// committed once it is gone, with its size; a delete of no file makes
// none; a delete whose event cannot be prepared keeps the file.
func TestDeleteEvent(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec })
	rec.st = e.mem
	seed(t, e.mem)
	del := func() ccfs.Response {
		_, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`)})
		return resp
	}
	rec.failPrep = errors.New("no room")
	if resp := del(); resp.ResultCode != ccfs.ErrStorage.Code() || !strings.Contains(resp.ResultDesc, "its event could not be recorded") {
		t.Fatalf("prepare failed: %+v", resp)
	}
	if _, ok := e.mem.Get(prompt53); !ok {
		t.Fatal("the file was deleted without its event")
	}
	rec.failPrep = nil
	if resp := del(); resp.ResultCode != "0" {
		t.Fatalf("%+v", resp)
	}
	steps := rec.take()
	if got := whats(steps); got != "prepare+ commit-" {
		t.Fatalf("steps %q", got)
	}
	ev := steps[1].ev
	if ev.Type != events.PromptDeleted || ev.VDN != 53 || ev.FileName != "Y:/"+prompt53 || ev.Size != int64(len("RIFF "+prompt53)) ||
		ev.AccessKey != testAK || ev.RequestID == "" || ev.Codec != "" {
		t.Fatalf("event %+v", ev)
	}
	if resp := del(); resp.ResultCode != ccfs.ErrNoSuchFile.Code() {
		t.Fatalf("again: %+v", resp)
	}
	if steps := rec.take(); len(steps) != 0 {
		t.Fatalf("a delete of no file made %q", whats(steps))
	}
}

// TestDeleteEventAtOneLocation: deleting a pool's copy names the location
// in the event.
func TestDeleteEventAtOneLocation(t *testing.T) {
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{st: p}
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec; o.Store = p })
	seed(t, p)
	_, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `","locationId":"256"}`)})
	steps := rec.take()
	if resp.ResultCode != "0" || whats(steps) != "prepare+ commit+" || !slices.Equal(steps[1].ev.LocationIDs, []string{"256"}) {
		t.Fatalf("%+v: steps %q, %+v", resp, whats(steps), steps)
	}
}

// TestDownloadEvent: with DownloadEvents, a file downloaded whole makes a
// recording.downloaded event; without, none; DownloadEvents needs Events.
func TestDownloadEvent(t *testing.T) {
	for _, on := range []bool{false, true} {
		rec := &recorder{}
		e := newEnv(t, func(o *ccfs.Options) { o.Events = rec; o.DownloadEvents = on })
		rec.st = e.mem
		seed(t, e.mem)
		resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, "")})
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(data) != "RIFF "+recording53 {
			t.Fatalf("downloaded %q", data)
		}
		e.waitEvent(t)
		steps := rec.take()
		if !on {
			if len(steps) != 0 {
				t.Fatalf("DownloadEvents off: %q", whats(steps))
			}
			continue
		}
		if whats(steps) != "prepare+ commit+" {
			t.Fatalf("steps %q", whats(steps))
		}
		if ev := steps[1].ev; ev.Type != events.RecordingDownloaded || ev.VDN != 53 || ev.FileName != "Y:/"+recording53 ||
			ev.Size != int64(len(data)) || ev.AccessKey != testAK {
			t.Fatalf("event %+v", ev)
		}
	}
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	if _, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), DownloadEvents: true}); err == nil ||
		!strings.Contains(err.Error(), "DownloadEvents needs Options.Events") {
		t.Fatalf("DownloadEvents without Events: %v", err)
	}
}

// TestResolveEvents: an intent a crash left open is settled from the
// store: an upload's stands if its file is there, a delete's if it is
// not (at the event's locations, in a pool); the store's failure leaves
// it open.
func TestResolveEvents(t *testing.T) {
	ctx := context.Background()
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, p)
	if err := p.RemoveAt(ctx, "256", prompt53b); err != nil {
		t.Fatal(err)
	}
	ev := func(typ events.Type, name string, locations ...string) events.Event {
		e := events.New(typ, t0)
		e.VDN, e.FileName, e.LocationIDs = 53, "Y:/"+name, locations
		return e
	}
	resolve := ccfs.ResolveEvents(p, "Y:")
	for _, tc := range []struct {
		ev    events.Event
		stand bool
	}{
		{ev(events.PromptUploaded, prompt53), true},
		{ev(events.PromptUploaded, "3rdfile/53/thirdvoicebotfile/never_1.wav"), false},
		{ev(events.PromptDeleted, prompt53), false},
		{ev(events.PromptDeleted, "3rdfile/53/thirdvoicebotfile/never_1.wav"), true},
		{ev(events.PromptExpired, prompt53), false},
		{ev(events.PromptDeleted, prompt53b, "256"), true},
		{ev(events.PromptDeleted, prompt53b, "0"), false},
		{ev(events.PromptDeleted, prompt53b, "256", "0"), false},
		{ev(events.RecordingDownloaded, recording53), true},
	} {
		got, stands, err := resolve(ctx, tc.ev)
		if err != nil || stands != tc.stand || got.ID != tc.ev.ID {
			t.Errorf("%s %s %v: stands %v, %v; want %v", tc.ev.Type, tc.ev.FileName, tc.ev.LocationIDs, stands, err, tc.stand)
		}
	}
	if _, _, err := resolve(ctx, ev(events.PromptDeleted, prompt53, "9")); !errors.Is(err, store.ErrNoLocation) {
		t.Errorf("an unknown location: %v", err)
	}
	if _, _, err := ccfs.ResolveEvents(p, "Z:")(ctx, ev(events.PromptUploaded, prompt53)); err == nil {
		t.Error("a fileName under another root prefix was settled")
	}
	broken := ccfs.ResolveEvents(statFails{store.NewMemory()}, "Y:")
	if _, _, err := broken(ctx, ev(events.PromptUploaded, prompt53)); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a store that cannot stat: %v", err)
	}
}

// statFails is a store whose Stat fails for a reason other than absence.
type statFails struct{ *store.Memory }

func (statFails) Stat(context.Context, string) (store.FileInfo, error) {
	return store.FileInfo{}, errors.New("the bucket is unreachable")
}

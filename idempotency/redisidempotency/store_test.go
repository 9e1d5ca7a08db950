package redisidempotency_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/idempotency/redisidempotency"
)

func newStore(t testing.TB, client redis.UniversalClient) *redisidempotency.Store {
	t.Helper()
	s, err := redisidempotency.New(client, redisidempotency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hashOf(s string) idempotency.Hash { return sha256.Sum256([]byte(s)) }

var (
	scope   = idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "7c1d3b1e-upload-1"}
	fileA   = hashOf("file A")
	fileB   = hashOf("file B")
	answerA = idempotency.Record{Hash: fileA, FileName: "Y:/3rdfile/53/thirdvoicebotfile/a.wav", LocationIDs: []string{"loc1", "loc2"}}
)

// begin calls Begin and fails the test on an error.
func begin(t *testing.T, s *redisidempotency.Store, sc idempotency.Scope, h idempotency.Hash, lease time.Duration) (idempotency.State, idempotency.Record) {
	t.Helper()
	st, rec, err := s.Begin(context.Background(), sc, h, lease)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return st, rec
}

// keys lists the keys under prefix.
func keys(t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	k, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestBeginStates: a free key is Fresh and now in flight; a Begin for the
// same file is then InFlight and for another Mismatch; once finished,
// the same file is a Repeat answered with the record, another file a
// Mismatch; none of those change the entry.
func TestBeginStates(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	if st, _ := begin(t, s, scope, fileA, time.Minute); st != idempotency.Fresh {
		t.Fatalf("a free key: %v, want Fresh", st)
	}
	for range 2 {
		if st, _ := begin(t, s, scope, fileA, time.Minute); st != idempotency.InFlight {
			t.Fatalf("the same file while in flight: %v, want InFlight", st)
		}
		if st, _ := begin(t, s, scope, fileB, time.Minute); st != idempotency.Mismatch {
			t.Fatalf("another file while in flight: %v, want Mismatch", st)
		}
	}
	k := keys(t, srv.Client, redisidempotency.DefaultPrefix)
	if len(k) != 1 {
		t.Fatalf("keys %v, want one", k)
	}
	if pttl := srv.Client.PTTL(ctx, k[0]).Val(); pttl <= 0 || pttl > time.Minute {
		t.Fatalf("the in-flight entry expires in %v, want within its lease", pttl)
	}
	if err := s.Finish(ctx, scope, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	if pttl := srv.Client.PTTL(ctx, k[0]).Val(); pttl <= time.Minute || pttl > time.Hour {
		t.Fatalf("the record expires in %v, want within its TTL and past the lease", pttl)
	}
	for range 2 {
		st, rec := begin(t, s, scope, fileA, time.Minute)
		if st != idempotency.Repeat || rec.Hash != answerA.Hash || rec.FileName != answerA.FileName ||
			strings.Join(rec.LocationIDs, ",") != "loc1,loc2" {
			t.Fatalf("the same file once finished: %v %+v, want Repeat %+v", st, rec, answerA)
		}
		if st, _ := begin(t, s, scope, fileB, time.Minute); st != idempotency.Mismatch {
			t.Fatalf("another file once finished: %v, want Mismatch", st)
		}
	}
	// Outside a pool a record has no locations.
	other := idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "no-pool"}
	begin(t, s, other, fileB, time.Minute)
	if err := s.Finish(ctx, other, idempotency.Record{Hash: fileB, FileName: "Y:/3rdfile/53/thirdvoicebotfile/b.wav"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, rec := begin(t, s, other, fileB, time.Minute); st != idempotency.Repeat || rec.FileName != "Y:/3rdfile/53/thirdvoicebotfile/b.wav" || rec.LocationIDs != nil {
		t.Fatalf("a record with no locations: %v %+v", st, rec)
	}
}

// TestScopes: the same key text from another access key, or for another
// VDN, is another key; every Redis key is the prefix and 64 hex digits,
// holding none of the client's text however long it was; Options.Prefix
// replaces the prefix.
func TestScopes(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	long := strings.Repeat("k", idempotency.MaxKey)
	scopes := []idempotency.Scope{
		{AccessKey: "AK53", VDN: 53, Key: long},
		{AccessKey: "AK54", VDN: 53, Key: long},
		{AccessKey: "AK53", VDN: 54, Key: long},
		{AccessKey: "AK5", VDN: 353, Key: long},
		{AccessKey: "AK53", VDN: 53, Key: long[1:]},
	}
	for _, sc := range scopes {
		if st, _ := begin(t, s, sc, fileA, time.Minute); st != idempotency.Fresh {
			t.Fatalf("%+v: %v, want Fresh (a scope of its own)", sc, st)
		}
	}
	k := keys(t, srv.Client, "")
	if len(k) != len(scopes) {
		t.Fatalf("%d keys for %d scopes: %v", len(k), len(scopes), k)
	}
	for _, key := range k {
		hexPart, ok := strings.CutPrefix(key, redisidempotency.DefaultPrefix)
		if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
			t.Errorf("key %q is not the prefix and a SHA-256 in hex", key)
		}
	}
	custom, err := redisidempotency.New(srv.Client, redisidempotency.Options{Prefix: "tenant-a:idem:"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := begin(t, custom, scopes[0], fileA, time.Minute); st != idempotency.Fresh {
		t.Fatalf("another prefix: %v, want Fresh (its own keys)", st)
	}
	if k := keys(t, srv.Client, "tenant-a:idem:"); len(k) != 1 {
		t.Fatalf("keys under the custom prefix: %v", k)
	}
}

// TestLeaseExpires: an in-flight entry whose upload neither finished nor
// aborted (its node died) frees the key once its lease runs out, for the
// same file or another; a record outlives the lease.
func TestLeaseExpires(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, redistest.Start(t).Client)
	const lease = 50 * time.Millisecond
	for _, retry := range []idempotency.Hash{fileA, fileB} {
		sc := scope
		sc.Key = fmt.Sprintf("lease-%x", retry[:4])
		if st, _ := begin(t, s, sc, fileA, lease); st != idempotency.Fresh {
			t.Fatalf("first Begin: %v", st)
		}
		waitFor(t, "the lease to run out", func() bool {
			st, _ := begin(t, s, sc, retry, lease)
			return st == idempotency.Fresh
		})
	}
	// A record is kept for its TTL, not the lease.
	sc := scope
	sc.Key = "finished"
	begin(t, s, sc, fileA, lease)
	if err := s.Finish(ctx, sc, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Another key, begun after the record with the same lease, is freed
	// (another file may then begin it): more than a lease has passed.
	other := sc
	other.Key = "later"
	if st, _ := begin(t, s, other, fileA, lease); st != idempotency.Fresh {
		t.Fatalf("another key: %v, want Fresh", st)
	}
	waitFor(t, "a key begun after the record to be freed", func() bool {
		st, _ := begin(t, s, other, fileB, lease)
		return st == idempotency.Fresh
	})
	if st, _ := begin(t, s, sc, fileA, lease); st != idempotency.Repeat {
		t.Fatalf("a record after more than its lease: %v, want Repeat", st)
	}
	// A record's own TTL ends it.
	sc.Key = "short ttl"
	begin(t, s, sc, fileA, time.Minute)
	if err := s.Finish(ctx, sc, answerA, lease); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the record to expire", func() bool {
		st, _ := begin(t, s, sc, fileB, time.Minute)
		return st == idempotency.Fresh
	})
}

// waitFor polls cond, with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestFinishAbortByAnotherFile: Finish and Abort for another file
// than the one in flight change nothing; Abort never removes a finished
// upload's record; a second Finish keeps the first
// record; Finish after the lease ran out, with the key free, records.
func TestFinishAbortByAnotherFile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, redistest.Start(t).Client)
	begin(t, s, scope, fileA, time.Minute)
	answerB := idempotency.Record{Hash: fileB, FileName: "Y:/3rdfile/53/thirdvoicebotfile/b.wav"}
	if err := s.Finish(ctx, scope, answerB, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, scope, fileB); err != nil {
		t.Fatal(err)
	}
	if st, _ := begin(t, s, scope, fileA, time.Minute); st != idempotency.InFlight {
		t.Fatalf("after Finish and Abort by another file: %v, want still InFlight for the first", st)
	}
	if st, _ := begin(t, s, scope, fileB, time.Minute); st != idempotency.Mismatch {
		t.Fatalf("the other file after its Finish: %v, want Mismatch", st)
	}
	if err := s.Finish(ctx, scope, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	second := answerA
	second.FileName = "Y:/3rdfile/53/thirdvoicebotfile/second.wav"
	if err := s.Finish(ctx, scope, second, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, scope, fileA); err != nil {
		t.Fatal(err)
	}
	if st, rec := begin(t, s, scope, fileA, time.Minute); st != idempotency.Repeat || rec.FileName != answerA.FileName {
		t.Fatalf("after a second Finish and the Aborts: %v %+v, want Repeat of the first record", st, rec)
	}
	// A key whose lease ran out, free: Finish records, for the retry.
	free := scope
	free.Key = "lease ran out"
	if err := s.Finish(ctx, free, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, rec := begin(t, s, free, fileA, time.Minute); st != idempotency.Repeat || rec.FileName != answerA.FileName {
		t.Fatalf("Finish of a free key: %v %+v, want Repeat", st, rec)
	}
}

// TestAbort: Abort of the file in flight frees the key for a retry, of
// any file, however often it is begun and aborted.
func TestAbort(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, redistest.Start(t).Client)
	for range 2 {
		if st, _ := begin(t, s, scope, fileA, time.Minute); st != idempotency.Fresh {
			t.Fatalf("Begin: %v, want Fresh", st)
		}
		if err := s.Abort(ctx, scope, fileA); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := begin(t, s, scope, fileB, time.Minute); st != idempotency.Fresh {
		t.Fatalf("after the aborts: %v, want Fresh", st)
	}
	if err := s.Abort(ctx, idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "never used"}, fileA); err != nil {
		t.Fatalf("Abort of an unknown key: %v", err)
	}
}

// TestTwoNodes: two Stores, each with its own connection (two nodes), on
// one Redis agree: what one begins the other sees in flight, what one
// finishes the other answers as a repeat, and what one aborts the other
// may begin.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a := newStore(t, srv.Client)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	b := newStore(t, rdb)
	if st, _ := begin(t, a, scope, fileA, time.Minute); st != idempotency.Fresh {
		t.Fatalf("node a: %v", st)
	}
	if st, _ := begin(t, b, scope, fileA, time.Minute); st != idempotency.InFlight {
		t.Fatalf("node b while a uploads: %v, want InFlight", st)
	}
	if err := a.Finish(ctx, scope, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, rec := begin(t, b, scope, fileA, time.Minute); st != idempotency.Repeat || rec.FileName != answerA.FileName {
		t.Fatalf("node b after a finished: %v %+v, want Repeat", st, rec)
	}
	if st, _ := begin(t, b, scope, fileB, time.Minute); st != idempotency.Mismatch {
		t.Fatalf("node b, another file: %v, want Mismatch", st)
	}
	other := scope
	other.Key = "aborted"
	begin(t, b, other, fileB, time.Minute)
	if err := b.Abort(ctx, other, fileB); err != nil {
		t.Fatal(err)
	}
	if st, _ := begin(t, a, other, fileB, time.Minute); st != idempotency.Fresh {
		t.Fatalf("node a after b aborted: %v, want Fresh", st)
	}
}

// TestConcurrentBegins: of many Begins of one scope at once, on two
// nodes, for one file and another, exactly one is Fresh; the others are
// InFlight (its file) or Mismatch (another).
func TestConcurrentBegins(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, PoolSize: 32})
	t.Cleanup(func() { rdb.Close() })
	nodes := []*redisidempotency.Store{newStore(t, srv.Client), newStore(t, rdb)}
	for round := range 20 {
		sc := scope
		sc.Key = fmt.Sprintf("race-%d", round)
		const n = 32
		states := make([]idempotency.State, n)
		hashes := make([]idempotency.Hash, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			hashes[i] = fileA
			if i%2 == 1 {
				hashes[i] = fileB
			}
			wg.Go(func() {
				<-start
				states[i], _, errs[i] = nodes[i%len(nodes)].Begin(context.Background(), sc, hashes[i], time.Minute)
			})
		}
		close(start)
		wg.Wait()
		fresh := -1
		for i, st := range states {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if st == idempotency.Fresh {
				if fresh >= 0 {
					t.Fatalf("round %d: Begins %d and %d both Fresh", round, fresh, i)
				}
				fresh = i
			}
		}
		if fresh < 0 {
			t.Fatalf("round %d: no Begin was Fresh: %v", round, states)
		}
		for i, st := range states {
			want := idempotency.Mismatch
			if hashes[i] == hashes[fresh] {
				want = idempotency.InFlight
			}
			if i != fresh && st != want {
				t.Fatalf("round %d: Begin %d: %v, want %v", round, i, st, want)
			}
		}
	}
}

// TestRedisDown: with Redis unreachable every call fails, so the handler
// refuses the upload instead of storing it unguarded; Ping says so.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, _, err := s.Begin(ctx, scope, fileA, time.Minute); err == nil {
		t.Error("Begin with Redis down: no error")
	}
	if err := s.Finish(ctx, scope, answerA, time.Hour); err == nil {
		t.Error("Finish with Redis down: no error")
	}
	if err := s.Abort(ctx, scope, fileA); err == nil {
		t.Error("Abort with Redis down: no error")
	}
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "redisidempotency") {
		t.Errorf("Ping with Redis down: %v", err)
	}
}

// TestFullRedisRefuses: a Redis at its maxmemory under noeviction refuses
// a new in-flight entry (Begin fails: the upload is refused) and keeps
// every record, which a retry still finds.
func TestFullRedisRefuses(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	begin(t, s, scope, fileA, time.Minute)
	if err := s.Finish(ctx, scope, answerA, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	other := scope
	other.Key = "after the memory ran out"
	if st, _, err := s.Begin(ctx, other, fileA, time.Minute); err == nil || !strings.Contains(err.Error(), "OOM") {
		t.Fatalf("Begin in a full Redis: %v, %v; want Redis's OOM refusal", st, err)
	}
	if st, rec := begin(t, s, scope, fileA, time.Minute); st != idempotency.Repeat || rec.FileName != answerA.FileName {
		t.Fatalf("a retry in a full Redis: %v %+v, want Repeat", st, rec)
	}
	srv.Client.ConfigSet(ctx, "maxmemory", "0")
	if st, _ := begin(t, s, other, fileA, time.Minute); st != idempotency.Fresh {
		t.Fatalf("once there is room: %v, want Fresh (the refused Begin wrote nothing)", st)
	}
}

// TestRefusedArguments: a key the handler would not take, a lease or TTL
// that is not positive, a record with no name or too long are errors,
// and write nothing.
func TestRefusedArguments(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	for _, key := range []string{"", strings.Repeat("k", idempotency.MaxKey+1)} {
		sc := idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: key}
		if _, _, err := s.Begin(ctx, sc, fileA, time.Minute); err == nil {
			t.Errorf("Begin with a key of %d bytes: no error", len(key))
		}
		if err := s.Finish(ctx, sc, answerA, time.Hour); err == nil {
			t.Errorf("Finish with a key of %d bytes: no error", len(key))
		}
		if err := s.Abort(ctx, sc, fileA); err == nil {
			t.Errorf("Abort with a key of %d bytes: no error", len(key))
		}
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if _, _, err := s.Begin(ctx, scope, fileA, d); err == nil {
			t.Errorf("Begin with a lease of %v: no error", d)
		}
		if err := s.Finish(ctx, scope, answerA, d); err == nil {
			t.Errorf("Finish with a TTL of %v: no error", d)
		}
	}
	if err := s.Finish(ctx, scope, idempotency.Record{Hash: fileA}, time.Hour); err == nil {
		t.Error("Finish of a record with no file name: no error")
	}
	huge := answerA
	huge.LocationIDs = []string{strings.Repeat("l", redisidempotency.MaxEntry)}
	if err := s.Finish(ctx, scope, huge, time.Hour); err == nil || !strings.Contains(err.Error(), "MaxEntry") {
		t.Errorf("Finish of a record past MaxEntry: %v", err)
	}
	if n := srv.Client.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("refused calls wrote %d keys", n)
	}
	// A lease under a millisecond is rounded up, not refused.
	if st, _ := begin(t, s, scope, fileA, time.Microsecond); st != idempotency.Fresh {
		t.Fatalf("a lease of 1µs: %v", st)
	}
	if _, err := redisidempotency.New(nil, redisidempotency.Options{}); err == nil {
		t.Error("New(nil): no error")
	}
}

// TestForeignValues: a value under a Store's key that no Store wrote
// (too short, an unknown state, longer than MaxEntry, a finished entry
// with no answer) makes Begin fail, not answer.
func TestForeignValues(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client)
	begin(t, s, scope, fileA, time.Minute)
	key := keys(t, srv.Client, redisidempotency.DefaultPrefix)[0]
	h := fmt.Sprintf("%x", fileA[:])
	for _, v := range []string{
		"1",
		"x" + h,
		"d" + h + strings.Repeat(" ", redisidempotency.MaxEntry),
		"d" + h + "not json",
		"d" + h + `{"l":["loc1"]}`,
	} {
		srv.Client.Set(ctx, key, v, time.Minute)
		if st, rec, err := s.Begin(ctx, scope, fileA, time.Minute); err == nil {
			t.Errorf("a value of %d bytes starting %.70q: %v %+v, no error", len(v), v, st, rec)
		}
	}
}

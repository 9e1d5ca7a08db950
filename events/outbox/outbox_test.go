package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, dir string, opts Options) *Outbox {
	t.Helper()
	o, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func appendN(t *testing.T, o *Outbox, from, n int) []Seq {
	t.Helper()
	var seqs []Seq
	for i := from; i < from+n; i++ {
		seq, err := o.Append(context.Background(), rec(i))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func rec(i int) []byte {
	return fmt.Appendf(nil, "record %d %s", i, bytes.Repeat([]byte{byte(i)}, i%300))
}

func pendingAll(t *testing.T, o *Outbox) []Record {
	t.Helper()
	var all []Record
	var after Seq
	for {
		recs, err := o.Pending(after, 7) // small pages: Pending resumes inside segments
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
		after = recs[len(recs)-1].Seq
	}
}

// wantPending checks the pending records are exactly the records numbered
// in want, with sequence numbers seqs[i] for record i.
func wantPending(t *testing.T, o *Outbox, seqs []Seq, want []int) {
	t.Helper()
	got := pendingAll(t, o)
	if len(got) != len(want) {
		t.Fatalf("%d pending, want %d", len(got), len(want))
	}
	for k, i := range want {
		if got[k].Seq != seqs[i] || !bytes.Equal(got[k].Data, rec(i)) {
			t.Fatalf("pending[%d] = seq %d %.20q, want seq %d %.20q", k, got[k].Seq, got[k].Data, seqs[i], rec(i))
		}
	}
}

func upTo(n int) []int {
	var s []int
	for i := range n {
		s = append(s, i)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	o := open(t, t.TempDir(), Options{SegmentSize: 4 << 10})
	seqs := appendN(t, o, 0, 500) // many segments, and > indexEvery records in some
	for i, s := range seqs {
		if s != Seq(i+1) {
			t.Fatalf("seq %d for record %d, want %d", s, i, i+1)
		}
	}
	wantPending(t, o, seqs, upTo(500))
	recs, err := o.Pending(300, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Seq != 301 || recs[2].Seq != 303 {
		t.Fatalf("Pending(300, 3) = %v", recs)
	}
	if _, err := o.Append(context.Background(), make([]byte, MaxRecord+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a record over MaxRecord: %v", err)
	}
	if _, err := o.Append(context.Background(), make([]byte, MaxRecord)); err != nil {
		t.Fatalf("a record of MaxRecord: %v", err)
	}
	if _, err := o.Append(context.Background(), nil); err != nil {
		t.Fatalf("an empty record: %v", err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	o.Close()
	if _, err := o.Append(context.Background(), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	open(t, dir, Options{})
}

func TestRestartKeepsSeqsAndPending(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{SegmentSize: 4 << 10})
	seqs := appendN(t, o, 0, 200)
	if err := o.Ack(seqs[:150]...); err != nil { // some segments go, the newest stays
		t.Fatal(err)
	}
	o.Close()
	o = open(t, dir, Options{SegmentSize: 4 << 10})
	seqs = append(seqs, appendN(t, o, 200, 10)...)
	if seqs[200] != 201 {
		t.Fatalf("after a restart the next seq is %d, want 201", seqs[200])
	}
	wantPending(t, o, seqs, upTo(210)[150:])

	// Everything acknowledged: the numbering still resumes.
	if err := o.Ack(seqs[150:]...); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = open(t, dir, Options{SegmentSize: 4 << 10})
	wantPending(t, o, nil, nil)
	if s := appendN(t, o, 0, 1); s[0] != 211 {
		t.Fatalf("after acknowledging all, the next seq is %d, want 211", s[0])
	}
}

// TestTornTail cuts the newest segment at every offset inside its last
// record, as a crash mid-write would: Open keeps the records before it,
// serves nothing of the cut one, and the next Append takes its seq.
func TestTornTail(t *testing.T) {
	src := t.TempDir()
	o := open(t, src, Options{})
	seqs := appendN(t, o, 0, 3)
	o.Close()
	seg := filepath.Join(src, segName(1)+segSuffix)
	whole, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	lastLen := frameHeader + len(rec(2))
	start := len(whole) - lastLen
	for cut := start; cut < len(whole); cut++ {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)+segSuffix), whole[:cut], 0o640); err != nil {
			t.Fatal(err)
		}
		o, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		wantPending(t, o, seqs, []int{0, 1})
		if st, _ := os.Stat(filepath.Join(dir, segName(1)+segSuffix)); st.Size() != int64(start) {
			t.Fatalf("cut at %d: segment is %d bytes after Open, want %d", cut, st.Size(), start)
		}
		if s, err := o.Append(context.Background(), rec(2)); err != nil || s != 3 {
			t.Fatalf("cut at %d: Append = %d, %v; want 3", cut, s, err)
		}
		wantPending(t, o, seqs, []int{0, 1, 2})
		o.Close()
	}
	// A tail that the filesystem extended but did not fill (zeros), or
	// filled with another frame's bytes, is cut the same way.
	for _, tail := range [][]byte{make([]byte, lastLen), whole[:lastLen]} {
		dir := t.TempDir()
		torn := append(slices.Clone(whole[:start]), tail...)
		if err := os.WriteFile(filepath.Join(dir, segName(1)+segSuffix), torn, 0o640); err != nil {
			t.Fatal(err)
		}
		o := open(t, dir, Options{})
		wantPending(t, o, seqs, []int{0, 1})
		o.Close()
	}
}

func TestCorruption(t *testing.T) {
	flip := func(t *testing.T, path string, off int64) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := []byte{0}
		f.ReadAt(b, off)
		b[0] ^= 0x40
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	frame := int64(frameHeader + len(rec(1))) // records 0..2 differ in size; 1's offset is frame 0's size
	t.Run("NewestSegmentIsCut", func(t *testing.T) {
		dir := t.TempDir()
		o := open(t, dir, Options{})
		seqs := appendN(t, o, 0, 3)
		o.Close()
		flip(t, filepath.Join(dir, segName(1)+segSuffix), int64(frameHeader+len(rec(0)))+frame-3) // in record 1's data
		o = open(t, dir, Options{})
		wantPending(t, o, seqs, []int{0})
	})
	t.Run("OlderSegmentFailsOpen", func(t *testing.T) {
		dir := t.TempDir()
		o := open(t, dir, Options{SegmentSize: 1 << 10})
		appendN(t, o, 100, 20)
		o.Close()
		flip(t, filepath.Join(dir, segName(1)+segSuffix), 20)
		if _, err := Open(dir, Options{SegmentSize: 1 << 10}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrCorrupt", err)
		}
	})
	t.Run("PendingChecksEveryFrame", func(t *testing.T) {
		dir := t.TempDir()
		o := open(t, dir, Options{})
		appendN(t, o, 0, 3)
		flip(t, filepath.Join(dir, segName(1)+segSuffix), int64(frameHeader+2))
		if recs, err := o.Pending(0, 10); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Pending over a damaged record: %v, %v; want ErrCorrupt", recs, err)
		}
	})
}

func TestAckSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{})
	seqs := appendN(t, o, 0, 10)
	if err := o.Ack(seqs[1], seqs[4], seqs[4], seqs[9]); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(seqs[1]); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := o.Ack(99); !errors.Is(err, ErrUnknownSeq) {
		t.Fatalf("Ack of a seq never handed out: %v", err)
	}
	want := []int{0, 2, 3, 5, 6, 7, 8}
	wantPending(t, o, seqs, want)
	o.Close()
	o = open(t, dir, Options{})
	wantPending(t, o, seqs, want)

	// A torn acknowledgement entry is cut off, and its record stays pending.
	o.Close()
	ack := filepath.Join(dir, segName(1)+ackSuffix)
	f, err := os.OpenFile(ack, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{byte(seqs[0]), 0, 0, 0, 0, 0, 0, 0, kindAck, 1})
	f.Close()
	o = open(t, dir, Options{})
	wantPending(t, o, seqs, want)
	if err := o.Ack(seqs[0]); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = open(t, dir, Options{})
	wantPending(t, o, seqs, want[1:])
}

func segments(t *testing.T, dir string) (segs, acks []string) {
	t.Helper()
	segs, _ = filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	segs = slices.DeleteFunc(segs, func(p string) bool { return filepath.Base(p) == deadName })
	acks, _ = filepath.Glob(filepath.Join(dir, "*"+ackSuffix))
	for i := range segs {
		segs[i] = filepath.Base(segs[i])
	}
	for i := range acks {
		acks[i] = filepath.Base(acks[i])
	}
	return segs, acks
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{SegmentSize: 1 << 10})
	seqs := appendN(t, o, 100, 40)
	o.mu.Lock()
	var firsts []Seq
	for _, s := range o.segs {
		firsts = append(firsts, s.first)
	}
	o.mu.Unlock()
	if len(firsts) < 4 {
		t.Fatalf("only %d segments", len(firsts))
	}
	segs, _ := segments(t, dir)
	if len(segs) != len(firsts) {
		t.Fatalf("%d segment files for %d segments", len(segs), len(firsts))
	}
	// Acknowledge all of the first segment and all but one record of the
	// second: only the first goes.
	var ack []Seq
	for s := firsts[0]; s < firsts[2]-1; s++ {
		ack = append(ack, s)
	}
	if err := o.Ack(ack...); err != nil {
		t.Fatal(err)
	}
	segs, acks := segments(t, dir)
	if slices.Contains(segs, segName(firsts[0])+segSuffix) || slices.Contains(acks, segName(firsts[0])+ackSuffix) {
		t.Fatalf("the acknowledged segment is still there: %v %v", segs, acks)
	}
	if !slices.Contains(segs, segName(firsts[1])+segSuffix) || len(segs) != len(firsts)-1 {
		t.Fatalf("segments %v, want all but %s", segs, segName(firsts[0]))
	}
	// A dead record counts as settled too.
	if err := o.Dead(firsts[2]-1, "gone"); err != nil {
		t.Fatal(err)
	}
	if segs, _ := segments(t, dir); slices.Contains(segs, segName(firsts[1])+segSuffix) {
		t.Fatalf("a segment of acknowledged and dead records is still there: %v", segs)
	}
	// The newest segment stays even when all is settled.
	if err := o.Ack(seqs...); err != nil {
		t.Fatal(err)
	}
	if segs, _ := segments(t, dir); len(segs) != 1 || segs[0] != segName(firsts[len(firsts)-1])+segSuffix {
		t.Fatalf("after acknowledging everything: %v, want the newest segment only", segs)
	}
	wantPending(t, o, nil, nil)
	// Once more records fill it and others after it, and all are
	// acknowledged, only the newest is left again.
	if err := o.Ack(appendN(t, o, 100, 40)...); err != nil {
		t.Fatal(err)
	}
	if segs, _ := segments(t, dir); len(segs) != 1 || segs[0] == segName(firsts[len(firsts)-1])+segSuffix {
		t.Fatalf("after more records, all acknowledged: %v, want one newer segment", segs)
	}
	o.Close()
	if _, err := Open(dir, Options{SegmentSize: 1 << 10}); err != nil {
		t.Fatal(err)
	}
}

func TestDeadLetters(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{})
	seqs := appendN(t, o, 0, 5)
	if err := o.Dead(seqs[1], "receiver answered 410"); err != nil {
		t.Fatal(err)
	}
	if err := o.Dead(seqs[3], "timeout"); err != nil {
		t.Fatal(err)
	}
	if err := o.Dead(seqs[3], "again"); err != nil { // already dead: nothing
		t.Fatal(err)
	}
	wantPending(t, o, seqs, []int{0, 2, 4})
	check := func(o *Outbox, want ...int) {
		t.Helper()
		dl, err := o.DeadLetters()
		if err != nil {
			t.Fatal(err)
		}
		if len(dl) != len(want) {
			t.Fatalf("%d dead letters, want %d", len(dl), len(want))
		}
		for k, i := range want {
			if dl[k].Seq != seqs[i] || !bytes.Equal(dl[k].Data, rec(i)) || dl[k].Time.IsZero() {
				t.Fatalf("dead letter %d: %+v, want record %d", k, dl[k], i)
			}
		}
	}
	check(o, 1, 3)
	if dl, _ := o.DeadLetters(); dl[0].Reason != "receiver answered 410" {
		t.Fatalf("reason %q", dl[0].Reason)
	}
	o.Close()
	o = open(t, dir, Options{})
	check(o, 1, 3)
	wantPending(t, o, seqs, []int{0, 2, 4})

	n, err := o.Redeliver(seqs[1])
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("redelivered as %d, want 6", n)
	}
	seqs = append(seqs, n)
	if _, err := o.Redeliver(seqs[1]); !errors.Is(err, ErrUnknownSeq) {
		t.Fatalf("a second Redeliver: %v", err)
	}
	check(o, 3)
	recs := pendingAll(t, o)
	if len(recs) != 4 || recs[3].Seq != n || !bytes.Equal(recs[3].Data, rec(1)) {
		t.Fatalf("pending after Redeliver: %v", recs)
	}
	o.Close()
	o = open(t, dir, Options{}) // rewrites dead.log without the redelivered letter
	check(o, 3)
	if len(pendingAll(t, o)) != 4 {
		t.Fatal("the redelivered record is not pending after a restart")
	}
}

// TestGroupCommit: 64 appenders at once share fsyncs, and every record
// comes back once, intact.
func TestGroupCommit(t *testing.T) {
	o := open(t, t.TempDir(), Options{SegmentSize: 64 << 10})
	const appenders, each = 64, 20
	var wg sync.WaitGroup
	got := make([][]Seq, appenders)
	for g := range appenders {
		wg.Go(func() {
			for i := range each {
				seq, err := o.Append(context.Background(), rec(g*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], seq)
			}
		})
	}
	wg.Wait()
	total := appenders * each
	if syncs := o.syncs.Load(); syncs > int64(total/4) { // about 1/20 here; one each without group commit
		t.Errorf("%d fsyncs for %d appends: no group commit", syncs, total)
	} else {
		t.Logf("%d fsyncs for %d appends", syncs, total)
	}
	bySeq := map[Seq]int{}
	for g, seqs := range got {
		for i, s := range seqs {
			if i > 0 && s <= seqs[i-1] {
				t.Fatalf("appender %d got seq %d after %d", g, s, seqs[i-1])
			}
			bySeq[s] = g*each + i
		}
	}
	recs := pendingAll(t, o)
	if len(recs) != total || len(bySeq) != total {
		t.Fatalf("%d pending, %d seqs, want %d", len(recs), len(bySeq), total)
	}
	for k, r := range recs {
		if r.Seq != Seq(k+1) || !bytes.Equal(r.Data, rec(bySeq[r.Seq])) {
			t.Fatalf("record %d: seq %d %.20q", k, r.Seq, r.Data)
		}
	}
}

// TestConcurrentUse runs appends, pending reads, acks and dead letters at
// once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	o := open(t, t.TempDir(), Options{SegmentSize: 2 << 10})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := o.Append(context.Background(), rec(g*50+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var after Seq
	for after < 400 && !t.Failed() {
		recs, err := o.Pending(after, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Seq%7 == 0 {
				err = o.Dead(r.Seq, "sevens")
			} else {
				err = o.Ack(r.Seq)
			}
			if err != nil {
				t.Fatal(err)
			}
			after = r.Seq
		}
	}
	wg.Wait()
	if dl, err := o.DeadLetters(); err != nil || len(dl) != 400/7 {
		t.Fatalf("%d dead letters (%v), want %d", len(dl), err, 400/7)
	}
	wantPending(t, o, nil, nil)
}

// TestAppendWaitsForFsync: Append does not return before the fsync that
// covers its record has returned, and an fsync that fails stops every
// later write.
func TestAppendWaitsForFsync(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{})
	entered := make(chan struct{})
	release := make(chan error)
	o.mu.Lock()
	o.syncFile = func(f *os.File) error {
		entered <- struct{}{}
		if err := <-release; err != nil {
			return err
		}
		return f.Sync()
	}
	o.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := o.Append(context.Background(), rec(0))
		done <- err
	}()
	<-entered
	select {
	case err := <-done:
		t.Fatalf("Append returned (%v) while its fsync had not", err)
	case <-time.After(50 * time.Millisecond):
	}
	release <- nil
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	go func() {
		_, err := o.Append(context.Background(), rec(1))
		done <- err
	}()
	<-entered
	release <- errors.New("EIO")
	if err := <-done; err == nil {
		t.Fatal("Append returned no error when its fsync failed")
	}
	if _, err := o.Append(context.Background(), rec(2)); err == nil || !strings.Contains(err.Error(), "EIO") {
		t.Fatalf("Append after a failed fsync: %v, want the fsync's error", err)
	}
	if err := o.Ack(1); err == nil {
		t.Fatal("Ack after a failed fsync succeeded")
	}
	o.Close()
	o = open(t, dir, Options{}) // a fresh Open re-reads the disk
	if recs := pendingAll(t, o); len(recs) < 1 || recs[0].Seq != 1 {
		t.Fatalf("after reopening: %v", recs)
	}
}

// TestDeadCutShort: a crash inside Dead, after the dead letter is written
// and before its record is marked settled, leaves a dead letter that the
// next Open settles: the record is not both pending and dead.
func TestDeadCutShort(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir, Options{})
	seqs := appendN(t, o, 0, 3)
	o.ackMu.Lock()
	err := o.writeDead(deadBody(DeadLetter{Seq: seqs[1], Reason: "cut short", Time: time.Now(), Data: rec(1)}))
	o.ackMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	wantPending(t, o, seqs, []int{0, 1, 2}) // as after the crash
	o.Close()
	o = open(t, dir, Options{})
	wantPending(t, o, seqs, []int{0, 2})
	dl, err := o.DeadLetters()
	if err != nil || len(dl) != 1 || dl[0].Seq != seqs[1] || dl[0].Reason != "cut short" {
		t.Fatalf("dead letters %+v, %v", dl, err)
	}
}

package quota

import (
	"bytes"
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
)

func TestParseLimits(t *testing.T) {
	l, err := ParseLimits("*=2GiB, 53=20GiB/100000,54=none/10,55=1048576")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]Limit{53: {Bytes: 20 << 30, Files: 100000}, 54: {Files: 10}, 55: {Bytes: 1 << 20}}
	if l.Default != (Limit{Bytes: 2 << 30}) || !maps.Equal(l.VDN, want) {
		t.Fatalf("parsed %+v", l)
	}
	if l.For(53) != want[53] || l.For(99) != l.Default {
		t.Fatal("For")
	}
	if got := l.String(); got != "*=2GiB,53=20GiB/100000,54=none/10,55=1MiB" {
		t.Fatalf("String: %q", got)
	}
	if again, err := ParseLimits(l.String()); err != nil || again.String() != l.String() {
		t.Fatalf("round trip: %v %v", again, err)
	}
	for _, bad := range []string{"", "53", "x=1GiB", "0=1GiB", "53=1GB", "53=-1", "53=1GiB/0", "53=1GiB,53=2GiB", "*=1,*=2", "53=99999999TiB"} {
		if _, err := ParseLimits(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestClaimNeverPassesTheLimit: many claims at once at the edge of a
// limit; exactly as many as fit succeed.
func TestClaimNeverPassesTheLimit(t *testing.T) {
	m := NewMemory()
	lim := Limit{Bytes: 1000, Files: 7}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 100 {
		wg.Go(func() {
			if _, got, _ := m.Claim(context.Background(), 1, 100, lim); got {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if u, _ := m.Usage(context.Background(), 1); ok != 7 || u != (Usage{Bytes: 700, Files: 7}) {
		t.Fatalf("%d claims, usage %+v", ok, u)
	}
	m.Release(context.Background(), 1, 100)
	m.Release(context.Background(), 2, 100) // never below zero
	if u, _ := m.Usage(context.Background(), 2); u != (Usage{}) {
		t.Fatalf("released below zero: %+v", u)
	}
	if _, got, _ := m.Claim(context.Background(), 1, 300, lim); !got {
		t.Fatal("no room after a release")
	}
}

// TestClaimSaysWhichLimit: a refused claim returns the usage it found,
// from which Passes tells the limit of bytes from the limit of files; a
// claim that fits returns the usage before it.
func TestClaimSaysWhichLimit(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	lim := Limit{Bytes: 1000, Files: 3}
	for _, step := range []struct {
		size         int64
		ok           bool
		found        Usage
		bytes, files bool
	}{
		{400, true, Usage{}, false, false},
		{400, true, Usage{Bytes: 400, Files: 1}, false, false},
		{201, false, Usage{Bytes: 800, Files: 2}, true, false}, // 1001 bytes
		{200, true, Usage{Bytes: 800, Files: 2}, false, false}, // 1000 bytes, 3 files
		{0, false, Usage{Bytes: 1000, Files: 3}, false, true},  // a fourth file
		{1, false, Usage{Bytes: 1000, Files: 3}, true, true},   // both
	} {
		found, ok, err := m.Claim(ctx, 53, step.size, lim)
		if err != nil || ok != step.ok || found != step.found {
			t.Fatalf("Claim(%d) = %+v, %v, %v; want %+v, %v", step.size, found, ok, err, step.found, step.ok)
		}
		if bytes, files := found.Passes(step.size, lim); !ok && (bytes != step.bytes || files != step.files) {
			t.Fatalf("Claim(%d) refused: Passes says bytes %v, files %v; want %v, %v", step.size, bytes, files, step.bytes, step.files)
		}
	}
}

// TestCount counts only what the upload rule places: a prompt directly
// in a VDN's directory; not a recording, a file in a subdirectory, or one
// of a VDN written another way.
func TestCount(t *testing.T) {
	s := store.NewMemory()
	for name, size := range map[string]int{
		"3rdfile/53/thirdvoicebotfile/a.wav":     10,
		"3rdfile/53/thirdvoicebotfile/b.wav":     20,
		"3rdfile/54/thirdvoicebotfile/c.wav":     40,
		"3rdfile/53/IVRrecordFile/r.wav":         80,
		"3rdfile/53/thirdvoicebotfile/sub/d.wav": 160,
		"3rdfile/053/thirdvoicebotfile/e.wav":    320,
		"voice/53/IVRrecordFile/f.wav":           640,
	} {
		s.Put(context.Background(), name, bytes.NewReader(make([]byte, size)), int64(size))
	}
	got, err := Count(context.Background(), s, pathrule.MustParse(pathrule.Default))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]Usage{53: {Bytes: 30, Files: 2}, 54: {Bytes: 40, Files: 1}}; !maps.Equal(got, want) {
		t.Fatalf("counted %v, want %v", got, want)
	}
}

// TestReleaseOnce: of the removers sharing a Fence, the first gives a
// removed file's size back and the others do not; without a Fence each
// does.
func TestReleaseOnce(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	m.Set(ctx, map[int]Usage{53: {Bytes: 300, Files: 3}})
	f := new(store.MemoryFence)
	for range 3 {
		if err := ReleaseOnce(ctx, m, f, 53, "3rdfile/53/a.wav", 100); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := m.Usage(ctx, 53); u != (Usage{Bytes: 200, Files: 2}) {
		t.Fatalf("three releases of one file through a Fence: %+v, want one released", u)
	}
	ReleaseOnce(ctx, m, nil, 53, "3rdfile/53/b.wav", 100)
	ReleaseOnce(ctx, m, nil, 53, "3rdfile/53/b.wav", 100)
	if u, _ := m.Usage(ctx, 53); u != (Usage{Bytes: 0, Files: 0}) {
		t.Fatalf("without a Fence: %+v, want each release made", u)
	}
}

package events

import (
	"strings"
	"testing"
	"time"
)

// idTime reads the millisecond time back from an ID.
func idTime(id string) time.Time {
	var ms int64
	for _, c := range id[len(IDPrefix) : len(IDPrefix)+10] {
		ms = ms<<5 | int64(strings.IndexRune(idAlphabet, c))
	}
	return time.UnixMilli(ms)
}

// The 128 bits are written most significant first, five to a character.
func TestEncodeID(t *testing.T) {
	for _, tc := range []struct {
		hi, lo uint64
		want   string
	}{
		{0, 0, "evt_00000000000000000000000000"},
		{0, 1, "evt_00000000000000000000000001"},
		{0, 31, "evt_0000000000000000000000000z"},
		{0, 32, "evt_00000000000000000000000010"},
		{1 << 16, 0, "evt_00000000010000000000000000"}, // 1 ms: the 48 time bits end the 10th character
		{1 << 63, 0, "evt_40000000000000000000000000"},
		{^uint64(0), ^uint64(0), "evt_7zzzzzzzzzzzzzzzzzzzzzzzzz"},
	} {
		if got := encodeID(tc.hi, tc.lo); got != tc.want {
			t.Errorf("encodeID(%#x, %#x) = %s, want %s", tc.hi, tc.lo, got, tc.want)
		}
		if !ValidID(tc.want) {
			t.Errorf("%s not valid", tc.want)
		}
	}
}

// New's ID holds New's time, to the millisecond; and when the generator
// must step past the last ID (a clock behind), the carry from the random
// bits moves into the time.
func TestIDHoldsTime(t *testing.T) {
	gen.Lock()
	gen.hi, gen.lo = 0, 0
	gen.Unlock()
	at := time.Date(2026, 12, 5, 19, 2, 33, 120456789, time.UTC)
	ev := New(PromptUploaded, at)
	if got := idTime(ev.ID); !got.Equal(ev.Time) || !got.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("ID %s holds %v, event time %v", ev.ID, got, ev.Time)
	}

	gen.Lock()
	gen.hi, gen.lo = uint64(at.UnixMilli())<<16|0xffff, ^uint64(0)
	gen.Unlock()
	id := NewID(at)
	if got := idTime(id); !got.Equal(at.Truncate(time.Millisecond).Add(time.Millisecond)) || id[len(IDPrefix)+10:] != "0000000000000000" {
		t.Errorf("after the last ID of a millisecond: %s (%v)", id, got)
	}
}

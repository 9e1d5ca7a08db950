package redisidempotency

import (
	"crypto/sha256"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/idempotency"
)

// TestEntryRoundTrip: a record written as an entry reads back the same,
// after its state byte and hash; an in-flight entry is its state and
// hash only.
func TestEntryRoundTrip(t *testing.T) {
	h := idempotency.Hash(sha256.Sum256([]byte("file")))
	for _, rec := range []idempotency.Record{
		{Hash: h, FileName: "Y:/3rdfile/53/thirdvoicebotfile/a.wav", LocationIDs: []string{"loc1", "loc2"}},
		{Hash: h, FileName: `Y:/3rdfile/53/thirdvoicebotfile/"odd" ü.wav`},
	} {
		v, err := doneEntry(rec)
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != stateDone || v[1:65] != hashHex(h) {
			t.Fatalf("entry %q does not start with its state and hash", v)
		}
		got, err := parseAnswer(h, v[65:])
		if err != nil || got.Hash != rec.Hash || got.FileName != rec.FileName || !slices.Equal(got.LocationIDs, rec.LocationIDs) {
			t.Fatalf("round trip of %+v: %+v, %v", rec, got, err)
		}
	}
	if v := inFlightEntry(h); v != "i"+hashHex(h) {
		t.Fatalf("in-flight entry %q", v)
	}
}

// TestEntryBounded: a record that would make an entry longer than
// MaxEntry is refused; one just within it is not.
func TestEntryBounded(t *testing.T) {
	rec := idempotency.Record{FileName: "f"}
	fixed := len(`d`) + 64 + len(`{"n":"f","l":[""]}`)
	rec.LocationIDs = []string{strings.Repeat("l", MaxEntry-fixed)}
	if v, err := doneEntry(rec); err != nil || len(v) != MaxEntry {
		t.Fatalf("an entry of MaxEntry bytes: %d, %v", len(v), err)
	}
	rec.LocationIDs[0] += "l"
	if _, err := doneEntry(rec); err == nil {
		t.Fatal("an entry past MaxEntry: no error")
	}
}

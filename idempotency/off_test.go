package idempotency_test

import (
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/idempotency"
)

func TestOff(t *testing.T) {
	s := scope("k")
	for range 2 {
		if st, _ := begin(t, idempotency.Off, s, hash(1)); st != idempotency.Fresh {
			t.Fatalf("Off: %v", st)
		}
		idempotency.Off.Finish(ctx, s, idempotency.Record{Hash: hash(1)}, time.Hour)
	}
}

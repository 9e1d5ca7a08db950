package redisidempotency_test

import (
	"context"
	"crypto/sha256"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/idempotency/redisidempotency"
)

// Every node of a cluster opens the same Store on one Redis and gives it
// to its handler (ccfs.Options.Idempotency), so that a retry that lands
// on another node is answered the first upload's file name there too.
// This shows the calls the handler makes. (Compiled, not run: it needs
// the Redis server.)
func ExampleNew() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"})
	keys, err := redisidempotency.New(rdb, redisidempotency.Options{})
	if err != nil {
		log.Fatal(err)
	}

	scope := idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "7c1d3b1e-upload-1"}
	h := idempotency.Hash(sha256.Sum256([]byte("the file, as sent")))
	state, rec, err := keys.Begin(ctx, scope, h, idempotency.InFlightLease)
	switch {
	case err != nil:
		log.Print(err) // refuse the upload: the key cannot be checked
	case state == idempotency.Fresh:
		// store the file; then, with what the answer says:
		rec = idempotency.Record{Hash: h, FileName: "Y:/3rdfile/53/thirdvoicebotfile/prompt.wav"}
		if err := keys.Finish(ctx, scope, rec, idempotency.DefaultTTL); err != nil {
			log.Print(err)
		}
		// or, if storing failed: keys.AbortHash(ctx, scope, h)
	case state == idempotency.Repeat:
		log.Print("answer ", rec.FileName, " again; store nothing")
	case state == idempotency.Mismatch:
		log.Print("refuse: the key was used for another file")
	case state == idempotency.InFlight:
		log.Print("answer busy, with Retry-After")
	}
}

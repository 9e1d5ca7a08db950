package redisquota_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/store"
)

// Each node of a cluster opens the same ledger, loads it (only the first
// node to start counts the store), keeps it counted, and gives it to its
// handler.
func ExampleNew() {
	ctx := context.Background()
	files, err := store.NewDir("/var/lib/ccfs/files") // or s3store, or a store.Pool
	if err != nil {
		log.Fatal(err)
	}
	keys, err := auth.NewFileCredentials("/etc/ccfs/keys.json")
	if err != nil {
		log.Fatal(err)
	}
	limits, err := quota.ParseLimits("*=2GiB,53=20GiB/100000")
	if err != nil {
		log.Fatal(err)
	}
	rule := pathrule.MustParse(pathrule.Default)

	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"})
	usage, err := redisquota.New(rdb, redisquota.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := quota.Load(ctx, usage, files, rule); err != nil {
		log.Fatal(err)
	}
	go quota.KeepCounted(ctx, usage, files, rule, 10*time.Second, func(_ map[int]quota.Usage, err error) {
		if err != nil {
			log.Print(err)
		}
	})
	fence := redisquota.NewFence(rdb, "") // Options.Fence, and retention.Sweeper's
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: files, Quota: limits, Usage: usage, Fence: fence})
	if err != nil {
		log.Fatal(err)
	}
	_ = h // mount it: http.Handle(ccfs.InterfacePrefix, h)
}

// Every node of a cluster gives its handler the same replay cache, so
// that a request replayed to another node within the signing window is
// refused there too. (Compiled, not run: it needs the Redis server.)
func Example_replayCache() {
	files, err := store.NewDir("/var/lib/ccfs/files")
	if err != nil {
		log.Fatal(err)
	}
	keys, err := auth.NewFileCredentials("/etc/ccfs/keys.json")
	if err != nil {
		log.Fatal(err)
	}

	cache, _ := redisreplay.New(redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"}), redisreplay.Options{})
	h, _ := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: files, Replay: cache})
	_ = h // mount it: http.Handle(ccfs.InterfacePrefix, h)
}

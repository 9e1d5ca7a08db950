package redisevents_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
	"github.com/ccfs-go/ccfs/store"
)

// Each node opens the Journal on the same Redis with the same endpoints,
// runs its reaper, records its handler's events through it (it is an
// events.Sink), and delivers from the queues: any node delivers an
// event, and the events of a node that died are taken over by another.
func ExampleNew() {
	ctx := context.Background()
	files, err := store.NewDir("/var/lib/ccfs/files")
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"})
	journal, err := redisevents.New(ctx, rdb, redisevents.Options{
		Endpoints: []string{"ivr"},
		// An intent its node left open: was the change made? An upload
		// was if its file is there; a delete or an expiry if it is not.
		Resolve: func(ctx context.Context, ev events.Event) (events.Event, bool, error) {
			f, err := files.Open(ev.FileName)
			if err == nil {
				f.Close()
			} else if !errors.Is(err, fs.ErrNotExist) {
				return ev, false, err // cannot tell yet: asked again later
			}
			there := err == nil
			return ev, there == (ev.Type == events.PromptUploaded), nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	go journal.Run(ctx)

	// The deliverer of the endpoint "ivr" (unsigned here, for brevity).
	q, _ := journal.Queue("ivr")
	for ctx.Err() == nil {
		items, err := q.Next(ctx, 16, 5*time.Second)
		if err != nil {
			log.Print(err)
			time.Sleep(time.Second)
			continue
		}
		for _, it := range items {
			resp, err := http.Post("https://ivr.example.com/hook", "application/json", bytes.NewReader(it.Body))
			if err == nil {
				resp.Body.Close()
			}
			switch {
			case err == nil && resp.StatusCode/100 == 2:
				q.Ack(ctx, it)
			case err == nil && resp.StatusCode == http.StatusGone:
				q.Dead(ctx, it, resp.Status)
			default:
				// Not delivered, and not held: Next hands it out again
				// once it has been idle for ClaimIdle, here or on another
				// node. (A deliverer that retries it itself, with backoff,
				// Holds it meanwhile, and Releases what it has when it
				// stops.)
			}
		}
	}
}

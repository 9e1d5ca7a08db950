package ccfs_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
)

// TestRotationUnderLoad rotates a key's secret while its chatbots upload
// without pause, as an operator would: add the new secret with the old one
// kept as previous, move the chatbots to the new one, drop the previous.
// No upload fails at any step, and the old secret is refused at the end.
func TestRotationUnderLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	write := func(keys ...auth.Key) {
		f, err := os.Create(file + ".tmp")
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.WriteCredentials(f, keys...); err != nil {
			t.Fatal(err)
		}
		f.Close()
		os.Rename(file+".tmp", file)
	}
	const ak, oldSK, newSK = "chatbot-fleet", "sk-old-0123456789", "sk-new-9876543210"
	write(auth.Key{AccessKey: ak, SecretKey: oldSK, VDNs: []int{53}})
	creds, err := auth.NewFileCredentials(file)
	if err != nil {
		t.Fatal(err)
	}
	reload := func() {
		if changed, err := creds.Reload(); !changed || err != nil {
			t.Fatalf("Reload: %v %v", changed, err)
		}
	}
	var previousUsed atomic.Int64
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), RatePerKey: rate.Inf,
		Logger: slog.New(slog.DiscardHandler), OnRequest: func(ev ccfs.Event) {
			if ev.PreviousSecret {
				previousUsed.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var secret atomic.Pointer[string] // what the chatbots sign with
	s := oldSK
	secret.Store(&s)
	var ok, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for bot := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := &ccfs.Client{BaseURL: srv.URL, AccessKey: ak, SecretKey: *secret.Load(), HTTPClient: srv.Client()}
				// Every body differs, so no two requests share a signature.
				_, err := c.Upload(context.Background(), 53, wavfile.File(wavfile.ALaw8k, 800+bot*10_000+i))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	phase := func() { time.Sleep(300 * time.Millisecond) }
	phase()
	// 1. The new secret, the old one kept as previous for an hour.
	write(auth.Key{AccessKey: ak, SecretKey: newSK, PreviousSecretKey: oldSK, PreviousUntil: time.Now().Add(time.Hour), VDNs: []int{53}})
	reload()
	phase()
	// 2. The chatbots move to the new secret.
	n := newSK
	secret.Store(&n)
	phase()
	// 3. The previous secret is dropped.
	write(auth.Key{AccessKey: ak, SecretKey: newSK, VDNs: []int{53}})
	reload()
	phase()
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d uploads failed during the rotation; the first: %v", failed.Load(), failed.Load()+ok.Load(), *firstErr.Load())
	}
	if ok.Load() < 40 || previousUsed.Load() == 0 {
		t.Fatalf("%d uploads, %d with the previous secret: the rotation was not under load", ok.Load(), previousUsed.Load())
	}
	old := &ccfs.Client{BaseURL: srv.URL, AccessKey: ak, SecretKey: oldSK, HTTPClient: srv.Client()}
	if _, err := old.Upload(context.Background(), 53, wavfile.File(wavfile.ALaw8k, 500)); !errors.Is(err, ccfs.ErrAuth) {
		t.Fatalf("the old secret after the rotation: %v", err)
	}
	t.Logf("%d uploads through the rotation, %d signed with the previous secret, none failed", ok.Load(), previousUsed.Load())
}

package redisreplay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay"
	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
)

func TestAddReplayExpiry(t *testing.T) {
	client := redistest.Start(t).Client
	c, err := redisreplay.New(client, redisreplay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sig := [32]byte{1, 2, 3}
	entry := func(sig [32]byte, expires time.Time) auth.ReplayEntry {
		return auth.ReplayEntry{AccessKey: "ak", Signature: sig, Expires: expires}
	}
	if err := c.Add(ctx, entry(sig, time.Now().Add(300*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(ctx, entry(sig, time.Now().Add(time.Minute))); !errors.Is(err, auth.ErrReplay) {
		t.Fatalf("second Add: %v", err)
	}
	ttl := client.PTTL(ctx, redisreplay.DefaultPrefix+"0102030000000000000000000000000000000000000000000000000000000000").Val()
	if ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("PTTL %v", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if err := c.Add(ctx, entry(sig, time.Now().Add(time.Minute))); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// Already expired: it cannot be kept, so it is refused as a replay
	// (it may have been accepted and forgotten), and nothing is stored.
	if err := c.Add(ctx, entry([32]byte{9}, time.Now().Add(-time.Second))); !errors.Is(err, auth.ErrReplay) {
		t.Fatalf("an already expired entry: %v, want ErrReplay", err)
	}
	if n := client.Exists(ctx, redisreplay.DefaultPrefix+"09"+strings.Repeat("0", 62)).Val(); n != 0 {
		t.Fatal("an expired signature was stored")
	}
}

// TestTwoNodes: two verifiers (two servers) share the cache; a request
// accepted by one is refused by the other.
func TestTwoNodes(t *testing.T) {
	client := redistest.Start(t).Client
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "ak", SecretKey: "sk", AnyVDN: true})
	node := func() *auth.Verifier {
		c, _ := redisreplay.New(client, redisreplay.Options{})
		v, err := auth.NewVerifier(auth.VerifierOptions{Credentials: creds, Replay: c})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := node(), node()
	body := []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`)
	c, _ := http.NewRequest("POST", "https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53", strings.NewReader(string(body)))
	c.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := (&auth.Signer{AccessKey: "ak", SecretKey: "sk"}).Sign(c, body); err != nil {
		t.Fatal(err)
	}
	verify := func(v *auth.Verifier) error {
		r := httptest.NewRequest("POST", "/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53", strings.NewReader(string(body)))
		r.Host = "127.0.0.1:28443"
		r.Header = c.Header.Clone()
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		x, err := v.Begin(context.Background(), r, 53)
		if err != nil {
			return err
		}
		x.Write(body)
		return x.Verify(context.Background())
	}
	if err := verify(a); err != nil {
		t.Fatalf("node A: %v", err)
	}
	if err := verify(b); !errors.Is(err, auth.ErrReplay) {
		t.Fatalf("node B, the same request: %v", err)
	}
}

// TestOutageFailsClosed: with Redis gone, signatures are refused.
func TestOutageFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	c, _ := redisreplay.New(srv.Client, redisreplay.Options{})
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Add(ctx, auth.ReplayEntry{AccessKey: "ak", Signature: [32]byte{7}, Expires: time.Now().Add(time.Minute)})
	if !errors.Is(err, auth.ErrReplayUnavailable) {
		t.Fatalf("err = %v, want ErrReplayUnavailable", err)
	}
}

func TestNewRefusesNil(t *testing.T) {
	if _, err := redisreplay.New(nil, redisreplay.Options{}); err == nil {
		t.Fatal("accepted a nil client")
	}
}

// TestPing: Ping answers while Redis runs, and not once it stops.
func TestPing(t *testing.T) {
	s := redistest.Start(t)
	c, err := redisreplay.New(s.Client, redisreplay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.Stop()
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Redis stopped: nil")
	}
}

package ccfstest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/wavcheck"
)

func TestServerRoundTrip(t *testing.T) {
	s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
	wav := ccfstest.WAV(500*time.Millisecond, wavcheck.ALaw)
	rd, err := s.Client().Upload(context.Background(), s.VDN, wav)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s.Store.Get(strings.TrimPrefix(rd.FileName, "Y:/"))
	if !ok || !bytes.Equal(got, wav) || len(wav) != 44+4000 {
		t.Fatalf("stored %d bytes under %s", len(got), rd.FileName)
	}
}

func TestBrokenFixturesAreRefused(t *testing.T) {
	s := ccfstest.NewServer(t)
	for name, tc := range map[string]struct {
		wav  []byte
		desc string
	}{
		"stereo":    {ccfstest.Stereo(), "2 channels (stereo); need mono"},
		"16 kHz":    {ccfstest.Rate16k(), "16000 Hz; need 8000 Hz"},
		"16-bit":    {ccfstest.PCM16(), "16-bit PCM; need 8-bit A-law"},
		"truncated": {ccfstest.Truncated(), "data chunk declares 8000 bytes but the file ends after"},
		"µ-law":     {ccfstest.WAV(time.Second, wavcheck.MuLaw), "8-bit µ-law; need 8-bit A-law"},
	} {
		_, err := s.Client().Upload(context.Background(), s.VDN, tc.wav)
		var ce ccfs.Error
		if !errors.As(err, &ce) || ce.Code() != ccfs.ErrFormat.Code() || !strings.Contains(ce.Desc(), tc.desc) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(s.Store.Names()); n != 0 {
		t.Fatalf("stored %d", n)
	}
}

func TestServerOptions(t *testing.T) {
	s := ccfstest.NewServer(t,
		ccfstest.WithKey(auth.Key{AccessKey: "vendor", SecretKey: "vendor-secret", VDNs: []int{7}}),
		ccfstest.WithCodecs(wavcheck.ALaw, wavcheck.MuLaw),
		ccfstest.WithPathRule("/prompts/%VDNNO%/"),
		ccfstest.WithMaxFileMB(1),
	)
	c := s.Client()
	c.AccessKey, c.SecretKey = "vendor", "vendor-secret"
	rd, err := c.Upload(context.Background(), 7, ccfstest.WAV(time.Second, wavcheck.MuLaw))
	if err != nil || !strings.HasPrefix(rd.FileName, "/prompts/7/") {
		t.Fatalf("%v %v", rd, err)
	}
	if _, err := c.Upload(context.Background(), 7, ccfstest.WAV(140*time.Second, wavcheck.ALaw)); !errors.Is(err, ccfs.ErrTooLong) {
		t.Fatalf("over 1 MB: %v", err)
	}
	if _, err := c.Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw)); !errors.Is(err, ccfs.ErrVDNForbidden) {
		t.Fatalf("vendor key on the server's VDN: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s := ccfstest.NewServer(t)
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	// Refused for now twice: the Client tries again, signed anew, and the
	// third try is stored.
	s.FailNext(2, ccfs.ErrBusy)
	if _, err := s.Client().Upload(context.Background(), s.VDN, wav); err != nil {
		t.Fatalf("after two refusals for now: %v", err)
	}
	// A Client that does not retry sees each refusal.
	noRetry := s.Client()
	noRetry.Retries = -1
	s.FailNext(2, ccfs.ErrBusy)
	for i := range 2 {
		if _, err := noRetry.Upload(context.Background(), s.VDN, wav); !errors.Is(err, ccfs.ErrBusy) {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := noRetry.Upload(context.Background(), s.VDN, wav); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	s.FailNext(1, ccfs.ErrAuth)
	var ce ccfs.Error
	if _, err := s.Client().Upload(context.Background(), s.VDN, wav); !errors.As(err, &ce) || ce.Status() != 401 {
		t.Fatalf("injected auth failure: %v", err)
	}

	s.DelayNext(1, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Client().Upload(ctx, s.VDN, wav); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed upload with a short deadline: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("the deadline did not cut the delay short")
	}
	if n := len(s.Store.Names()); n != 2 { // the retried one, and the one after the faults
		t.Fatalf("stored %d files, want 2", n)
	}
}

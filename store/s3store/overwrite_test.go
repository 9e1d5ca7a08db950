package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// Behind a server that refuses If-None-Match as not implemented, the
// default Store stores a one-part and a multipart file all the same —
// whichever comes first meets the refusal — reads them back and deletes
// them; it says so once, at WARN, naming the store; and nothing is left
// behind.
func TestWithoutConditionalWrites(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	for _, first := range []int{100_000, 2*s3store.MinPartSize + 123} {
		p := g.RefusingIfNoneMatch(t)
		var logs bytes.Buffer
		s := p.Store(t, s3store.Options{Prefix: "detect/", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		if got := s.Protection(); !strings.HasPrefix(got, "If-None-Match") {
			t.Fatalf("before any write: %s", got)
		}
		for i, size := range []int{first, 100_000, 2*s3store.MinPartSize + 123} {
			name := strings.Repeat("x", i+1) + ".wav"
			data := bytes.Repeat([]byte{byte(i)}, size)
			if _, err := s.Put(ctx, name, bytes.NewReader(data), -1); err != nil {
				t.Fatalf("first %d: Put of %d bytes: %v", first, size, err)
			}
			got, err := readAll(s, name)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("first %d: read back %d bytes of %d: %v", first, len(got), size, err)
			}
			if err := s.Remove(ctx, name); err != nil {
				t.Fatalf("first %d: Remove: %v", first, err)
			}
		}
		if p.Refused() != s3store.DetectRefusals || s.ProtectionMode() != "none" {
			t.Fatalf("first %d: %d refusals, protection %q; want %d, and none", first, p.Refused(), s.Protection(), s3store.DetectRefusals)
		}
		if n := strings.Count(logs.String(), `"level":"WARN"`); n != 1 || !strings.Contains(logs.String(), "s3://"+g.Bucket+"/detect/") {
			t.Fatalf("first %d: want one WARN naming the store:\n%s", first, logs.String())
		}
	}
	assertNoUploads(t, g)
	ccfstest.TestLifecycle(t, g.RefusingIfNoneMatch(t).Store(t, s3store.Options{Prefix: "lifecycle/", Logger: slog.New(slog.DiscardHandler)}))
	assertNoUploads(t, g)
}

// One refusal of If-None-Match (a proxy in the path, a gateway being
// upgraded) does not switch the protection off: only DetectRefusals in a
// row, of different writes, do. Once off, the Store probes the server
// again every Reprobe, and turns the protection back on when the server
// honours the condition.
func TestDetectionNeedsEvidence(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	p := g.RefusingIfNoneMatch(t)
	s := p.Store(t, s3store.Options{Prefix: "evidence/", Reprobe: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	put := func(name string) {
		t.Helper()
		if _, err := s.Put(ctx, name, bytes.NewReader([]byte("RIFF")), -1); err != nil {
			t.Fatalf("Put %s: %v", name, err)
		}
	}
	put("transient.wav") // refused once, stored without the condition
	p.Honour(true)
	for _, n := range []string{"a.wav", "b.wav", "c.wav"} {
		put(n)
	}
	if p.Refused() != 1 || s.ProtectionMode() != "if-none-match" || p.Seen("If-None-Match") != 4 {
		t.Fatalf("after one refusal: %d refusals, %d conditional writes, protection %q; want it kept", p.Refused(), p.Seen("If-None-Match"), s.Protection())
	}
	// The same write refused again and again is one piece of evidence;
	// DetectRefusals different ones turn the protection off.
	p.Honour(false)
	for i := range s3store.DetectRefusals {
		put(strings.Repeat("r", i+1) + ".wav")
		if want := i+1 < s3store.DetectRefusals; (s.ProtectionMode() == "if-none-match") != want {
			t.Fatalf("after %d refusals in a row: protection %q", i+1, s.Protection())
		}
	}
	if !strings.Contains(s.Protection(), "probing again every 300ms") {
		t.Fatalf("off on evidence: %q", s.Protection())
	}
	// The server honours it again: the next Put past Reprobe probes, and
	// the protection comes back.
	p.Honour(true)
	time.Sleep(350 * time.Millisecond)
	put("after.wav")
	for deadline := time.Now().Add(10 * time.Second); s.ProtectionMode() != "if-none-match"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server honours If-None-Match again, and the protection is still %q", s.Protection())
		}
	}
	assertNoUploads(t, g)
}

// A Store told to require If-None-Match stores nothing where the server
// refuses it, and leaves no object and no part.
func TestRequiredIfNoneMatchRefused(t *testing.T) {
	g := s3test.Start(t)
	s := g.RefusingIfNoneMatch(t).Store(t, s3store.Options{Overwrite: s3store.OverwriteIfNoneMatch})
	ctx := context.Background()
	for _, size := range []int{1000, 2*s3store.MinPartSize + 1} {
		_, err := s.Put(ctx, "required.wav", bytes.NewReader(make([]byte, size)), -1)
		if err == nil || errors.Is(err, store.ErrExist) {
			t.Fatalf("%d bytes: Put: %v, want the server's refusal", size, err)
		}
		if _, err := g.Client(t).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String("required.wav")}); err == nil {
			t.Fatalf("%d bytes: an object was left", size)
		}
	}
	assertNoUploads(t, g)
	if s.Protection() != "If-None-Match" {
		t.Fatalf("protection %q", s.Protection())
	}
}

// OverwriteHeader sends the vendor's header instead of If-None-Match.
func TestOverwriteHeader(t *testing.T) {
	g := s3test.Start(t)
	p := g.RefusingIfNoneMatch(t)
	s := p.Store(t, s3store.Options{Overwrite: s3store.OverwriteHeader, ForbidOverwriteHeader: "x-oss-forbid-overwrite"})
	ctx := context.Background()
	for i, size := range []int{1000, 2*s3store.MinPartSize + 1} {
		if _, err := s.Put(ctx, strings.Repeat("h", i+1)+".wav", bytes.NewReader(make([]byte, size)), -1); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
	}
	if p.Seen("If-None-Match") != 0 || p.Seen("x-oss-forbid-overwrite") != 2 {
		t.Fatalf("If-None-Match on %d requests, x-oss-forbid-overwrite on %d; want 0 and 2", p.Seen("If-None-Match"), p.Seen("x-oss-forbid-overwrite"))
	}
	if _, err := s3store.New(g.Client(t), s3store.Options{Bucket: g.Bucket, Overwrite: s3store.OverwriteHeader}); err == nil {
		t.Fatal("OverwriteHeader without a header name was accepted")
	}
}

func readAll(s *s3store.Store, name string) ([]byte, error) {
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(f)
	if err == nil {
		if info, _ := f.Stat(); info.IsDir() {
			err = fs.ErrInvalid
		}
	}
	return b.Bytes(), err
}

// ignoring is a server that ignores If-None-Match: the request reaches it
// without the condition.
type ignoring struct{ s3store.API }

func (i ignoring) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c := *in
	c.IfNoneMatch = nil
	return i.API.PutObject(ctx, &c, o...)
}

// Probe tells the three behaviours apart, turns OverwriteDetect off for
// the two that do not protect, and leaves no object behind.
func TestProbe(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	direct, err := s3store.New(g.Client(t), s3store.Options{Bucket: g.Bucket, Prefix: "probe/"})
	if err != nil {
		t.Fatal(err)
	}
	ignored, err := s3store.New(ignoring{g.Client(t)}, s3store.Options{Bucket: g.Bucket, Prefix: "probe/", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	refused := g.RefusingIfNoneMatch(t).Store(t, s3store.Options{Prefix: "probe/", Logger: slog.New(slog.DiscardHandler)})
	required := g.RefusingIfNoneMatch(t).Store(t, s3store.Options{Prefix: "probe/", Overwrite: s3store.OverwriteIfNoneMatch})
	for _, c := range []struct {
		s                *s3store.Store
		want, protection string
	}{
		{direct, "honoured", "if-none-match"},
		{refused, "refused", "none"},
		{ignored, "ignored", "none"},
		{required, "refused", "if-none-match"},
	} {
		got, err := c.s.Probe(ctx)
		if err != nil || got != c.want || c.s.ProtectionMode() != c.protection {
			t.Errorf("Probe: %q %v, protection %q; want %q, %q", got, err, c.s.Protection(), c.want, c.protection)
		}
	}
	out, err := g.Client(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(g.Bucket), Prefix: aws.String("probe/")})
	if err != nil || len(out.Contents) != 0 {
		t.Fatalf("the probe left %d objects: %v", len(out.Contents), err)
	}
}

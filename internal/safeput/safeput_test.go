package safeput_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/internal/safeput"
)

// fake is a store whose Put does what a test says.
type fake struct {
	put     func(r io.Reader) error
	removed []string
	kept    io.Reader
}

func (f *fake) Put(_ context.Context, name string, r io.Reader, _ int64) ([]string, error) {
	f.kept = r
	return nil, f.put(r)
}

func (f *fake) Remove(_ context.Context, name string) error {
	f.removed = append(f.removed, name)
	return nil
}

func TestPut(t *testing.T) {
	ctx := context.Background()
	data := "0123456789"

	// A store that reads to EOF and says yes: success.
	f := &fake{put: func(r io.Reader) error { _, err := io.ReadAll(r); return err }}
	if _, err := safeput.Put(ctx, f, "a", strings.NewReader(data), -1); err != nil || len(f.removed) != 0 {
		t.Fatalf("a good store: %v, removed %v", err, f.removed)
	}

	// A store that says yes after half the file: refused and taken back.
	f = &fake{put: func(r io.Reader) error { r.Read(make([]byte, 5)); return nil }}
	if _, err := safeput.Put(ctx, f, "b", strings.NewReader(data), -1); !errors.Is(err, safeput.ErrNotDrained) || len(f.removed) != 1 {
		t.Fatalf("a store that stops early: %v, removed %v", err, f.removed)
	}

	// A store that panics: an error, not a crash.
	f = &fake{put: func(r io.Reader) error { panic("oops") }}
	if _, err := safeput.Put(ctx, f, "c", strings.NewReader(data), -1); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("a panicking store: %v", err)
	}

	// A store that panics after reading everything: what it kept is taken back.
	f = &fake{put: func(r io.Reader) error { io.ReadAll(r); panic("late") }}
	if _, err := safeput.Put(ctx, f, "d", strings.NewReader(data), -1); err == nil || len(f.removed) != 1 {
		t.Fatalf("a store that panics after EOF: %v, removed %v", err, f.removed)
	}

	// A store's failure comes back as it is.
	boom := errors.New("disk full")
	f = &fake{put: func(r io.Reader) error { return boom }}
	if _, err := safeput.Put(ctx, f, "e", strings.NewReader(data), -1); err != boom {
		t.Fatalf("a failing store: %v", err)
	}

	// After Put returns, the reader it was given reads nothing more.
	f = &fake{put: func(r io.Reader) error { _, err := io.ReadAll(r); return err }}
	src := bytes.NewReader([]byte(data))
	safeput.Put(ctx, f, "f", src, -1)
	src.Reset([]byte(data))
	if n, err := f.kept.Read(make([]byte, 4)); n != 0 || err == nil {
		t.Fatalf("a read after Put returned: %d, %v", n, err)
	}
}

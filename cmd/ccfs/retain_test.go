package main

// The retention wiring of serve (retain.go).

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeRetain: with --retain, the prompts older than the age go at
// start; a younger prompt and an old recording stay. Each removal reaches
// the webhook as prompt.expired.
func TestServeRetain(t *testing.T) {
	recv := newReceiver(t)
	recv.up.Store(true)
	data := t.TempDir()
	files := filepath.Join(data, "files")
	old := time.Now().Add(-40 * 24 * time.Hour)
	for name, mod := range map[string]time.Time{
		"3rdfile/1/thirdvoicebotfile/old.wav":   old,
		"3rdfile/1/thirdvoicebotfile/young.wav": time.Now(),
		"voice/1/IVRrecordFile/old.wav":         old,
	} {
		p := filepath.Join(files, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, alaw(800), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mod, mod)
	}
	startServe(t, "--data", data, "--retain", "30d", "--webhook", recv.srv.URL, "--webhook-secret-file", recv.secretFile(t))
	gone := filepath.Join(files, "3rdfile/1/thirdvoicebotfile/old.wav")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(gone); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired prompt is still there")
		}
	}
	for _, kept := range []string{"3rdfile/1/thirdvoicebotfile/young.wav", "voice/1/IVRrecordFile/old.wav"} {
		if _, err := os.Stat(filepath.Join(files, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
	got := recv.waitDelivered(t, []string{"prompt.expired /3rdfile/1/thirdvoicebotfile/old.wav"}, 30*time.Second)
	ev := got["prompt.expired /3rdfile/1/thirdvoicebotfile/old.wav"]
	if len(got) != 1 || ev.VDN != 1 || ev.Size != int64(len(alaw(800))) || ev.AccessKey != "" || ev.RequestID != "" {
		t.Fatalf("events %+v", got)
	}
}

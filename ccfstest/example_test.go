package ccfstest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// uploadSnippet and siblingsSnippet are the examples' code, which needs a
// *testing.T: TestExamples runs it.
var uploadSnippet, siblingsSnippet func(t *testing.T)

// A chatbot vendor tests its upload code against a real server.
func ExampleNewServer() {
	uploadSnippet = func(t *testing.T) {
		s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))

		wav := ccfstest.WAV(2*time.Second, wavcheck.ALaw)
		rd, err := s.Client().Upload(context.Background(), s.VDN, wav)
		if err != nil {
			t.Fatal(err)
		}
		t.Log("stored as", rd.FileName) // Y:/3rdfile/53/thirdvoicebotfile/…

		// Make the next upload fail, to test the retry path. (ccfs.Client
		// retries 0300014 and 0300015 itself unless told not to.)
		c := s.Client()
		c.Retries = -1
		s.FailNext(1, ccfs.ErrBusy)
		if _, err := c.Upload(context.Background(), s.VDN, wav); !errors.Is(err, ccfs.ErrBusy) {
			t.Fatal(err)
		}
	}
}

// A chatbot vendor tests taking a prompt back and fetching a recording.
func ExampleServer_AddFile() {
	siblingsSnippet = func(t *testing.T) {
		s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))
		c := s.Client()
		ctx := context.Background()

		// A recording the IVR made, for the chatbot to download.
		path := s.AddFile("voice/53/IVRrecordFile/call-1.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
		var rec bytes.Buffer
		if _, err := c.Download(ctx, path, &rec); err != nil {
			t.Fatal(err)
		}

		// A prompt uploaded, then taken back.
		rd, err := c.Upload(ctx, s.VDN, ccfstest.WAV(2*time.Second, wavcheck.ALaw))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, rd.FileName, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Download(ctx, rd.FileName, io.Discard); !errors.Is(err, ccfs.ErrNoSuchFile) {
			t.Fatal(err)
		}
	}
}

// A team writing a storage adapter checks it against the Store contract.
func ExampleTestStore() {
	_ = func(t *testing.T) {
		ccfstest.TestStore(t, store.NewMemory()) // your adapter here
	}
}

func TestExamples(t *testing.T) {
	ExampleNewServer()
	ExampleServer_AddFile()
	t.Run("NewServer", uploadSnippet)
	t.Run("Server_AddFile", siblingsSnippet)
}

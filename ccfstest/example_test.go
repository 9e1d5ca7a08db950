package ccfstest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// uploadSnippet and smallSnippet are the examples' code, which needs a
// *testing.T: TestExamples runs it.
var uploadSnippet, smallSnippet, ownStoreSnippet, serveSnippet func(t *testing.T)

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
	smallSnippet = func(t *testing.T) {
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
	_ = func(t *testing.T) { // func TestMyStore(t *testing.T), in your adapter's tests
		ccfstest.TestStore(t, store.NewMemory())     // your adapter here; it must also be a store.Opener
		ccfstest.TestLifecycle(t, store.NewMemory()) // upload, download, delete through the handler
	}
}

// A Go team tests its own store with a client, through the real handler.
func ExampleWithStore() {
	ownStoreSnippet = func(t *testing.T) {
		files, err := store.NewDir(t.TempDir()) // or your own adapter
		if err != nil {
			t.Fatal(err)
		}
		defer files.Close()
		s := ccfstest.NewServer(t, ccfstest.WithStore(files), ccfstest.WithRootPrefix("Y:"))

		rd, err := s.Client().Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw))
		if err != nil {
			t.Fatal(err)
		}
		f, err := files.Open(strings.TrimPrefix(rd.FileName, "Y:/")) // in your store
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// A Go team tests its whole server — its mux, its middleware, the
// handler mounted in it — with a client.
func ExampleServe() {
	serveSnippet = func(t *testing.T) {
		key := ccfstest.NewKey() // a key for the handler's credentials and the client
		keys, _ := auth.NewStatic(key)
		h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle(ccfs.InterfacePrefix, logRequests(h)) // your middleware, your routes

		s := ccfstest.Serve(t, mux, key)
		if _, err := s.Client().Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw)); err != nil {
			t.Fatal(err)
		}
	}
}

// logRequests stands for an integrator's middleware.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
	})
}

func TestExamples(t *testing.T) {
	ExampleNewServer()
	ExampleServer_AddFile()
	ExampleWithStore()
	ExampleServe()
	t.Run("NewServer", uploadSnippet)
	t.Run("Server_AddFile", smallSnippet)
	t.Run("WithStore", ownStoreSnippet)
	t.Run("Serve", serveSnippet)
}

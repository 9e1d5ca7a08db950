package ccfstest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A chatbot vendor tests its upload code against a real server. (The
// example needs a *testing.T, so it is compiled but not run here;
// TestVendorSnippet runs the same code.)
func ExampleNewServer() {
	_ = func(t *testing.T) {
		s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))

		wav := ccfstest.WAV(2*time.Second, wavcheck.ALaw)
		rd, err := s.Client().Upload(context.Background(), s.VDN, wav)
		if err != nil {
			t.Fatal(err)
		}
		t.Log("stored as", rd.FileName) // Y:/3rdfile/53/thirdvoicebotfile/…

		// Make the next upload fail, to test the retry path.
		s.FailNext(1, ccfs.ErrBusy)
		if _, err := s.Client().Upload(context.Background(), s.VDN, wav); !errors.Is(err, ccfs.ErrBusy) {
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

func TestVendorSnippet(t *testing.T) {
	s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))
	wav := ccfstest.WAV(2*time.Second, wavcheck.ALaw)
	rd, err := s.Client().Upload(context.Background(), s.VDN, wav)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("stored as", rd.FileName)
	s.FailNext(1, ccfs.ErrBusy)
	if _, err := s.Client().Upload(context.Background(), s.VDN, wav); !errors.Is(err, ccfs.ErrBusy) {
		t.Fatal(err)
	}
}

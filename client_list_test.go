package ccfs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/store"
)

// Client.List pages through a VDN's prompts with the server's tokens,
// yielding each once in name order; stopping early stops the requests;
// a refusal is yielded once, as an Error, and ends the listing.
func TestClientList(t *testing.T) {
	mem := store.NewMemory()
	var want []string
	for i := range 23 {
		n := promptName(53, fmt.Sprintf("p%02d.wav", i))
		putFile(t, mem, n, "x")
		want = append(want, "Y:/"+n)
	}
	var requests int
	e := newListEnv(t, mem)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		e.h.ServeHTTP(w, r)
	}))
	defer counting.Close()
	c := &ccfs.Client{BaseURL: counting.URL, AccessKey: testAK, SecretKey: testSK, Now: e.clock}
	ctx := context.Background()
	var got []string
	for f, err := range c.List(ctx, 53, ccfs.ListOptions{PageSize: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.FileName)
	}
	if !slices.Equal(got, want) || requests != 5 {
		t.Fatalf("listed %d files in %d requests: %q", len(got), requests, got)
	}
	// Stopping after 7 files asks for two pages only.
	requests = 0
	n := 0
	for _, err := range c.List(ctx, 53, ccfs.ListOptions{PageSize: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 7 {
			break
		}
	}
	if requests != 2 {
		t.Fatalf("stopped after 7 files, %d requests", requests)
	}
	// The default page size: one request.
	requests = 0
	if got := countList(t, c.List(ctx, 53, ccfs.ListOptions{})); got != 23 || requests != 1 {
		t.Fatalf("default page size: %d files in %d requests", got, requests)
	}
	// Refusals: another tenant's VDN, a bad page size, a stranger, and a
	// server without listFiles.
	stranger := *c
	stranger.SecretKey = "wrong"
	off := newEnv(t, func(o *ccfs.Options) { o.Store = mem })
	vendor := &ccfs.Client{BaseURL: off.srv.URL, AccessKey: testAK, SecretKey: testSK, Now: off.clock}
	for _, tc := range []struct {
		name string
		c    *ccfs.Client
		vdn  int
		size int
		want ccfs.Error
	}{
		{"another tenant", c, 99, 0, ccfs.ErrVDNForbidden},
		{"a page too large", c, 53, ccfs.MaxListLimit + 1, ccfs.ErrFormat},
		{"a stranger", &stranger, 53, 0, ccfs.ErrAuth},
		{"no listFiles", vendor, 53, 0, ccfs.ErrNotFound},
	} {
		var errs []error
		files := 0
		for f, err := range tc.c.List(ctx, tc.vdn, ccfs.ListOptions{PageSize: tc.size}) {
			if err != nil {
				errs = append(errs, err)
			} else if f.FileName != "" {
				files++
			}
		}
		if len(errs) != 1 || !errors.Is(errs[0], tc.want) || files != 0 {
			t.Errorf("%s: %d files, errors %v; want one %s", tc.name, files, errs, tc.want.Code())
		}
	}
}

func countList(t *testing.T, seq func(func(ccfs.ListedFile, error) bool)) int {
	t.Helper()
	n := 0
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// ExampleClient_List lists VDN 53's prompts, every page, stopping at the
// first error.
func ExampleClient_List() {
	client := &ccfs.Client{BaseURL: "https://10.22.26.181:28443", AccessKey: "chatbot-a", SecretKey: os.Getenv("CCFS_SK")}
	ctx := context.Background()
	list := func() error {
		for f, err := range client.List(ctx, 53, ccfs.ListOptions{PageSize: 100}) {
			if err != nil {
				return err // a refusal is a ccfs.Error; ErrNotFound: the server has no listFiles
			}
			fmt.Println(f.FileName, f.Size, f.Modified)
		}
		return nil
	}
	if err := list(); err != nil {
		log.Fatal(err)
	}
}

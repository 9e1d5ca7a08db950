package store_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
)

// Count uploads by wrapping the store's Put, and keep deleteFile and
// downloadFile: Wrap forwards every optional method the store has.
func ExampleWrap() {
	dir, _ := os.MkdirTemp("", "ccfs-example")
	defer os.RemoveAll(dir)
	files, err := store.NewDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer files.Close()

	var uploads atomic.Int64
	counted := store.Wrap(files, func(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
		uploads.Add(1)
		return files.Put(ctx, name, r, size)
	})

	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: counted, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Interfaces())
	// Output:
	// [upload delete download]
}

// wrongWrapper embeds only store.Store: Put alone is promoted.
type wrongWrapper struct{ store.Store }

// A wrapper struct that embeds only store.Store hides its store's Remove
// and Open: the handler serves uploads alone, and says so in a WARN each
// for deleteFile and downloadFile.
func ExampleWrap_wrongWrapper() {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: keys,
		Store:       wrongWrapper{store.NewMemory()}, // WARN deleteFile is not served: … has no Remove method (store.Remover)
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Interfaces())
	// Output:
	// [upload]
}

// Command naiveserve serves the naive peer (internal/bench.Naive) over
// HTTPS on a store.Dir, the way "ccfs serve" serves the handler, for the
// served benchmark (internal/bench/served). Its key is the benchmarks'
// access key "bench" with secret "bench-secret", for any VDN.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/ccfs-go/ccfs/internal/bench"
	"github.com/ccfs-go/ccfs/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:28444", "address to listen on (loopback)")
	dir := flag.String("dir", "", "directory for the files")
	cert := flag.String("tls-cert", "", "TLS certificate (PEM)")
	key := flag.String("tls-key", "", "TLS private key (PEM)")
	flag.Parse()
	d, err := store.NewDir(*dir)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: bench.NewNaive(d), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServeTLS(*cert, *key))
}

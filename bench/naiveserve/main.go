// Command naiveserve serves the naive peer (bench.Naive) over
// HTTPS, storing files the careful plain way (bench.Careful: a temporary
// file beside the target, fsync, rename, directory fsync), for the served
// benchmarks (bench/served, bench/prompts). Its keys
// are those of a ccfs credentials file (-credentials), each for any VDN,
// or else the benchmarks' access key "bench" with secret "bench-secret".
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:28444", "address to listen on (loopback)")
	dir := flag.String("dir", "", "directory for the files")
	cert := flag.String("tls-cert", "", "TLS certificate (PEM)")
	key := flag.String("tls-key", "", "TLS private key (PEM)")
	creds := flag.String("credentials", "", "ccfs credentials file whose keys to accept")
	flag.Parse()
	if *dir == "" {
		log.Fatal("naiveserve: need -dir")
	}
	var n http.Handler = bench.NewNaive(bench.Careful{Root: *dir})
	if *creds != "" {
		keys, err := auth.NewFileCredentials(*creds)
		if err != nil {
			log.Fatalf("naiveserve: %v", err)
		}
		n = bench.NewNaiveWith(keys, bench.Careful{Root: *dir})
	}
	srv := &http.Server{Addr: *addr, Handler: n, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServeTLS(*cert, *key))
}

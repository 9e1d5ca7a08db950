// Command naiveserve serves the naive peer (internal/bench.Naive) over
// HTTPS, storing files the careful plain way (bench.Careful: a temporary
// file beside the target, fsync, rename, directory fsync), for the served
// benchmarks (internal/bench/served, internal/bench/prompts). Its keys
// are those of a ccfs credentials file (-credentials), each for any VDN,
// or else the benchmarks' access key "bench" with secret "bench-secret".
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/ccfs-go/ccfs/internal/bench"
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
	n := bench.NewNaive(bench.Careful{Root: *dir}).(*bench.Naive)
	if *creds != "" {
		b, err := os.ReadFile(*creds)
		if err != nil {
			log.Fatal(err)
		}
		var f struct {
			Keys []struct {
				AK string `json:"ak"`
				SK string `json:"sk"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			log.Fatalf("naiveserve: %s: %v", *creds, err)
		}
		for _, k := range f.Keys {
			n.Keys[k.AK] = k.SK
		}
	}
	srv := &http.Server{Addr: *addr, Handler: n, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServeTLS(*cert, *key))
}

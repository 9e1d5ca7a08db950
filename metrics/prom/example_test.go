package prom_test

import (
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/store"
)

// Feed the handler's Events to Prometheus, and serve them on an admin
// listener apart from the public one.
func Example() {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "s3cr3t", VDNs: []int{53}})
	m := prom.New(prom.Options{})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: keys, Store: store.NewMemory(), OnRequest: m.Observe})
	if err != nil {
		log.Fatal(err)
	}
	m.Track(h) // the in-flight gauge
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	admin := http.NewServeMux()
	admin.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	_ = admin // http.ListenAndServe("127.0.0.1:9090", admin)
	_ = h     // the public server's handler
}

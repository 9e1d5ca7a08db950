package health_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ccfs-go/ccfs/health"
	"github.com/ccfs-go/ccfs/store"
)

// Mount the probes on an admin listener; on SIGTERM, Drain first, wait for
// the balancer to notice, then shut the public server down.
func ExampleChecker() {
	files := store.NewMemory() // a store.Dir, a Pool and s3store are store.Pingers
	c := &health.Checker{}
	if p, ok := any(files).(store.Pinger); ok {
		c.Add("store", p.Ping)
	}
	admin := http.NewServeMux()
	admin.Handle("GET /healthz", c.Live())
	admin.Handle("GET /readyz", c.Ready())

	probe := func() {
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	probe()
	c.Drain() // on SIGTERM, before closing the public listener
	probe()
	// Output:
	// 200 {"status":"ready"}
	// 503 {"status":"draining"}
}

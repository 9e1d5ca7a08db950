package bench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs"
)

// ConcurrentResult is what a concurrent run measured.
type ConcurrentResult struct {
	Uploads   int
	Failed    int
	Elapsed   time.Duration
	P50, P99  time.Duration
	PeakHeap  uint64 // bytes of live and unswept heap objects, sampled every millisecond
	FileBytes int64
}

// UploadsPerSecond is the throughput.
func (r ConcurrentResult) UploadsPerSecond() float64 { return float64(r.Uploads) / r.Elapsed.Seconds() }

// Concurrent serves kind ("Handler" or "Naive", on a discarding store)
// over loopback HTTPS and has clients upload size-byte files, each
// perClient times, at once.
func Concurrent(kind string, clients, perClient, size int) ConcurrentResult {
	u := NewUpload(size)
	var h http.Handler
	if kind == "Naive" {
		h = NewNaive(Discard{})
	} else {
		h = NewHandler(Discard{})
	}
	// The signature names the host it was signed for; present that one.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Host = "127.0.0.1:28443"
		h.ServeHTTP(w, r)
	}))
	srv.StartTLS()
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for range perClient {
				req, _ := http.NewRequest("POST", srv.URL+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(u.Body))
				req.Header.Set("Content-Type", "application/json;charset=UTF-8")
				req.Header.Set("Authorization", u.Auth)
				t0 := time.Now()
				resp, err := client.Do(req)
				ok := false
				if err == nil {
					var buf bytes.Buffer
					buf.ReadFrom(resp.Body)
					resp.Body.Close()
					ok = bytes.Contains(buf.Bytes(), []byte(`"resultCode":"0"`))
				}
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if !ok {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	return ConcurrentResult{
		Uploads: len(latencies) - failed, Failed: failed, Elapsed: elapsed,
		P50: pct(0.50), P99: pct(0.99), PeakHeap: peak.Load(), FileBytes: int64(len(u.WAV)) * int64(len(latencies)-failed),
	}
}

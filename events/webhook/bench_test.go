package webhook

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// BenchmarkDeliver delivers b.N events of 64 VDNs to a local receiver
// that reads each body and answers 204, with the default options:
// events/s is the deliverer's throughput, HTTP and signing included.
func BenchmarkDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	q := newMemQueue()
	now := time.Now()
	bodies := make([][]byte, b.N)
	for i := range bodies {
		ev := events.New(events.PromptUploaded, now)
		ev.VDN, ev.FileName, ev.Size, ev.Codec, ev.AccessKey = 1+i%64, "Y:/3rdfile/53/f.wav", 1234, "alaw", "key"
		body, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	q.add(bodies...)
	d, err := New(Endpoint{URL: srv.URL, Secrets: []events.Secret{events.NewSecret()}}, q, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	stop := start(b, d)
	for q.count(acked) < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

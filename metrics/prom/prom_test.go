package prom_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/metrics/prom/promtest"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// scrape serves reg's exposition as /metrics does and parses it with the
// Prometheus text parser.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Accept", "text/plain")
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return promtest.Parse(t, w.Body)
}

func TestObserve(t *testing.T) {
	m := prom.New(prom.Options{KeyLabel: true, ReplayLen: func() int { return 7 }})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	events := []ccfs.Event{
		{Interface: "upload", Code: "0", AccessKey: "bot-a", KeyVerified: true, BodyBytes: 1000, FileBytes: 700, Duration: time.Millisecond},
		{Interface: "upload", Code: "0", AccessKey: "bot-a", KeyVerified: true, BodyBytes: 2000, FileBytes: 1400, PreviousSecret: true},
		{Interface: "upload", Code: "0300010", AccessKey: "made-up-by-a-stranger", BodyBytes: 50},
		{Interface: "upload", Code: "0300014", AccessKey: "bot-a"},
		{Interface: "upload", Code: "0300015", AccessKey: "bot-a"},
		{Interface: "upload", Code: "0300017", AccessKey: "bot-a", KeyVerified: true},
		{Interface: "upload", Code: "0300016", KeyVerified: true, Err: fmt.Errorf("store: 0 of 2 copies landed: %w",
			errors.Join(&store.LocationError{Location: "0", Err: io.ErrShortWrite}, &store.LocationError{Location: "256", Err: io.ErrClosedPipe}))},
		{Interface: "delete", Code: "0300016", KeyVerified: true, Err: errors.New("disk on fire")},
		{Interface: "download", Code: "0", AccessKey: "bot-a", KeyVerified: true, BodyBytes: 120, FileBytes: 5000},
		{Interface: "download", Code: "0300023", AccessKey: "bot-a", KeyVerified: true, BodyBytes: 120, FileBytes: 300},
		{Interface: "", Code: "0300019"},
	}
	for _, ev := range events {
		m.Observe(ev)
	}
	f := scrape(t, reg)
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"ccfs_requests_total", []string{"ak=bot-a", "code=0", "interface=upload"}, 2},
		{"ccfs_requests_total", []string{"ak=", "code=0300010", "interface=upload"}, 1}, // never the claimed key
		{"ccfs_requests_total", []string{"ak=", "code=0300014", "interface=upload"}, 1},
		{"ccfs_requests_total", []string{"ak=bot-a", "code=0", "interface=download"}, 1},
		{"ccfs_requests_total", []string{"ak=", "code=0300019", "interface="}, 1},
		{"ccfs_request_duration_seconds", []string{"interface=upload"}, 7},
		{"ccfs_received_bytes_total", []string{"interface=upload"}, 3050},
		{"ccfs_received_bytes_total", []string{"interface=download"}, 240},
		{"ccfs_stored_bytes_total", nil, 2100},
		{"ccfs_sent_bytes_total", nil, 5300},
		{"ccfs_refused_total", []string{"reason=rate_limited"}, 1},
		{"ccfs_refused_total", []string{"reason=busy"}, 1},
		{"ccfs_refused_total", []string{"reason=slow_body"}, 0},
		{"ccfs_replay_errors_total", nil, 1},
		{"ccfs_store_errors_total", []string{"location=0"}, 1},
		{"ccfs_store_errors_total", []string{"location=256"}, 1},
		{"ccfs_store_errors_total", []string{"location="}, 1},
		{"ccfs_previous_secret_total", nil, 1},
		{"ccfs_replay_entries", nil, 7},
		{"ccfs_inflight_requests", nil, 0},
	} {
		if got := promtest.Value(f, c.family, c.labels...); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.family, strings.Join(c.labels, ","), got, c.want)
		}
	}
	for _, fam := range f {
		for _, s := range fam.Metric {
			for _, l := range s.Label {
				if strings.Contains(l.GetValue(), "stranger") {
					t.Errorf("%s has a label from an unverified request: %s", fam.GetName(), l)
				}
			}
		}
	}
}

// TestThroughTheHandler counts what a real handler's requests add up to.
func TestThroughTheHandler(t *testing.T) {
	m := prom.New(prom.Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	e := newServer(t, m)
	ok, bad := 0, 0
	for i := range 12 {
		var err error
		if i%4 == 3 {
			_, err = e.c.Upload(context.Background(), 53, []byte("RIFF not a WAV"))
			bad++
		} else {
			_, err = e.c.Upload(context.Background(), 53, e.wav)
			ok++
		}
		if (err == nil) != (i%4 != 3) {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	var buf bytes.Buffer
	if _, err := e.c.Download(context.Background(), "/voice/53/IVRrecordFile/r.wav", &buf); err != nil {
		t.Fatal(err)
	}
	// A download's Event follows its last byte, which the client may
	// have read already: wait for it.
	f := scrape(t, reg)
	for deadline := time.Now().Add(5 * time.Second); promtest.Value(f, "ccfs_sent_bytes_total") <= 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		f = scrape(t, reg)
	}
	if got := promtest.Value(f, "ccfs_requests_total", "code=0", "interface=upload"); got != float64(ok) {
		t.Errorf("successful uploads counted %v, sent %d", got, ok)
	}
	if got := promtest.Value(f, "ccfs_requests_total", "code=0300004", "interface=upload"); got != float64(bad) {
		t.Errorf("refused uploads counted %v, sent %d", got, bad)
	}
	if got := promtest.Value(f, "ccfs_stored_bytes_total"); got != float64(ok*len(e.wav)) {
		t.Errorf("stored bytes %v, want %d", got, ok*len(e.wav))
	}
	if got := promtest.Value(f, "ccfs_sent_bytes_total"); got != float64(buf.Len()) {
		t.Errorf("sent bytes %v, want %d", got, buf.Len())
	}
	if got := promtest.Value(f, "ccfs_request_duration_seconds", "interface=upload"); got != 12 {
		t.Errorf("upload durations observed %v, want 12", got)
	}
}

// TestConversions: ccfs_conversions_total counts the successful uploads
// converted on upload, by the encoding they were converted from; not a
// file stored as it was sent, nor a conversion that failed, nor an
// unverified request's.
func TestConversions(t *testing.T) {
	m := prom.New(prom.Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	pcm := convert.Source{Kind: "WAV", From: "PCM 16-bit 22050 Hz stereo", Encoding: "PCM 16-bit", Rate: 22050, Channels: 2}
	for _, ev := range []ccfs.Event{
		{Interface: "upload", Code: "0", KeyVerified: true, ConvertedFrom: pcm},
		{Interface: "upload", Code: "0", KeyVerified: true, ConvertedFrom: pcm},
		{Interface: "upload", Code: "0", KeyVerified: true, ConvertedFrom: convert.Source{Kind: "MP3", From: "MP3 44100 Hz stereo", Encoding: "MP3"}},
		{Interface: "upload", Code: "0", KeyVerified: true},                           // stored as sent
		{Interface: "upload", Code: "0300004", KeyVerified: true, ConvertedFrom: pcm}, // failed
		{Interface: "upload", Code: "0", ConvertedFrom: pcm},                          // not verified
	} {
		m.Observe(ev)
	}
	f := scrape(t, reg)
	if got := promtest.Value(f, "ccfs_conversions_total", "from=PCM 16-bit"); got != 2 {
		t.Errorf(`ccfs_conversions_total{from="PCM 16-bit"} = %v, want 2`, got)
	}
	if got := promtest.Value(f, "ccfs_conversions_total", "from=MP3"); got != 1 {
		t.Errorf(`ccfs_conversions_total{from="MP3"} = %v, want 1`, got)
	}
	if n := len(f["ccfs_conversions_total"].GetMetric()); n != 2 {
		t.Errorf("ccfs_conversions_total has %d series, want 2", n)
	}

	// Through a handler that converts.
	m = prom.New(prom.Options{})
	reg = prometheus.NewRegistry()
	reg.MustRegister(m)
	e := newServerWith(t, m, func(o *ccfs.Options) { o.Convert = ccfs.ConvertEvery })
	for _, wav := range [][]byte{ccfstest.PCM16(), ccfstest.Rate16k(), e.wav, []byte("not audio")} {
		e.c.Upload(context.Background(), 53, wav)
	}
	f = scrape(t, reg)
	if got := promtest.Value(f, "ccfs_conversions_total", "from=PCM 16-bit"); got != 1 {
		t.Errorf(`through the handler: ccfs_conversions_total{from="PCM 16-bit"} = %v, want 1`, got)
	}
	if got := promtest.Value(f, "ccfs_conversions_total", "from=A-law 8-bit"); got != 1 {
		t.Errorf(`through the handler: ccfs_conversions_total{from="A-law 8-bit"} = %v, want 1`, got)
	}
	if n := len(f["ccfs_conversions_total"].GetMetric()); n != 2 {
		t.Errorf("through the handler: ccfs_conversions_total has %d series, want 2", n)
	}
}

// The draining gauge counts a refused request whose body is still being
// read and discarded.
func TestDrainingGauge(t *testing.T) {
	m := prom.New(prom.Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "bot", SecretKey: "sk", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler), OnRequest: m.Observe})
	if err != nil {
		t.Fatal(err)
	}
	m.Track(h)
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Signed an hour ago: refused before the body, which is drained.
	fmt.Fprintf(conn, "POST %s?vdnId=53 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"+
		"Authorization: auth-v2/bot/%s/host/%064d\r\n\r\n{", ccfs.UploadPath, time.Now().Add(-time.Hour).UTC().Format(auth.TimestampFormat), 0)
	for deadline := time.Now().Add(5 * time.Second); promtest.Value(scrape(t, reg), "ccfs_draining_requests") != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ccfs_draining_requests never reached 1")
		}
	}
	conn.Close()
	for deadline := time.Now().Add(5 * time.Second); promtest.Value(scrape(t, reg), "ccfs_draining_requests") != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ccfs_draining_requests never went back to 0")
		}
	}
}

// TestQuotaAndRetentionMetrics: usage and limit gauges for the VDNs the
// limits name and for no other, refusals for the quota, and what
// retention removed.
func TestQuotaAndRetentionMetrics(t *testing.T) {
	limits, err := quota.ParseLimits("*=1GiB,53=2MiB/10,54=none")
	if err != nil {
		t.Fatal(err)
	}
	usage := quota.NewMemory()
	usage.Set(context.Background(), map[int]quota.Usage{53: {Bytes: 1000, Files: 2}, 99: {Bytes: 5, Files: 1}})
	m := prom.New(prom.Options{Quota: limits, Usage: usage})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	m.Observe(ccfs.Event{Interface: ccfs.InterfaceUpload, Code: ccfs.ErrQuota.Code()})
	m.Expired(53, 300)
	m.Expired(53, 200)
	f := scrape(t, reg)
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"ccfs_quota_usage_bytes", []string{"vdn=53"}, 1000},
		{"ccfs_quota_usage_files", []string{"vdn=53"}, 2},
		{"ccfs_quota_limit_bytes", []string{"vdn=53"}, 2 << 20},
		{"ccfs_quota_limit_files", []string{"vdn=53"}, 10},
		{"ccfs_quota_usage_bytes", []string{"vdn=54"}, 0},
		{"ccfs_quota_limit_bytes", []string{"vdn=54"}, 0},
		{"ccfs_quota_usage_bytes", []string{"vdn=99"}, -1}, // not named: no series
		{"ccfs_refused_total", []string{"reason=quota"}, 1},
		{"ccfs_expired_total", []string{"unit=files"}, 2},
		{"ccfs_expired_total", []string{"unit=bytes"}, 500},
	} {
		if got := promtest.Value(f, c.family, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	if n := len(f["ccfs_quota_usage_bytes"].GetMetric()); n != 2 {
		t.Errorf("%d usage series, want one per VDN named (2)", n)
	}
	if _, ok := f["ccfs_quota_counted"]; ok {
		t.Error("ccfs_quota_counted for a ledger of one process")
	}

	// A shared ledger says whether it holds counts.
	shared := &sharedLedger{Memory: usage}
	reg = prometheus.NewRegistry()
	reg.MustRegister(prom.New(prom.Options{Quota: limits, Usage: shared}))
	for _, counted := range []bool{false, true} {
		shared.counted = counted
		if got := promtest.Value(scrape(t, reg), "ccfs_quota_counted"); got != b2f(counted) {
			t.Errorf("ccfs_quota_counted = %v while the ledger holds counts: %v", got, counted)
		}
	}
}

// sharedLedger is a quota.Memory posing as a shared ledger.
type sharedLedger struct {
	*quota.Memory
	counted bool
}

func (s *sharedLedger) Counted(context.Context) (bool, error) { return s.counted, nil }
func (s *sharedLedger) SetIfUncounted(ctx context.Context, c map[int]quota.Usage) (bool, error) {
	return true, s.Set(ctx, c)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

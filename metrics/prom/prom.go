// Package prom turns the ccfs handler's Events into Prometheus metrics,
// through the Prometheus client library. It is a nested module, so the root
// ccfs module does not depend on the client.
//
//	m := prom.New(prom.Options{})
//	opts.OnRequest = m.Observe // and any hook of your own, chained
//	h, err := ccfs.NewHandler(opts)
//	m.Track(h)                 // the in-flight and draining gauges
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(m)
//	admin.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Every label comes from a bounded set: the interface, the result code, a
// pool location's configured ID, a VDN named in the quota limits, the
// encoding a converted upload was converted from. The access key is a label only if
// Options.KeyLabel is set, and then only for requests whose signature held
// (a claimed key is a stranger's free text); others count under ak="".
package prom

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// DefaultBuckets are the request duration histogram's buckets, in
// seconds: a small prompt's upload takes milliseconds, a 5 MB one on a
// slow link or a long recording's download tens of seconds.
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Options configures New. A zero field means its default.
type Options struct {
	// Namespace starts every metric's name. Default: "ccfs".
	Namespace string
	// KeyLabel adds the access key as the label "ak" of the request
	// counter, for requests whose signature held. Off by default: it
	// multiplies the counter's series by the number of keys.
	KeyLabel bool
	// Buckets are the duration histogram's. Default: DefaultBuckets.
	Buckets []float64
	// ReplayLen, if set, reports the number of entries of an in-memory
	// replay cache (auth.MemoryReplay.Len), for a gauge.
	ReplayLen func() int
	// Quota and Usage, if set (the handler's), add gauges of each VDN's
	// usage and limit, for the VDNs Quota names (its own limit, not the
	// default's, as a reloaded quota file names them now), so that the
	// series stay as many as the configuration says.
	Quota quota.Source
	Usage quota.Ledger
}

// Metrics is a prometheus.Collector fed by Observe. It is safe for
// concurrent use.
type Metrics struct {
	keyLabel    bool
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	received    *prometheus.CounterVec
	stored      prometheus.Counter
	sent        prometheus.Counter
	refused     *prometheus.CounterVec
	replayErrs  prometheus.Counter
	storeErrs   *prometheus.CounterVec
	previous    prometheus.Counter
	inflight    prometheus.GaugeFunc
	draining    prometheus.GaugeFunc
	replayLen   prometheus.GaugeFunc
	quota       *quotaCollector // nil without Options.Quota
	expired     *prometheus.CounterVec
	conversions *prometheus.CounterVec
	events      *eventsCollector
	handler     atomic.Pointer[ccfs.Handler]
}

var _ prometheus.Collector = (*Metrics)(nil)

// The result codes counted apart in ccfs_refused_total, by reason.
var refusals = map[string]string{
	ccfs.ErrRateLimited.Code(): "rate_limited",
	ccfs.ErrBusy.Code():        "busy",
	ccfs.ErrSlowBody.Code():    "slow_body",
	ccfs.ErrQuota.Code():       "quota",
}

// New returns the metrics, not yet registered.
func New(opts Options) *Metrics {
	ns := opts.Namespace
	if ns == "" {
		ns = "ccfs"
	}
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	labels := []string{"interface", "code"}
	if opts.KeyLabel {
		labels = append(labels, "ak")
	}
	m := &Metrics{
		keyLabel: opts.KeyLabel,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "Requests answered, by interface (upload, delete, download; empty for no interface) and result code."}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
			Help: "Time from a request's arrival to its answer (a download: to its last byte), by interface.", Buckets: buckets},
			[]string{"interface"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "received_bytes_total",
			Help: "Request body bytes read, by interface."}, []string{"interface"}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "stored_bytes_total",
			Help: "File bytes of successful uploads (decoded WAV)."}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "sent_bytes_total",
			Help: "File bytes sent by downloads, cut-off ones included."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "refused_total",
			Help: "Requests refused by a limit: rate_limited (0300014), busy (0300015), slow_body (0300020), quota (0300024)."}, []string{"reason"}),
		replayErrs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "replay_errors_total",
			Help: "Requests refused because the replay cache (Redis) could not be asked (0300017)."}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "store_errors_total",
			Help: "Requests the store failed (0300016), by pool location (empty outside a pool, or for the pool as a whole)."},
			[]string{"location"}),
		previous: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "previous_secret_total",
			Help: "Requests signed with a key's previous secret: callers not yet moved in a rotation."}),
		expired: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "expired_total",
			Help: "Uploaded prompts removed by retention, as files and bytes (unit)."}, []string{"unit"}),
	}
	m.conversions = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "conversions_total",
		Help: "Successful uploads converted on upload (ccfs.Options.Convert), by the encoding they were converted from (convert.Source.Encoding: \"PCM 16-bit\", \"MP3\" …)."},
		[]string{"from"})
	m.events = newEventsCollector(ns)
	m.expired.WithLabelValues("files")
	m.expired.WithLabelValues("bytes")
	if opts.Quota != nil && opts.Usage != nil {
		m.quota = newQuotaCollector(ns, opts.Quota, opts.Usage)
	}
	for _, reason := range refusals {
		m.refused.WithLabelValues(reason)
	}
	m.inflight = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "inflight_requests",
		Help: "Requests in progress (of Options.MaxInFlight)."}, func() float64 {
		if h := m.handler.Load(); h != nil {
			return float64(h.InFlight())
		}
		return 0
	})
	m.draining = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "draining_requests",
		Help: "Requests answered before their body whose body is being read and discarded, so the client hears the answer (of Options.MaxDraining)."}, func() float64 {
		if h := m.handler.Load(); h != nil {
			return float64(h.Draining())
		}
		return 0
	})
	if opts.ReplayLen != nil {
		m.replayLen = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "replay_entries",
			Help: "Signatures held by the in-memory replay cache."}, func() float64 { return float64(opts.ReplayLen()) })
	}
	return m
}

// Track makes the in-flight and draining gauges report h's requests. (The
// handler is made after the Metrics, whose Observe goes in its Options.)
func (m *Metrics) Track(h *ccfs.Handler) { m.handler.Store(h) }

// Observe counts one finished request. Give it as ccfs.Options.OnRequest.
func (m *Metrics) Observe(ev ccfs.Event) {
	iface := ev.Interface
	if m.keyLabel {
		ak := ""
		if ev.KeyVerified {
			ak = ev.AccessKey
		}
		m.requests.WithLabelValues(iface, ev.Code, ak).Inc()
	} else {
		m.requests.WithLabelValues(iface, ev.Code).Inc()
	}
	m.duration.WithLabelValues(iface).Observe(ev.Duration.Seconds())
	if ev.BodyBytes > 0 {
		m.received.WithLabelValues(iface).Add(float64(ev.BodyBytes))
	}
	switch {
	case iface == ccfs.InterfaceUpload && ev.Code == ccfs.SuccessCode:
		m.stored.Add(float64(ev.FileBytes))
		if ev.KeyVerified && ev.ConvertedFrom.Kind != "" {
			// Encoding is from a small fixed set: a bounded label.
			m.conversions.WithLabelValues(ev.ConvertedFrom.Encoding).Inc()
		}
	case iface == ccfs.InterfaceDownload && ev.FileBytes > 0:
		m.sent.Add(float64(ev.FileBytes))
	}
	if ev.PreviousSecret {
		m.previous.Inc()
	}
	if reason, ok := refusals[ev.Code]; ok {
		m.refused.WithLabelValues(reason).Inc()
	}
	switch ev.Code {
	case ccfs.ErrReplayUnavailable.Code():
		m.replayErrs.Inc()
	case ccfs.ErrStorage.Code():
		locations := failedLocations(ev.Err, nil)
		if len(locations) == 0 {
			locations = []string{""}
		}
		for _, l := range locations {
			m.storeErrs.WithLabelValues(l).Inc()
		}
	}
}

// failedLocations returns the pool locations named by the
// store.LocationErrors in err's tree.
func failedLocations(err error, into []string) []string {
	switch e := err.(type) {
	case *store.LocationError:
		return failedLocations(e.Err, append(into, e.Location))
	case interface{ Unwrap() []error }:
		for _, err := range e.Unwrap() {
			into = failedLocations(err, into)
		}
	case interface{ Unwrap() error }:
		return failedLocations(e.Unwrap(), into)
	}
	return into
}

func (m *Metrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{m.requests, m.duration, m.received, m.stored, m.sent, m.refused,
		m.replayErrs, m.storeErrs, m.previous, m.inflight, m.draining, m.expired, m.conversions, m.events}
	if m.replayLen != nil {
		cs = append(cs, m.replayLen)
	}
	if m.quota != nil {
		cs = append(cs, m.quota)
	}
	return cs
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// Expired counts a prompt retention removed: use it as
// retention.Sweeper.OnRemove.
func (m *Metrics) Expired(_ int, size int64) {
	m.expired.WithLabelValues("files").Inc()
	m.expired.WithLabelValues("bytes").Add(float64(size))
}

// quotaCollector reports the usage and limit of each VDN the limits name.
type quotaCollector struct {
	limits  quota.Source
	usage   quota.Ledger
	descs   [4]*prometheus.Desc // usage bytes, usage files, limit bytes, limit files
	counted *prometheus.Desc    // with a quota.Shared ledger
}

func newQuotaCollector(ns string, limits quota.Source, usage quota.Ledger) *quotaCollector {
	c := &quotaCollector{limits: limits, usage: usage}
	vdn := []string{"vdn"}
	c.descs = [4]*prometheus.Desc{
		prometheus.NewDesc(ns+"_quota_usage_bytes", "Bytes of uploaded prompts a VDN keeps, for the VDNs the quota names.", vdn, nil),
		prometheus.NewDesc(ns+"_quota_usage_files", "Uploaded prompts a VDN keeps, for the VDNs the quota names.", vdn, nil),
		prometheus.NewDesc(ns+"_quota_limit_bytes", "A VDN's quota in bytes (0: none), for the VDNs the quota names.", vdn, nil),
		prometheus.NewDesc(ns+"_quota_limit_files", "A VDN's quota in files (0: none), for the VDNs the quota names.", vdn, nil),
	}
	if _, ok := usage.(quota.Shared); ok {
		c.counted = prometheus.NewDesc(ns+"_quota_counted", "1 while the ledger the nodes share holds counts of the store; 0 while they are lost and uploads under a quota are refused (0300016).", nil, nil)
	}
	return c
}

func (c *quotaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	if c.counted != nil {
		ch <- c.counted
	}
}

func (c *quotaCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if sh, ok := c.usage.(quota.Shared); ok {
		if counted, err := sh.Counted(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(c.counted, prometheus.GaugeValue, b2f(counted))
		}
	}
	for _, v := range c.limits.Named() {
		label := strconv.Itoa(v)
		lim := c.limits.For(v)
		ch <- prometheus.MustNewConstMetric(c.descs[2], prometheus.GaugeValue, float64(lim.Bytes), label)
		ch <- prometheus.MustNewConstMetric(c.descs[3], prometheus.GaugeValue, float64(lim.Files), label)
		u, err := c.usage.Usage(ctx, v)
		if err != nil {
			continue // no figure rather than a wrong one
		}
		ch <- prometheus.MustNewConstMetric(c.descs[0], prometheus.GaugeValue, float64(u.Bytes), label)
		ch <- prometheus.MustNewConstMetric(c.descs[1], prometheus.GaugeValue, float64(u.Files), label)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/health"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/store/s3store"
)

// startAdmin serves the admin listener, if --admin-addr is set: the
// metrics (ccfs's, the Go runtime's and the process's), /healthz,
// /readyz, with --pprof net/http/pprof and, if con is not nil, the
// console at /console/. It is plain HTTP on its own address, for a
// private network or 127.0.0.1 (with the console, 127.0.0.1 only); the
// caller closes it last.
func (c *serveConfig) startAdmin(m *prom.Metrics, checker *health.Checker, evs *eventsRuntime, con http.Handler, logger *slog.Logger, stdout io.Writer) (io.Closer, error) {
	if c.adminAddr == "" {
		return nil, nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if len(c.cluster.s3) > 0 {
		reg.MustRegister(overwriteCollector(c.cluster.s3))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /healthz", checker.Live())
	mux.Handle("GET /readyz", checker.Ready())
	paths := "/metrics /healthz /readyz"
	if evs != nil {
		mux.HandleFunc("GET /events", evs.serveEvents)
		// A loopback peer may be a browser's page: refuse what it marks
		// cross-site (ccfs events sends no such header).
		mux.Handle("POST /events/redeliver", http.NewCrossOriginProtection().Handler(http.HandlerFunc(evs.serveRedeliver)))
		paths += " /events"
	}
	if con != nil {
		mux.Handle(console.DefaultPath, con)
		paths += " " + console.DefaultPath
	}
	if c.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	ln, err := net.Listen("tcp", c.adminAddr)
	if err != nil {
		return nil, fmt.Errorf("--admin-addr: %w", err)
	}
	if con != nil && !loopback(ln.Addr()) {
		ln.Close()
		return nil, fmt.Errorf("--admin-addr %q listens on %s, beyond loopback: the admin listener is plain HTTP, and the console never listens beyond loopback without TLS; give the console its own --console-addr (served over TLS)", c.adminAddr, ln.Addr())
	}
	if !loopback(ln.Addr()) {
		logger.Warn("the admin listener is not on a loopback address: its metrics, readiness (and with --pprof, profiles and the command line) are open to the network; keep it on a private network behind a firewall",
			"addr", ln.Addr().String())
	}
	ln = netutil.LimitListener(ln, adminMaxConns)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: adminIdleTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      adminWriteTimeout,
		IdleTimeout:       adminIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin listener", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "ccfs: admin on http://%s (%s%s)\n", ln.Addr(), paths, map[bool]string{true: " /debug/pprof/"}[c.pprof])
	if con != nil {
		c.printConsole(stdout, "http://"+ln.Addr().String())
	}
	return srv, nil
}

// The admin listener's limits: a scraper, a balancer's health checks and
// an operator's profiles need a few connections, and a profile of up to a
// minute (/debug/pprof/profile?seconds=60) its answer's time. A probe
// sends its request at once, so a connection silent for two seconds, new
// or between requests, is closed: forty idle sockets do not keep the
// balancer's probes waiting.
const (
	adminMaxConns     = 64
	adminIdleTimeout  = 2 * time.Second
	adminWriteTimeout = 90 * time.Second
)

// loopback reports whether addr is a loopback address, where only this
// machine reaches the admin listener.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// reloadable is a file the server reloads while it runs: the
// credentials file, the quota file.
type reloadable interface {
	Path() string
	Reload() (changed bool, err error)
	Watch(ctx context.Context, interval time.Duration, report func(error))
}

// reloadOnChange reloads f on SIGHUP and, every poll (if not 0), when its
// content changes, until ctx ends; it logs each new content, with what
// describe says of it, and each file that does not parse (what was
// loaded before stays in use). what names the file in the log:
// "credentials".
func reloadOnChange(ctx context.Context, what string, f reloadable, describe func() []any, poll time.Duration, logger *slog.Logger) {
	report := func(err error) {
		if err != nil {
			logger.Error(what+" not reloaded", "err", err)
			return
		}
		logger.Info(what+" reloaded", append([]any{"file", f.Path()}, describe()...)...)
	}
	if poll > 0 {
		go f.Watch(ctx, poll, report)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			changed, err := f.Reload()
			switch {
			case err != nil:
				report(err)
			case changed:
				report(nil)
			default:
				logger.Info("SIGHUP: "+what+" unchanged", "file", f.Path())
			}
		}
	}
}

// overwriteCollector exports the overwrite protection each S3 location
// uses now, by its --store or --pool spec: 1 for the mode in use, 0 for
// the others, so a switch (--s3-overwrite detect, on evidence, and back)
// shows on a graph and can be alerted on.
type overwriteCollector map[string]*s3store.Store

var overwriteDesc = prometheus.NewDesc("ccfs_s3_overwrite_protection",
	"The overwrite protection an S3 location's writes carry now: 1 for the mode in use (if-none-match, header, none).",
	[]string{"location", "mode"}, nil)

// Describe implements prometheus.Collector.
func (c overwriteCollector) Describe(ch chan<- *prometheus.Desc) { ch <- overwriteDesc }

// Collect implements prometheus.Collector.
func (c overwriteCollector) Collect(ch chan<- prometheus.Metric) {
	for location, s := range c {
		mode := s.ProtectionMode()
		for _, m := range []string{"if-none-match", "header", "none"} {
			v := 0.0
			if m == mode {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(overwriteDesc, prometheus.GaugeValue, v, location, m)
		}
	}
}

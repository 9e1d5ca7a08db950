package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/netutil"
	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/health"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/retention"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// serveCmd runs "ccfs serve": it reads the flags into a serveConfig and runs
// it.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code := parseServe(args, stderr)
	if code >= 0 {
		return code
	}
	if err := cfg.run(ctx, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "ccfs serve: %v\n", err)
		return 1
	}
	return 0
}

// serveConfig is what the flags of "ccfs serve" say.
type serveConfig struct {
	addr, data, credsFile, certFile, keyFile, logFormat string
	readableCreds                                       bool
	plain                                               bool
	maxConns                                            int
	opts                                                ccfs.Options      // without Credentials, Store, Replay, Logger, OnRequest
	rule                                                *pathrule.Rule    // --path-rule, parsed once for the quota count and the sweeper
	retain                                              *retention.Policy // --retain; nil: keep for ever
	retainEvery, recountEvery                           time.Duration
	cluster                                             *clusterFlags
	adminAddr                                           string
	pprof, metricsKeyLabel                              bool
	credsPoll, drainDelay                               time.Duration
	convertVDNs                                         []int // with --convert=LIST, the VDNs; nil for every VDN
	events                                              *eventFlags
	console                                             *consoleFlags
}

// parseServe reads the flags of "ccfs serve". A code >= 0 means: exit
// with it (help was shown, or the flags are wrong).
func parseServe(args []string, stderr io.Writer) (*serveConfig, int) {
	fl := newFlags("serve", "[flags]",
		"Runs the CC-FS third-party interfaces under "+ccfs.InterfacePrefix+": uploadFile, deleteFile, downloadFile.\nOn a first run it generates a development key for VDN 1 and a self-signed certificate.\nWith --convert (a ccfs extension) it converts uploads from TTS engines and editors (WAV of any PCM,\nfloat or G.711 kind, rate and channels; MP3) to 8000 Hz mono G.711 before storing them.",
		"  ccfs serve\n  ccfs serve --data /var/lib/ccfs --credentials /etc/ccfs/keys.json --root Y: --codecs alaw,mulaw\n  ccfs serve --convert=53,54 --max-input-mb 100\n  ccfs serve --webhook https://catalogue.example.com/ccfs-events --webhook-secret-file /etc/ccfs/webhook.secret --admin-addr 127.0.0.1:9090\n  ccfs console-user add alice && ccfs serve --console   # the operator's console, https://127.0.0.1:28444/console/", stderr)
	c := &serveConfig{}
	fl.StringVar(&c.addr, "addr", "127.0.0.1:28443", "address to listen on")
	fl.StringVar(&c.credsFile, "credentials", "", "credentials JSON file (default: <data>/credentials.json, generated with a dev key if absent); refused if others may read it")
	fl.BoolVar(&c.readableCreds, "allow-readable-credentials", false, "use a credentials file that users other than its owner and group may read")
	fl.StringVar(&c.certFile, "tls-cert", "", "TLS certificate (PEM); default: a self-signed one in <data>")
	fl.StringVar(&c.keyFile, "tls-key", "", "TLS private key (PEM), with --tls-cert")
	fl.BoolVar(&c.plain, "plain-http", false, "serve plain HTTP, behind a TLS-terminating balancer")
	fl.StringVar(&c.opts.DownloadPathRule, "download-rule", pathrule.DefaultDownload, "Third-Party Recording Download Path Rule: ';'-separated rules downloadFile may read under")
	policy := addPolicyFlags(fl)
	retain := fl.String("retain", "", "remove uploaded prompts older than an age, as VDN=AGE with * for the rest, such as '*=30d,53=7d,54=none' (default: keep for ever); recordings are never touched")
	fl.DurationVar(&c.retainEvery, "retain-every", time.Hour, "with --retain, how often the store is swept")
	fl.DurationVar(&c.recountEvery, "quota-recount-every", 10*time.Second, "with --quota and --redis, how often a node checks that Redis still holds the nodes' counts, and counts the store again if it lost them")
	perKey := fl.Float64("rate", float64(ccfs.DefaultRatePerKey), "requests (uploads, deletes, downloads) a second per access key (0: no limit)")
	fl.IntVar(&c.opts.Burst, "burst", ccfs.DefaultBurst, "requests an access key may start at once")
	fl.IntVar(&c.opts.MaxInFlight, "max-inflight", ccfs.DefaultMaxInFlight, "most requests processed at once")
	fl.IntVar(&c.opts.MaxInFlightPerKey, "max-inflight-per-key", ccfs.DefaultMaxInFlightPerKey, "most requests one access key may have in progress")
	fl.IntVar(&c.opts.MinBodyRate, "min-body-rate", ccfs.DefaultMinBodyRate, "slowest a request body may arrive after the first 5 s, in bytes a second (-1: no minimum)")
	fl.IntVar(&c.maxConns, "max-conns", defaultMaxConns, "most open client connections; more wait in the kernel's backlog")
	fl.IntVar(&c.opts.MaxDraining, "max-draining", ccfs.DefaultMaxDraining, "most refused requests whose body is read and discarded at once, so the client hears the answer")
	fl.DurationVar(&c.opts.Window, "skew", auth.DefaultWindow, "accepted distance between signing time and server time")
	signed := fl.String("signed-headers", "host", "headers every request must sign, ';'-separated (host always; the body is signed whatever the list)")
	fl.BoolVar(&c.opts.TerseSignatureErrors, "terse-signature-errors", false, "answer a signature that does not match without saying what the server signed")
	fl.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&c.adminAddr, "admin-addr", "", "address of the admin listener: /metrics, /healthz, /readyz (with --webhook, /events for ccfs events; with --pprof, /debug/pprof/); off if empty; never the public port")
	fl.BoolVar(&c.pprof, "pprof", false, "serve net/http/pprof on the admin listener")
	fl.BoolVar(&c.metricsKeyLabel, "metrics-key-label", false, "label the request counter with the access key of verified requests")
	fl.DurationVar(&c.credsPoll, "credentials-poll", 2*time.Second, "how often to look for a changed credentials file, --quota-file and TLS certificate and key (0: only on SIGHUP)")
	ruleWithoutVDN := fl.Bool("allow-rule-without-vdn", false, "accept a --path-rule or --download-rule without %VDNNO% (then only anyVdn keys may delete or download there)")
	fl.DurationVar(&c.opts.IdempotencyTTL, "idempotency-ttl", idempotency.DefaultTTL, "how long an upload's Idempotency-Key is remembered, so that a retry under it answers the first upload's file and stores nothing (a ccfs extension; shared in Redis with --redis); 0: ignore the header, as the vendor's server does")
	fl.DurationVar(&c.drainDelay, "drain-delay", 5*time.Second, "on SIGTERM, how long /readyz says not ready before the listener closes (with --admin-addr)")
	conv := addConvertFlags(fl, "convert each upload that is not already as --codecs asks to 8000 Hz mono of the first codec, before it is checked and stored (a ccfs extension): bare for every VDN, or --convert=53,54 (--convert 53,54) for those VDNs only")
	fl.BoolVar(&c.opts.ListFiles, "list-files", false, "serve listFiles, a ccfs extension the vendor's server lacks: each key lists its own VDNs' prompts, a page at a time (ccfs ls)")
	c.events = addEventFlags(fl)
	c.console = addConsoleFlags(fl)
	sf := addStoreFlags(fl)
	c.cluster = sf.cluster
	c.cluster.addWriteFlags(fl)
	if code := parseOptional(fl, args, conv.on); code >= 0 {
		return nil, code
	}
	c.data, c.opts.RootPrefix, c.opts.PathRule, c.opts.MaxFileMB = *sf.data, *sf.root, *sf.pathRule, *policy.maxMB
	fail := func(err error) (*serveConfig, int) {
		fmt.Fprintf(stderr, "ccfs serve: %v\n", err)
		return nil, 2
	}
	if fl.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fl.Arg(0)))
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fail(fmt.Errorf("--log-format %q: want text or json", c.logFormat))
	}
	p, err := policy.policy()
	if err != nil {
		return fail(err)
	}
	c.opts.Codecs = p.Codecs
	if err := checkServeFlags(c, *perKey, *ruleWithoutVDN); err != nil {
		return fail(err)
	}
	if c.convertVDNs, err = checkConvertFlags(conv, given(fl, "max-input-mb")); err != nil {
		return fail(err)
	}
	if conv.on.on {
		c.opts.Convert, c.opts.MaxInputMB = convertFor(c.convertVDNs), *conv.maxMB
	}
	if q := sf.quota.given(); q != "" && !strings.Contains(c.rule.String(), pathrule.Placeholder) {
		return fail(fmt.Errorf("%s needs a --path-rule with %s: without it no uploaded file says whose it is, so no VDN's share can be counted", q, pathrule.Placeholder))
	}
	if (c.certFile == "") != (c.keyFile == "") {
		return fail(errors.New("--tls-cert and --tls-key go together"))
	}
	if c.maxConns < 1 {
		return fail(fmt.Errorf("--max-conns %d: want at least 1", c.maxConns))
	}
	if c.adminAddr != "" && c.adminAddr == c.addr && !strings.HasSuffix(c.addr, ":0") {
		return fail(errors.New("--admin-addr must not be the public --addr"))
	}
	if c.pprof && c.adminAddr == "" {
		return fail(errors.New("--pprof needs --admin-addr: profiles are never served on the public port"))
	}
	if c.opts.IdempotencyTTL < 0 {
		return fail(errors.New("--idempotency-ttl must not be negative (0 ignores the header)"))
	}
	if c.credsPoll < 0 || c.drainDelay < 0 {
		return fail(errors.New("--credentials-poll and --drain-delay must not be negative"))
	}
	if err := c.cluster.check(); err != nil {
		return fail(err)
	}
	if err := c.events.check(given(fl, "webhook-max-backoff")); err != nil {
		return fail(err)
	}
	c.console.addrGiven, c.console.usersGiven = given(fl, "console-addr"), given(fl, "console-users")
	if err := checkConsoleFlags(c); err != nil {
		return fail(err)
	}
	if *retain != "" {
		if c.retain, err = retention.ParsePolicy(*retain); err != nil {
			return fail(withoutPrefix("--retain", err, "retention"))
		}
		if c.retainEvery < time.Minute {
			return fail(errors.New("--retain-every: at least 1m"))
		}
	}
	if c.opts.Quota, err = sf.quota.source(); err != nil {
		return fail(err)
	}
	if c.opts.Quota != nil {
		if c.recountEvery < 100*time.Millisecond {
			return fail(errors.New("--quota-recount-every: at least 100ms"))
		}
	}
	c.opts.SignedHeaders = nil
	for _, h := range strings.Split(*signed, ";") {
		if h = strings.TrimSpace(h); h != "" {
			c.opts.SignedHeaders = append(c.opts.SignedHeaders, h)
		}
	}
	c.opts.RatePerKey = rate.Limit(*perKey)
	if *perKey == 0 {
		c.opts.RatePerKey = rate.Inf
	}
	return c, -1
}

// printConversion says, with --convert, for which VDNs uploads are
// converted, to what, and which kinds of file the converter reads. It is
// printed before the line that says where serve listens.
func (c *serveConfig) printConversion(w io.Writer) {
	if c.opts.Convert == nil {
		return
	}
	which := "of every VDN"
	if c.convertVDNs != nil {
		vdns := make([]string, len(c.convertVDNs))
		for i, v := range c.convertVDNs {
			vdns[i] = strconv.Itoa(v)
		}
		which = "of VDN " + strings.Join(vdns, ", ")
		if len(vdns) > 1 {
			which = "of VDNs " + strings.Join(vdns, ", ")
		}
	}
	codec := wavcheck.ALaw
	if len(c.opts.Codecs) > 0 {
		codec = c.opts.Codecs[0]
	}
	fmt.Fprintf(w, "ccfs: converting uploads %s to 8000 Hz %v mono (reads %s; up to %d MB as uploaded)\n",
		which, codec, strings.Join(append([]string{"WAV"}, convert.Decoders()...), ", "), c.opts.MaxInputMB)
}

// defaultMaxConns is --max-conns: well above the default in-flight limit,
// so idle keep-alive connections do not starve uploads, and far below what
// the descriptors and memory of a small server allow (an idle TLS
// connection holds about 40 KB).
const defaultMaxConns = 1024

// Timeouts of the server. The minimum body rate (Options.MinBodyRate) drops
// a stalled body in seconds; ReadTimeout is the cap for a body that keeps
// trickling just above it.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 6 * time.Minute
	idleTimeout       = 30 * time.Second
)

// run serves until ctx ends, then lets uploads in flight finish.
func (c *serveConfig) run(ctx context.Context, stdout, stderr io.Writer) error {
	var logger *slog.Logger
	if c.logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	} else {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if err := c.console.checkUsers(c.data); err != nil {
		return err
	}
	if err := os.MkdirAll(c.data, 0o750); err != nil {
		return err
	}
	creds, err := loadOrCreateCredentials(c.credsFile, c.data, stdout)
	if err != nil {
		return err
	}
	if err := checkSecretFile(creds.Path(), c.readableCreds, logger); err != nil {
		return err
	}
	ctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go reloadOnChange(ctx, "credentials", creds, func() []any { return []any{"keys", creds.Len()} }, c.credsPoll, logger)
	var cl closers
	defer cl.Close()
	st, where, err := c.cluster.openStore(ctx, filepath.Join(c.data, "files"), &cl, logger)
	if err != nil {
		return err
	}
	rdb, err := c.cluster.openRedis(ctx, logger, &cl)
	if err != nil {
		return err
	}
	replay, replayWhere, err := openReplay(rdb)
	if err != nil {
		return err
	}
	var replayLen func() int
	if replay == nil {
		mem := auth.NewMemoryReplay(auth.MemoryReplayOptions{})
		replay, replayLen = mem, mem.Len
	}
	opts := c.opts
	if err := wireIdempotency(&opts, rdb); err != nil {
		return err
	}
	if err := c.wireQuota(ctx, &opts, st, rdb, logger); err != nil {
		return err
	}
	metrics := prom.New(prom.Options{KeyLabel: c.metricsKeyLabel, ReplayLen: replayLen, Quota: opts.Quota, Usage: opts.Usage})
	evs, err := c.events.start(ctx, c.data, st, opts.RootPrefix, rdb, metrics, logger)
	if err != nil {
		return err
	}
	if evs != nil {
		cl = append(cl, evs) // closed before the store and Redis: closers close last first
		opts.Events, opts.DownloadEvents = evs.sink, c.events.downloads
	}
	opts.Credentials, opts.Store, opts.Replay, opts.Logger, opts.OnRequest = creds, st, replay, logger, metrics.Observe
	var recorder *console.Recorder
	if c.console.on {
		recorder = console.NewRecorder(nil)
		opts.OnRequest = func(ev ccfs.Event) {
			metrics.Observe(ev)
			recorder.Observe(ev)
		}
	}
	h, err := ccfs.NewHandler(opts)
	if err != nil {
		return err
	}
	metrics.Track(h)
	if c.retain != nil {
		if err := startSweeper(ctx, st, opts, c.rule, c.retain, c.retainEvery, metrics.Expired, logger); err != nil {
			return err
		}
	}
	checker := &health.Checker{}
	if p, ok := st.(store.Pinger); ok {
		checker.Add("store", p.Ping)
	}
	checker.Add("store writes", h.StoreWritable)
	for spec, s := range c.cluster.s3 {
		checker.AddDetail("s3 overwrite protection "+spec, s.Protection)
	}
	if p, ok := replay.(interface{ Ping(context.Context) error }); ok {
		checker.Add("replay", p.Ping)
	}
	// The certificate is loaded before the listeners start: the console's
	// own listener serves it too.
	var pair *certPair
	if !c.plain {
		if pair, err = loadOrCreateCert(c.certFile, c.keyFile, c.data); err != nil {
			return err
		}
		// Renewed files are picked up as the credentials are, without a
		// restart: each new connection gets the pair in use.
		go reloadOnChange(ctx, "TLS certificate", pair, pair.describe, c.credsPoll, logger)
	}
	con, err := c.newConsole(consoleParts{handler: h, recorder: recorder, creds: creds, checker: checker, events: evs, logger: logger})
	if err != nil {
		return err
	}
	var onAdmin http.Handler // the console, when the admin listener serves it
	if con != nil && c.console.onAdmin(c.adminAddr) {
		onAdmin = con
	}
	admin, err := c.startAdmin(metrics, checker, evs, onAdmin, logger, stdout)
	if err != nil {
		return err
	}
	if admin != nil {
		defer admin.Close()
	}
	if con != nil && onAdmin == nil {
		own, err := c.startConsole(con, pair, logger, stdout)
		if err != nil {
			return err
		}
		defer own.Close()
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	ln = netutil.LimitListener(ln, c.maxConns) // Accept waits while maxConns are open
	scheme := "https"
	if c.plain {
		scheme = "http"
	} else {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: pair.GetCertificate}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	c.printConversion(stdout)
	fmt.Fprintf(stdout, "ccfs: serving %s://%s%s (files under %s, replay cache %s)\n", scheme, ln.Addr(), ccfs.InterfacePrefix+"{uploadFile,deleteFile,downloadFile}", where, replayWhere)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Turn not-ready first, so that a balancer watching /readyz stops
	// sending requests while the listener still takes them; then let the
	// requests in flight finish, refusing new connections.
	checker.Drain()
	if admin != nil && c.drainDelay > 0 {
		logger.Info("draining: /readyz answers 503; closing the listener in " + c.drainDelay.String())
		time.Sleep(c.drainDelay)
	}
	logger.Info("shutting down; waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

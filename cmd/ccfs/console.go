package main

// serve's operator's console (--console, a ccfs extension): the console
// built on the server's handler, credentials, readiness, retention,
// stores and events, with the operators' accounts; and its own listener
// when it is not on the admin listener. The flags are in flags.go, their
// rules in flagcheck.go, the admin listener's mount in admin.go.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/console/accounts"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/health"
)

// consoleParts is what the console is shown of the running server.
type consoleParts struct {
	handler  *ccfs.Handler
	recorder *console.Recorder
	creds    auth.Credentials
	checker  *health.Checker
	events   *eventsRuntime // nil without --webhook
	logger   *slog.Logger
}

// newConsole builds the console, with --console; nil without. It fails
// when the accounts file is absent: a console nobody can sign in to is a
// mistake to say at start, not on the first visit.
func (c *serveConfig) newConsole(p consoleParts) (*console.Console, error) {
	if !c.console.on {
		return nil, nil
	}
	path := c.console.usersFile(c.data)
	if err := c.console.checkUsers(c.data); err != nil {
		return nil, err
	}
	users, err := accounts.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--console-users: %w", err)
	}
	opts := console.Options{
		Handler:     p.handler,
		Recorder:    p.recorder,
		Users:       users,
		Credentials: p.creds,
		Health:      p.checker,
		Retention:   c.retain,
		Locations:   c.consoleLocations(),
		Logger:      p.logger,
	}
	if p.events != nil {
		opts.Backlog = p.events.backlog
	}
	return console.New(opts)
}

// checkUsers fails, with --console, when the accounts file is absent.
// serve checks it first, before it writes anything (a development key).
func (f *consoleFlags) checkUsers(data string) error {
	if !f.on {
		return nil
	}
	path := f.usersFile(data)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no console accounts in %s (--console-users): run `ccfs console-user add --file %s NAME` first", path, path)
	}
	return nil
}

// consoleLocations are the stores' locations as --store or --pool names
// them, each with its overwrite protection: an S3 location's mode now
// (it may change, with --s3-overwrite detect), a directory's link, which
// never replaces a file.
func (c *serveConfig) consoleLocations() []console.Location {
	location := func(name, spec string) console.Location {
		if s, ok := c.cluster.s3[spec]; ok {
			return console.Location{Name: name, Protection: s.ProtectionMode}
		}
		return console.Location{Name: name, Protection: func() string { return dirProtection }}
	}
	if *c.cluster.pool != "" {
		var locs []console.Location
		for _, item := range strings.Split(*c.cluster.pool, ",") {
			id, spec, _ := strings.Cut(item, "=")
			locs = append(locs, location("pool location "+id+": "+spec, spec))
		}
		return locs
	}
	spec := *c.cluster.store
	if spec == "" {
		spec = filepath.Join(c.data, "files")
	}
	return []console.Location{location(spec, spec)}
}

// dirProtection is a directory store's overwrite protection: a file is
// written aside and linked into place, which fails rather than replace
// a file of the same name.
const dirProtection = "link without replace"

// backlog is each endpoint's backlog, for the console's overview: its
// pending events (up to maxListed), its dead letters (as many), and
// when the oldest pending event happened.
func (rt *eventsRuntime) backlog(ctx context.Context) ([]console.Backlog, error) {
	out := make([]console.Backlog, 0, len(rt.endpoints))
	for _, ep := range rt.endpoints {
		pending, err := ep.queue.Pending(ctx, maxListed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep.name, err)
		}
		dead, err := ep.queue.DeadLetters(ctx, maxListed)
		if err != nil {
			return nil, fmt.Errorf("%s's dead letters: %w", ep.name, err)
		}
		b := console.Backlog{Endpoint: ep.name, Pending: len(pending), Dead: len(dead)}
		if len(pending) > 0 {
			var ev events.Event
			if json.Unmarshal(pending[0].Body, &ev) == nil {
				b.Oldest = ev.Time
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// The console's own listener's limits: a few operators' browsers, each
// opening a handful of connections; a prompt's audio, decoded, is at
// most a few tens of MB, sent in well under the write timeout on any
// network an operator reaches it over.
const (
	consoleMaxConns     = 64
	consoleReadTimeout  = 30 * time.Second
	consoleWriteTimeout = 2 * time.Minute
	consoleIdleTimeout  = time.Minute
)

// startConsole serves the console on its own listener, --console-addr:
// over TLS with pair, or, without one (--plain-http), in plain HTTP on
// a loopback address only. / leads to the console. The caller closes
// it.
func (c *serveConfig) startConsole(con http.Handler, pair *certPair, logger *slog.Logger, stdout io.Writer) (io.Closer, error) {
	mux := http.NewServeMux()
	mux.Handle(console.DefaultPath, con)
	mux.Handle("GET /{$}", http.RedirectHandler(console.DefaultPath, http.StatusSeeOther))
	ln, err := net.Listen("tcp", c.console.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("--console-addr %q is in use, by another program or another ccfs serve --console: give another address with --console-addr (%w)", c.console.addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("--console-addr: %w", err)
	}
	if pair == nil && !loopback(ln.Addr()) {
		ln.Close()
		return nil, fmt.Errorf("--console-addr %q listens on %s, beyond loopback, and --plain-http gives the console no TLS: it never serves beyond loopback unencrypted", c.console.addr, ln.Addr())
	}
	ln = netutil.LimitListener(ln, consoleMaxConns)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       consoleReadTimeout,
		WriteTimeout:      consoleWriteTimeout,
		IdleTimeout:       consoleIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if pair != nil {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: pair.GetCertificate}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("console listener", "err", err)
		}
	}()
	c.printConsole(stdout, scheme+"://"+ln.Addr().String())
	return srv, nil
}

// printConsole says where the console is, and whose accounts sign in.
func (c *serveConfig) printConsole(w io.Writer, base string) {
	fmt.Fprintf(w, "ccfs: console on %s%s (operators' accounts in %s)\n", base, console.DefaultPath, c.console.usersFile(c.data))
}

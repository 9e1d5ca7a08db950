// Package health serves the two probes a balancer or an orchestrator asks
// a node: /healthz, whether the process is alive, and /readyz, whether it
// should be sent requests now — its dependencies (the store, the shared
// replay cache) answer within a short timeout, and it is not shutting
// down.
//
// On shutdown, call Drain first: /readyz turns not-ready at once, so the
// balancer stops sending new requests while the listener still accepts
// them; close the listener only after the balancer has noticed.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each check of a /readyz request.
const DefaultTimeout = 2 * time.Second

// A Checker holds the readiness checks. Add every check before serving;
// Drain may be called at any time. It is safe for concurrent use.
type Checker struct {
	// Timeout bounds each check; zero means DefaultTimeout.
	Timeout  time.Duration
	checks   []check
	details  []detail
	draining atomic.Bool
}

type detail struct {
	name string
	fn   func() string
}

// AddDetail adds a line to every Report that readiness does not depend
// on: what fn says now (a mode the node chose, say). fn must be quick.
func (c *Checker) AddDetail(name string, fn func() string) {
	c.details = append(c.details, detail{name, fn})
}

type check struct {
	name string
	fn   func(context.Context) error
}

// Add adds a readiness check: fn returns nil if the dependency answers.
func (c *Checker) Add(name string, fn func(context.Context) error) {
	c.checks = append(c.checks, check{name, fn})
}

// Drain makes /readyz answer not-ready from now on.
func (c *Checker) Drain() { c.draining.Store(true) }

// Draining reports whether Drain was called.
func (c *Checker) Draining() bool { return c.draining.Load() }

// Report is the JSON body of a /readyz answer.
type Report struct {
	// Status is "ready", "not ready" or "draining".
	Status string `json:"status"`
	// Checks holds each check's outcome: "ok", or why it failed.
	Checks map[string]string `json:"checks,omitempty"`
	// Details holds what AddDetail's functions say, which readiness does
	// not depend on.
	Details map[string]string `json:"details,omitempty"`
}

// Check runs every check at once, each bounded by the timeout, and
// reports whether all passed (and the node is not draining).
func (c *Checker) Check(ctx context.Context) (Report, bool) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rep := Report{Status: "ready", Checks: make(map[string]string, len(c.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := true
	for _, ch := range c.checks {
		wg.Go(func() {
			msg := "ok"
			if err := run(ctx, timeout, ch.fn); err != nil {
				msg = err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			rep.Checks[ch.name] = msg
			ok = ok && msg == "ok"
		})
	}
	wg.Wait()
	if len(c.details) > 0 {
		rep.Details = make(map[string]string, len(c.details))
		for _, d := range c.details {
			rep.Details[d.name] = d.fn()
		}
	}
	switch {
	case c.Draining():
		rep.Status, ok = "draining", false
	case !ok:
		rep.Status = "not ready"
	}
	return rep, ok
}

// run runs fn with a deadline, and gives up waiting for it at the
// deadline even if fn does not watch its context (a file-system call).
func run(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Live returns the /healthz handler: 200 "ok" while the process serves
// HTTP at all.
func (c *Checker) Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
}

// Ready returns the /readyz handler: 200 with a Report when every check
// passes, 503 with the Report saying which did not, or that the node is
// draining.
func (c *Checker) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, ok := c.Check(r.Context())
		b, _ := json.Marshal(rep)
		b = append(b, '\n')
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write(b)
	})
}

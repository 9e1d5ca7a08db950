package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/health"
)

func TestReadiness(t *testing.T) {
	var storeDown, redisSlow atomic.Bool
	c := &health.Checker{Timeout: 50 * time.Millisecond}
	c.Add("store", func(context.Context) error {
		if storeDown.Load() {
			return errors.New("connection refused")
		}
		return nil
	})
	c.Add("replay", func(ctx context.Context) error {
		if redisSlow.Load() {
			time.Sleep(time.Second) // ignores its context: the Checker stops waiting anyway
		}
		return nil
	})
	probe := func() (int, health.Report) {
		w := httptest.NewRecorder()
		c.Ready().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		var rep health.Report
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
			t.Fatalf("%q: %v", w.Body.String(), err)
		}
		return w.Code, rep
	}
	if code, rep := probe(); code != 200 || rep.Status != "ready" || rep.Checks["store"] != "ok" || rep.Checks["replay"] != "ok" {
		t.Fatalf("all up: %d %+v", code, rep)
	}
	storeDown.Store(true)
	if code, rep := probe(); code != 503 || rep.Status != "not ready" || rep.Checks["store"] != "connection refused" {
		t.Fatalf("store down: %d %+v", code, rep)
	}
	storeDown.Store(false)
	redisSlow.Store(true)
	start := time.Now()
	if code, rep := probe(); code != 503 || rep.Checks["replay"] != context.DeadlineExceeded.Error() || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("replay slow: %d %+v after %s", code, rep, time.Since(start))
	}
	redisSlow.Store(false)
	c.Drain()
	if code, rep := probe(); code != 503 || rep.Status != "draining" {
		t.Fatalf("draining: %d %+v", code, rep)
	}
	w := httptest.NewRecorder()
	c.Live().ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("healthz while draining: %d %q", w.Code, w.Body.String())
	}
}

// A detail is in every report and readiness does not depend on it.
func TestDetails(t *testing.T) {
	var c health.Checker
	c.Add("store", func(context.Context) error { return nil })
	mode := "if-none-match"
	c.AddDetail("s3 overwrite protection", func() string { return mode })
	rep, ok := c.Check(context.Background())
	if !ok || rep.Details["s3 overwrite protection"] != "if-none-match" {
		t.Fatalf("%v %+v", ok, rep)
	}
	mode = "none"
	if rep, ok := c.Check(context.Background()); !ok || rep.Details["s3 overwrite protection"] != "none" {
		t.Fatalf("a detail changed: %v %+v", ok, rep)
	}
}

package webhook

import (
	"strings"
	"testing"
	"time"
)

// One WARN line when failures begin, one every ten minutes while they go
// on, one INFO line when the last event being retried is delivered; none
// per attempt.
func TestHealthLogs(t *testing.T) {
	var logs logBuffer
	h := health{log: newLogger(&logs), name: "http://h/x"}
	t0 := time.Date(2026, 12, 5, 19, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	a, b, c := &held{id: "a", vdn: 1}, &held{id: "b", vdn: 2}, &held{id: "c", vdn: 3}
	lines := func() []string { return strings.Split(strings.TrimSpace(logs.String()), "\n") }

	h.fail(at(0), a, true, "HTTP 503 Service Unavailable")
	h.fail(at(time.Second), b, true, "HTTP 503 Service Unavailable")
	for i := range 100 {
		h.fail(at(time.Duration(i)*5*time.Second), a, false, "HTTP 503 Service Unavailable")
	}
	if l := lines(); len(l) != 1 || !strings.Contains(l[0], "level=WARN") || !strings.Contains(l[0], `"webhook: delivery failing"`) || !strings.Contains(l[0], "event=a") {
		t.Fatalf("after 102 failures within ten minutes:\n%s", logs.String())
	}
	h.fail(at(10*time.Minute), b, false, "timeout after 10s")
	h.fail(at(11*time.Minute), a, false, "timeout after 10s")
	if l := lines(); len(l) != 2 || !strings.Contains(l[1], "still failing") || !strings.Contains(l[1], "failedAttempts=102") ||
		!strings.Contains(l[1], "eventsRetrying=2") || !strings.Contains(l[1], "for=10m0s") {
		t.Fatalf("ten minutes on:\n%s", logs.String())
	}
	h.settled(at(12*time.Minute), 104, true) // a delivered; b still retried
	h.settled(at(13*time.Minute), 3, false)  // b dead: no recovery to tell
	if l := lines(); len(l) != 2 {
		t.Fatalf("a delivered while b is retried, then b dead:\n%s", logs.String())
	}
	h.fail(at(14*time.Minute), c, true, "HTTP 500 Internal Server Error")
	h.settled(at(15*time.Minute), 2, true)
	h.settled(at(16*time.Minute), 1, true) // delivered at once: nothing to tell
	l := lines()
	if len(l) != 4 || !strings.Contains(l[2], "delivery failing") || !strings.Contains(l[3], "level=INFO") ||
		!strings.Contains(l[3], "recovered") || !strings.Contains(l[3], "after=1m0s") || !strings.Contains(l[3], "failedAttempts=1") {
		t.Fatalf("failing again, then recovered:\n%s", logs.String())
	}
}

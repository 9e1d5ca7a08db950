package console

import (
	"time"

	"github.com/ccfs-go/ccfs"
)

// A Recorder keeps what the console shows of requests: counts by minute
// and result, the last refusals, and when each verified key was last
// seen. Give its Observe as the handler's Options.OnRequest. It is safe
// for concurrent use, and its memory is bounded whatever strangers send.
type Recorder struct {
	now func() time.Time
}

// NewRecorder returns an empty Recorder. now is its clock; nil means
// time.Now.
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now}
}

// Observe records one finished request. It is quick and never blocks for
// long: it runs on the request's goroutine.
func (r *Recorder) Observe(ev ccfs.Event) {
	// TODO(recorder helper)
}

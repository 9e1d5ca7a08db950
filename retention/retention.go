// Package retention removes uploaded prompts once they are older than a
// configured age, so that the prompts a chatbot synthesises on every turn
// of a call, and never deletes, do not pile up.
//
// A Sweeper lists the store and removes, in bounded batches, the files
// the upload path rule placed (directly in a VDN's directory) whose
// modification time is older than that VDN's age. Nothing else is ever
// touched: recordings and any other file under the rule's prefix stay.
// Several servers may sweep the same store at once: a file another
// sweeper removed first is simply not counted. A download in progress
// from a store.Dir keeps reading a file removed under it; the removal
// takes effect for the next request.
package retention

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/internal/pervdn"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// A Policy says how long each VDN's uploaded prompts are kept. Zero is
// for ever.
type Policy struct {
	Default time.Duration
	VDN     map[int]time.Duration
}

// For returns vdn's age.
func (p *Policy) For(vdn int) time.Duration {
	if d, ok := p.VDN[vdn]; ok {
		return d
	}
	return p.Default
}

// String writes the policy as ParsePolicy reads it.
func (p *Policy) String() string { return pervdn.Format(p.Default, p.VDN, formatAge) }

// ParsePolicy reads a comma-separated list of VDN=AGE, with * for the
// default: "*=30d,53=7d,54=none". An age is a number of days ("30d") or a
// Go duration ("12h", "90m"); "none" keeps for ever. A lone age ("30d")
// is the default. A VDN not listed, with no "*", keeps for ever.
func ParsePolicy(s string) (*Policy, error) {
	if !strings.Contains(s, "=") {
		s = "*=" + s
	}
	def, byVDN, err := pervdn.Parse(s, parseAge)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	return &Policy{Default: def, VDN: byVDN}, nil
}

// minAge is the shortest age a policy may give: an upload is never
// swept while a caller could still be waiting to play it.
const minAge = time.Minute

func parseAge(s string) (time.Duration, error) {
	if s == "none" {
		return 0, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if n, err = strconv.Atoi(days); err == nil && n > 0 && n <= 36500 {
			d = time.Duration(n) * 24 * time.Hour
		} else {
			err = errors.New("bad days")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < minAge {
		return 0, fmt.Errorf("%q is not an age of at least %v such as 30d or 12h, or none", s, minAge)
	}
	return d, nil
}

func formatAge(d time.Duration) string {
	switch {
	case d == 0:
		return "none"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// Store is what a Sweeper needs of a store: to list and to remove.
type Store interface {
	store.Lister
	store.Remover
}

// A Sweeper removes expired prompts. Its fields are read by Sweep, and
// must not change while it runs.
type Sweeper struct {
	Store  Store
	Rule   *pathrule.Rule // the upload path rule
	Policy *Policy
	// Usage, if set, is given back the size of each file removed (the
	// quotas' ledger).
	Usage quota.Ledger
	// Fence, if set, is shared with the deleteFile handlers of the store
	// (ccfs.Options.Fence) and with the sweepers of other servers: a file
	// is then removed, counted and given back by one of them only.
	Fence store.Fence
	// Batch is how many files are removed together, the most a sweep
	// holds in memory at once. Default: 1000.
	Batch int
	// Pause is the wait between two batches, to spread the removals'
	// load on the store. Default: none.
	Pause time.Duration
	// Events, if set, records a prompt.expired event for each file
	// removed: prepared before the removal, committed after it (see
	// events.Sink), so a removal is never without its event, across a
	// crash. A file whose event cannot be prepared is left for the next
	// sweep. Give it the handler's Options.Events.
	Events events.Sink
	// RootPrefix is the handler's Options.RootPrefix: an event names the
	// file as an upload's answer did, "Y:/3rdfile/53/…wav".
	RootPrefix string
	// OnRemove, if set, is called for each file removed: for metrics.
	OnRemove func(vdn int, size int64)
	Logger   *slog.Logger     // default: slog.Default()
	Now      func() time.Time // default: time.Now
}

// Result is what one sweep did.
type Result struct {
	Files, Bytes int64 // removed
	Failed       int64 // removals that failed (logged)
}

// Sweep makes one pass over the store: it lists the files the upload rule
// placed and removes, a batch at a time, those older than their VDN's
// age. It returns what it removed, and the error that stopped it (ctx's,
// or the listing's).
func (s *Sweeper) Sweep(ctx context.Context) (Result, error) {
	now, batchSize, logger := time.Now, s.Batch, s.Logger
	if s.Now != nil {
		now = s.Now
	}
	if batchSize <= 0 {
		batchSize = 1000
	}
	if logger == nil {
		logger = slog.Default()
	}
	start := now()
	var res Result
	batch := make([]expired, 0, batchSize)
	var removed []expired // of the batch
	flush := func() error {
		defer func() { logRemoved(logger, removed); removed = removed[:0] }()
		for _, e := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			intent, ev, err := s.prepare(ctx, now, e)
			if err != nil {
				res.Failed++
				logger.Warn("retention: an expired file's event could not be recorded; it is left for the next sweep", "file", e.name, "err", err)
				continue
			}
			err = store.RemoveFenced(ctx, s.Store, s.Fence, e.name)
			s.settle(ctx, logger, intent, ev, err == nil)
			switch {
			case err == nil:
				removed = append(removed, e)
				res.Files++
				res.Bytes += e.size
				if s.Usage != nil {
					if err := quota.ReleaseOnce(ctx, s.Usage, s.Fence, e.vdn, e.name, e.size); err != nil {
						logger.Warn("retention: a removed file's size could not be given back to its quota", "vdn", e.vdn, "err", err)
					}
				}
				if s.OnRemove != nil {
					s.OnRemove(e.vdn, e.size)
				}
			case errors.Is(err, fs.ErrNotExist): // another sweeper, or a deleteFile, was first
			default:
				res.Failed++
				logger.Warn("retention: an expired file could not be removed", "file", e.name, "err", err)
			}
		}
		batch = batch[:0]
		if s.Pause > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(s.Pause):
			}
		}
		return nil
	}
	err := s.Store.List(ctx, s.Rule.Prefix(), func(f store.FileInfo) error {
		vdn, ok := s.Rule.MatchFile(f.Name)
		if !ok {
			return nil // not an upload: never touched
		}
		age := s.Policy.For(vdn)
		if age <= 0 || start.Sub(f.ModTime) < age {
			return nil
		}
		batch = append(batch, expired{name: f.Name, vdn: vdn, size: f.Size})
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	logger.Info("retention: swept", "files", res.Files, "bytes", res.Bytes, "failed", res.Failed, "took", now().Sub(start).Round(time.Millisecond), "err", err)
	return res, err
}

// eventTimeout bounds a call to Events.
const eventTimeout = 10 * time.Second

// prepare prepares e's prompt.expired event, if the Sweeper has Events;
// the Intent is nil without.
func (s *Sweeper) prepare(ctx context.Context, now func() time.Time, e expired) (events.Intent, events.Event, error) {
	if s.Events == nil {
		return nil, events.Event{}, nil
	}
	ev := events.New(events.PromptExpired, now())
	ev.VDN, ev.FileName, ev.Size = e.vdn, s.RootPrefix+"/"+e.name, e.size
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	in, err := s.Events.Prepare(ctx, ev)
	return in, ev, err
}

// settle commits in if the file was removed, else abandons it, on a
// context of its own (a sweep stopped midway still settles the removal
// it made). A failure is logged: a durable Sink settles the intent from
// the store.
func (s *Sweeper) settle(ctx context.Context, logger *slog.Logger, in events.Intent, ev events.Event, removed bool) {
	if in == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
	defer cancel()
	if err := events.Settle(ctx, in, ev, removed); err != nil {
		logger.Error("retention: an expired file's event could not be settled; a durable sink settles it from the store", "event", ev.ID, "file", ev.FileName, "removed", removed, "err", err)
	}
}

// namedRemovals is how many removed files a log line names one by one;
// beyond it, it names the first and the last.
const namedRemovals = 20

// logRemoved logs a batch's removed files, if any, on one line at INFO,
// each as the fileName its upload answered (without a root prefix), so
// that an operator can find where a prompt went: all of them up to
// namedRemovals, else their count, the first and the last in name order.
// It sorts removed.
func logRemoved(logger *slog.Logger, removed []expired) {
	if len(removed) == 0 {
		return
	}
	slices.SortFunc(removed, func(a, b expired) int { return strings.Compare(a.name, b.name) })
	var bytes int64
	vdns := map[int]bool{}
	for _, e := range removed {
		bytes += e.size
		vdns[e.vdn] = true
	}
	attrs := []any{"files", len(removed), "bytes", bytes, "vdns", slices.Sorted(maps.Keys(vdns))}
	if len(removed) <= namedRemovals {
		names := make([]string, len(removed))
		for i, e := range removed {
			names[i] = "/" + e.name
		}
		attrs = append(attrs, "names", names)
	} else {
		attrs = append(attrs, "first", "/"+removed[0].name, "last", "/"+removed[len(removed)-1].name)
	}
	logger.Info("retention: removed expired prompts", attrs...)
}

type expired struct {
	name string
	vdn  int
	size int64
}

// Run sweeps now and then every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

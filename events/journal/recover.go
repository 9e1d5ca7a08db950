package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// page is how many records a scan of an outbox reads at a time.
const page = 64

// settled counts what a pass over the leftover intents did.
type settled struct {
	committed  int        // made: appended to every queue, acknowledged
	abandoned  int        // not made: acknowledged
	dead       int        // not an event: moved aside as a dead letter
	unresolved int        // Resolve could not tell: kept
	last       outbox.Seq // the last of those kept
	err        error      // the first of Resolve's errors
}

// settleLeftovers asks Resolve about every pending intent up to seq
// limit (all of them if limit is 0), oldest first. It fails only if ctx
// ends or the intents outbox fails; an intent it could not settle is
// counted and kept.
func (j *Journal) settleLeftovers(ctx context.Context, limit outbox.Seq) (settled, error) {
	var res settled
	var after outbox.Seq
	for {
		recs, err := j.intents.Pending(after, page)
		if err != nil {
			return res, fmt.Errorf("journal: reading the intents: %w", err)
		}
		var acks []outbox.Seq
		end := len(recs) < page
		for _, r := range recs {
			if limit > 0 && r.Seq > limit {
				end = true
				break
			}
			after = r.Seq
			ack, err := j.settleLeftover(ctx, r, &res)
			if cerr := ctx.Err(); cerr != nil {
				return res, cerr
			}
			if err != nil {
				res.unresolved++
				res.last = r.Seq
				if res.err == nil {
					res.err = err
				}
				continue
			}
			if ack {
				acks = append(acks, r.Seq)
			}
		}
		if len(acks) > 0 {
			if err := j.intents.Ack(acks...); err != nil {
				return res, fmt.Errorf("journal: acknowledging settled intents: %w", err)
			}
		}
		if end {
			return res, nil
		}
	}
}

// settleLeftover settles one leftover intent, counting it in res, and
// says whether it is to be acknowledged. An error means Resolve could
// not tell, or the event could not be appended: the intent is kept.
func (j *Journal) settleLeftover(ctx context.Context, r outbox.Record, res *settled) (bool, error) {
	var ev events.Event
	if err := json.Unmarshal(r.Data, &ev); err != nil {
		// Never written by Prepare: set aside where an operator sees it.
		if err := j.intents.Dead(r.Seq, "not an event: "+err.Error()); err != nil {
			return false, err
		}
		j.log.Error("journal: an intent that is not an event, moved aside as a dead letter", "seq", r.Seq)
		res.dead++
		return false, nil
	}
	resolved, made, err := j.opts.Resolve(ctx, ev)
	if err != nil {
		return false, fmt.Errorf("journal: resolving event %s: %w", ev.ID, err)
	}
	if !made {
		j.log.Debug("journal: a leftover intent's change was not made", "event", ev.ID, "type", ev.Type)
		res.abandoned++
		return true, nil
	}
	if resolved.ID != ev.ID || resolved.Type != ev.Type {
		return false, fmt.Errorf("journal: Resolve answered event %s (%s) with event %q (%s): ID and type must stay", ev.ID, ev.Type, resolved.ID, resolved.Type)
	}
	if err := resolved.Validate(); err != nil {
		return false, fmt.Errorf("journal: Resolve's event: %w", err)
	}
	body, err := json.Marshal(resolved)
	if err != nil {
		return false, fmt.Errorf("journal: event %s: %w", ev.ID, err)
	}
	if err := j.appendAll(ctx, body, make([]bool, len(j.queues))); err != nil {
		return false, err
	}
	j.log.Debug("journal: a leftover intent's change was made: event queued", "event", ev.ID, "type", ev.Type)
	res.committed++
	return true, nil
}

// logSettled logs a pass's outcome.
func (j *Journal) logSettled(msg string, res settled) {
	if res == (settled{}) {
		return
	}
	args := []any{"committed", res.committed, "abandoned", res.abandoned, "unresolved", res.unresolved}
	if res.dead > 0 {
		args = append(args, "dead", res.dead)
	}
	if res.unresolved > 0 {
		j.log.Warn(msg, append(args, "retryEvery", j.opts.RetryEvery, "err", res.err)...)
		return
	}
	j.log.Info(msg, args...)
}

// retry asks Resolve again, every RetryEvery, about the leftover intents
// up to seq limit it could not settle, until it has settled them all or
// ctx ends.
func (j *Journal) retry(ctx context.Context, limit outbox.Seq) {
	defer close(j.retryDone)
	t := time.NewTicker(j.opts.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := j.settleLeftovers(ctx, limit)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			j.log.Error("journal: settling leftover intents", "err", err)
			continue
		}
		j.unresolved.Store(int64(res.unresolved))
		j.logSettled("journal: settled leftover intents on retry", res)
		if res.unresolved == 0 {
			return
		}
		limit = res.last
	}
}

// warnUnknown logs at WARN each directory under root that is not a
// configured endpoint's, with its pending count: it is left as it is
// (its events are not delivered until its key is configured again).
func (j *Journal) warnUnknown(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return // none yet
	}
	for _, e := range entries {
		if !e.IsDir() || j.byKey[e.Name()] != nil {
			continue
		}
		dir := filepath.Join(root, e.Name())
		n, dead, err := countPending(dir, j.opts.SegmentSize)
		if err != nil {
			j.log.Warn("journal: an endpoint directory not configured, left as it is", "dir", dir, "err", err)
			continue
		}
		j.log.Warn("journal: an endpoint directory not configured, left as it is: its events are not delivered, nor listed, until its endpoint is configured again (the --webhook URL it was made for: its key is the directory's name)",
			"dir", dir, "pending", n, "dead", dead)
	}
}

// countPending counts the records pending in the outbox in dir, and its
// dead letters. A
// directory that holds no segment file is not an outbox, and is not
// opened (an Outbox would make one); an outbox is opened as its owner
// would (a torn tail cut, settled segments removed), which changes
// nothing pending.
func countPending(dir string, segSize int64) (int, int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	isOutbox := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".log") && e.Name() != "dead.log" {
			isOutbox = true
		}
	}
	if !isOutbox {
		return 0, 0, fmt.Errorf("journal: %s holds no outbox", dir)
	}
	ob, err := outbox.Open(dir, outbox.Options{SegmentSize: segSize})
	if err != nil {
		return 0, 0, err
	}
	defer ob.Close()
	letters, err := ob.DeadLetters()
	if err != nil {
		return 0, 0, err
	}
	n := 0
	var after outbox.Seq
	for {
		recs, err := ob.Pending(after, page)
		if err != nil {
			return n, len(letters), err
		}
		n += len(recs)
		if len(recs) < page {
			return n, len(letters), nil
		}
		after = recs[len(recs)-1].Seq
	}
}

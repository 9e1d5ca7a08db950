package ccfs

// The handler's side of events (Options.Events, a ccfs extension): an
// event prepared before the store's change, committed once it is made,
// abandoned if it failed; and ResolveEvents, which settles an event a
// crash left prepared by looking at the store.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/store"
)

// eventTimeout bounds a call to Options.Events, which runs on its own
// context: the request's may have ended, and an event prepared must be
// settled.
const eventTimeout = 10 * time.Second

// prepareEvent prepares ev with the Sink, on a context of its own. The
// Intent is nil, with no error, without Options.Events.
func (c *config) prepareEvent(ctx context.Context, ev events.Event) (events.Intent, error) {
	if c.Events == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
	defer cancel()
	return c.Events.Prepare(ctx, ev)
}

// settleEvent commits in (with ev, as the change left it) if done, else
// abandons it. A failure is logged: the intent stays open, and a durable
// Sink settles it from the store (ResolveEvents).
func (c *config) settleEvent(ctx context.Context, in events.Intent, ev events.Event, done bool) {
	if in == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
	defer cancel()
	if err := events.Settle(ctx, in, ev, done); err != nil {
		c.Logger.Error("events: an event could not be settled; a durable sink settles it from the store when it next looks at its open intents",
			"event", ev.ID, "type", ev.Type, "file", ev.FileName, "committed", done, "err", err)
	}
}

// newEvent returns an event of type t about the stored file name of vdn,
// made by the request ev (its verified key and request ID).
func (c *config) newEvent(t events.Type, vdn int, name string, size int64, req *Event) events.Event {
	e := events.New(t, c.Now())
	e.VDN, e.FileName, e.Size = vdn, c.RootPrefix+"/"+name, size
	if req != nil {
		e.AccessKey, e.RequestID = req.AccessKey, req.RequestID
	}
	return e
}

// eventRefused is the answer to a change refused because its event could
// not be prepared.
func eventRefused(what string, err error) error {
	return ErrStorage.with("the file could not be %s: its event could not be recorded", what).because(err)
}

// ResolveEvents returns the events.Resolver a durable events.Sink needs
// for a handler over s with rootPrefix (Options.RootPrefix): it settles
// an event whose intent a crash left open by looking at the store. An
// upload's event stands if its file is there; a delete's or an expiry's
// if the file is not (for a delete of a pool's copies, not at any of its
// LocationIDs); a download's always. An error reading the store (other
// than the file not being there) leaves the intent open, to be asked
// about again.
func ResolveEvents(s store.Store, rootPrefix string) events.Resolver {
	return func(ctx context.Context, ev events.Event) (events.Event, bool, error) {
		name, ok := strings.CutPrefix(ev.FileName, rootPrefix+"/")
		if !ok {
			return ev, false, fmt.Errorf("ccfs: event %s: fileName %q is not under the root prefix %q", ev.ID, ev.FileName, rootPrefix)
		}
		switch ev.Type {
		case events.PromptUploaded:
			there, err := present(ctx, s, name)
			return ev, there, err
		case events.PromptDeleted, events.PromptExpired:
			ls, perLocation := s.(store.LocationStater)
			if len(ev.LocationIDs) == 0 || !perLocation {
				there, err := present(ctx, s, name)
				return ev, !there, err
			}
			for _, id := range ev.LocationIDs {
				_, err := ls.StatAt(ctx, id, name)
				switch {
				case err == nil:
					return ev, false, nil
				case !missing(err):
					return ev, false, err
				}
			}
			return ev, true, nil
		}
		return ev, true, nil
	}
}

// present reports whether s holds name.
func present(ctx context.Context, s store.Store, name string) (bool, error) {
	_, err := store.Stat(ctx, s, name)
	switch {
	case err == nil:
		return true, nil
	case missing(err):
		return false, nil
	}
	return false, err
}

package ccfs

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/store"
)

// maxLocationLen bounds a locationId.
const maxLocationLen = 64

// storeTimeout bounds a removal, which runs on its own context: the
// request's ends when a client half-closes its connection after its last
// byte, and a removal begun must not be abandoned midway.
const storeTimeout = 30 * time.Second

// serveDelete runs one deleteFile request: the checks that need no body,
// the body read whole and its signature checked, then the path it names
// checked against the upload path rule and the key's VDNs, and the file
// removed (at one location, or at all).
func (h *Handler) serveDelete(w http.ResponseWriter, r *http.Request, ev *Event) (*Response, error) {
	x, fileName, rawLocation, release, err := h.beginSmall(w, r, ev, "fileName", "locationId")
	if err != nil {
		return nil, err
	}
	defer release()
	location, err := stringField("locationId", rawLocation, false, maxLocationLen)
	if err != nil {
		return nil, err
	}
	name, err := h.cfg.storeName("fileName", fileName, false)
	if err != nil {
		return nil, err
	}
	// Uploads go straight into the rule's directory, so that is the only
	// place deleteFile removes from.
	vdn, ok := h.cfg.rule.MatchFile(name)
	if !ok {
		return nil, ErrFormat.with("the format of fileName is incorrect: it is not a file in the directory of the Third-Party Upload File Path Rule %s", h.cfg.PathRule)
	}
	ev.VDN = vdn
	if err := checkOwner(x, vdn); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
	defer cancel()
	if err := h.removeFile(ctx, vdn, name, fileName, location, ev, ""); err != nil {
		return nil, err
	}
	return &Response{ResultCode: SuccessCode, ResultDesc: "operate success"}, nil
}

// removeFile removes the prompt name of vdn (shown is how its caller
// named it), at location or at all of them: its event prepared first,
// the removal fenced, the event settled, and its size given back to
// vdn's quota. req is the request that asked, or operator the console's
// operator who did.
func (h *Handler) removeFile(ctx context.Context, vdn int, name, shown, location string, req *Event, operator string) error {
	size := int64(-1) // the file's, to give back to its VDN's quota
	var err error
	if h.cfg.Quota != nil || h.cfg.Events != nil {
		if size, err = h.sizeOf(ctx, name); err != nil {
			if missing(err) {
				return noSuchFile("file", shown, "").because(err)
			}
			return ErrStorage.with("the file could not be deleted").because(err)
		}
	}
	event := h.cfg.newEvent(events.PromptDeleted, vdn, name, size, req)
	event.Operator = operator
	if location != "" && h.cfg.locationRemover != nil {
		event.LocationIDs = []string{location}
	}
	intent, err := h.cfg.prepareEvent(ctx, event)
	if err != nil {
		return eventRefused("deleted", err)
	}
	giveBack := size
	if h.cfg.Quota == nil {
		giveBack = -1
	}
	if lr := h.cfg.locationRemover; lr != nil && location != "" {
		giveBack, err = h.removeCopy(ctx, lr, location, name, giveBack)
	} else {
		err = store.RemoveFenced(ctx, h.cfg.remover, h.cfg.Fence, name)
	}
	h.cfg.settleEvent(ctx, intent, event, err == nil)
	switch {
	case err == nil:
		if giveBack >= 0 {
			h.giveBackOnce(ctx, vdn, name, giveBack)
		}
		return nil
	case missing(err):
		return noSuchFile("file", shown, "").because(err)
	case errors.Is(err, store.ErrNoLocation):
		return ErrFormat.with("the format of locationId is incorrect: %q is not a location of this pool", clipText(location))
	}
	return ErrStorage.with("the file could not be deleted").because(err)
}

package idempotency

import (
	"context"
	"time"
)

// Off is the Store that turns Idempotency-Key off where a Store is
// asked for (ccfs.Options.Idempotency): the header is then ignored, as
// the vendor's server ignores it, and every upload is stored. Its
// methods, if called, remember nothing: Begin always answers Fresh.
var Off Store = off{}

type off struct{}

func (off) Begin(context.Context, Scope, Hash, time.Duration) (State, Record, error) {
	return Fresh, Record{}, nil
}

func (off) Finish(context.Context, Scope, Record, time.Duration) error { return nil }

func (off) Abort(context.Context, Scope, Hash) error { return nil }

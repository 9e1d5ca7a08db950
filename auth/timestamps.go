package auth

import (
	"sync/atomic"
	"time"
)

// MaxLead is how far ahead of its clock a Timestamps may move a signing
// time to keep it unique: far inside any window a Verifier is likely to be
// given (DefaultWindow is 15 minutes).
const MaxLead = 10 * time.Second

// Timestamps hands out the signing times of one signer, each later than
// the last it handed out at the timestamp's precision. Two requests alike
// in every byte are then still signed differently, so a server never
// refuses the second as a replay of the first: a download repeated, or a
// retry sent at once, within one millisecond (or, signing to the second,
// within one second).
//
// A time already handed out is moved on by one unit of the precision. The
// lead this builds up when requests are signed faster than one a unit is
// bounded by MaxLead: past it, Next waits for the clock (signing to the
// millisecond, that takes more than a thousand requests a second for ten
// seconds; to the second, more than one a second). A clock set back by
// more than MaxLead starts the sequence again from the new time.
//
// The zero value is ready to use. A Timestamps is safe for concurrent use;
// it must not be copied after first use.
type Timestamps struct {
	last atomic.Int64 // Unix nanoseconds of the last time handed out
}

// Next returns now truncated to unit (time.Millisecond or time.Second),
// or, if that was handed out already, the next unit after the last one
// handed out. now is the clock's current reading; when the lead would pass
// MaxLead, Next sleeps (at most one unit) and reads the clock again
// through clock, if it is not nil, and does not wait a second time.
func (t *Timestamps) Next(now time.Time, unit time.Duration, clock func() time.Time) time.Time {
	if unit <= 0 {
		unit = time.Millisecond
	}
	for waited := false; ; {
		at := now.Truncate(unit).UnixNano()
		last := t.last.Load()
		if at <= last {
			next := last + int64(unit)
			lead := time.Duration(next - now.UnixNano())
			switch {
			case lead > MaxLead+unit: // the clock was set back: start again from it
			case lead > MaxLead && !waited: // signing faster than one a unit for long: wait, once
				time.Sleep(lead - MaxLead)
				if clock != nil {
					now = clock()
				} else {
					now = now.Add(lead - MaxLead)
				}
				waited = true
				continue
			default:
				at = next
			}
		}
		if t.last.CompareAndSwap(last, at) {
			return time.Unix(0, at).UTC()
		}
	}
}

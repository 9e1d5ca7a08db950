package auth

import (
	"sync/atomic"
	"time"
)

// MaxLead is how far ahead of its clock a Timestamps may move a signing
// time to keep it unique: far inside any window a Verifier is likely to be
// given (DefaultWindow is 15 minutes).
const MaxLead = 10 * time.Second

// setBackAfter is how far behind the last time handed out a clock must be
// for Timestamps to take it as set back and start again from it: further
// than a server with DefaultWindow (either side of its clock) could ever
// accept one time at both of two moments, so no time handed out before can
// meet one handed out after at the same server.
const setBackAfter = 2 * DefaultWindow

// maxWaitStep bounds one sleep of Next, so a clock that moves forward
// while it waits is noticed.
const maxWaitStep = time.Second

// Timestamps hands out the signing times of one signer, each later than
// the last it handed out at the timestamp's precision, however many
// goroutines ask at once. Two requests alike in every byte are then still
// signed differently, so a server never refuses the second as a replay of
// the first: a download repeated, or a retry sent at once, within one
// millisecond (or, signing to the second, within one second).
//
// A time already handed out is moved on by one unit of the precision, so
// the times run ahead of the clock while requests are signed faster than
// one a unit. That lead never passes MaxLead: past it, Next waits for the
// clock (signing to the millisecond, that takes more than a thousand
// requests a second for ten seconds; to the second, more than one a
// second), and every caller waits its turn. A clock set back by less than
// twice DefaultWindow is waited for in the same way, in steps of at most a
// second, since a time handed out before could still meet a later one at a
// server; one set back further starts the sequence again from the new time.
// A clock that does not move while Next waits (a fixed one, in a test) is
// waited for once a call, and the time after the last is handed out
// anyway: its lead then grows a unit a call.
//
// The zero value is ready to use. A Timestamps is safe for concurrent use;
// it must not be copied after first use.
type Timestamps struct {
	last atomic.Int64 // Unix nanoseconds of the last time handed out
}

// Next returns now truncated to unit (time.Millisecond or time.Second),
// or, if that was handed out already, the next unit after the last one
// handed out, waiting while that is more than MaxLead ahead of the clock.
// now is the clock's current reading; clock, if not nil, reads it again
// after each wait and whenever another caller took the time Next meant to
// hand out. Without clock, the time Next slept is taken to have passed.
func (t *Timestamps) Next(now time.Time, unit time.Duration, clock func() time.Time) time.Time {
	if unit <= 0 {
		unit = time.Millisecond
	}
	stood := false // the clock did not move while Next waited
	for {
		at := now.Truncate(unit).UnixNano()
		last := t.last.Load()
		if at <= last {
			next := last + int64(unit)
			switch lead := time.Duration(next - now.UnixNano()); {
			case lead > setBackAfter: // set back for good: start again from the clock
			case lead > MaxLead && !stood:
				wait := min(lead-MaxLead, maxWaitStep)
				time.Sleep(wait)
				later := now.Add(wait)
				if clock != nil {
					read := clock()
					stood = read.Sub(now) < wait/2
					if read.After(later) {
						later = read
					}
				}
				now = later
				continue
			default:
				at = next
			}
		}
		if t.last.CompareAndSwap(last, at) {
			return time.Unix(0, at).UTC()
		}
		// Another caller took a time first: read the clock again, so a
		// reading that has grown old in the race is not taken for a clock
		// set back.
		if clock != nil && !stood {
			if read := clock(); read.After(now) {
				now = read
			}
		}
	}
}

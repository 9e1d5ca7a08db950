package webhook

import (
	"math/rand/v2"
	"time"
)

// maxWait bounds a wait, so that the arithmetic never overflows (about
// 146 years).
const maxWait = time.Duration(1 << 62)

// backoff returns the wait before the retry that follows failed attempt
// n (0 for an event's first attempt): full jitter, a random time in
// [0, min(hi, lo·2ⁿ)], but at least lo/10, so that a receiver is never
// hammered by waits drawn close to zero.
func backoff(n int, lo, hi time.Duration) time.Duration {
	ceil := lo
	for i := 0; i < n && ceil < hi; i++ {
		if ceil > hi/2 {
			ceil = hi
			break
		}
		ceil *= 2
	}
	ceil = min(ceil, hi, maxWait)
	return max(rand.N(ceil+1), lo/10)
}

package convert

import (
	"math"
	"sync"

	"github.com/ccfs-go/ccfs/internal/dsp"
)

// The anti-alias filter, for every input rate: a Kaiser-windowed sinc
// whose transition band lies between the telephone band's top and the
// output's Nyquist frequency, so that what the prompt keeps (up to
// 3.4 kHz) passes flat and what would fold back (from 4 kHz up) is
// removed.
const (
	outRate    = 8000    // Hz, the rate CC-FS plays
	passEdge   = 3400.0  // Hz, flat to here within 0.01 dB
	stopEdge   = 4000.0  // Hz, at least stopDB down from here
	stopDB     = 72.0    // the design's attenuation, some margin over 60 dB
	halfLength = 30      // the filter's half length, in output samples
	maxPhases  = 512     // the most phases a table holds (see newTable)
	maxTaps    = 1 << 18 // the most taps a table holds: 1 MB
	minRate    = 8000    // Hz, the lowest input rate
	maxRate    = 192000  // Hz, the highest
)

// A table is the filter for one input rate, cut into phases: output j
// lies at input position j·step/phases, between two input samples, and
// phase p holds the taps for a position p/phases of the way from one to
// the next. Tables are immutable and shared.
type table struct {
	rate   int
	step   int64 // input samples per output, times den
	den    int64 // the ratio's denominator: rate/outRate = step/den
	phases int   // den, or maxPhases if den is larger
	half   int   // taps on each side of the position
	n      int   // taps per phase: 2·half, rounded up to a multiple of 8
	taps   []float32
}

// tap returns phase p's taps: n of them, for input samples base-half+1
// … base-half+n, where base is the input sample at or before the
// output's position. Those past base+half are zero: they round the
// count up to a multiple of 8, which the dot product takes in whole
// vectors.
func (t *table) tap(p int) []float32 {
	return t.taps[p*t.n : p*t.n+t.n : p*t.n+t.n]
}

// reach is how far past base the taps read.
func (t *table) reach() int { return t.n - t.half }

// newTable designs the filter for rate. When the ratio's denominator is
// over maxPhases (an unusual rate, such as 44056 Hz), or its table would
// hold over maxTaps taps (an unusual high rate, such as 192001 Hz), each
// output uses the nearest of fewer phases: the position is then off by
// at most half a phase, which at the phases kept (at least 512 × 16 kHz
// / rate) leaves the error on a 3.4 kHz tone over 60 dB below it, under
// A-law's own noise.
func newTable(rate int) *table {
	g := gcd(rate, outRate)
	t := &table{rate: rate, step: int64(rate / g), den: int64(outRate / g)}
	width := float64(halfLength) * float64(rate) / outRate // input samples
	t.half = int(math.Ceil(width))
	t.n = (2*t.half + 7) &^ 7
	n := 2 * t.half
	t.phases = int(min(t.den, maxPhases, int64(maxTaps/n)))
	t.taps = make([]float32, t.phases*t.n)
	k := kernel()
	scale := outRate / float64(rate) * kernelSteps // input samples to kernel steps
	w := make([]float64, n)
	for p := range t.phases {
		frac := float64(p) / float64(t.phases)
		var sum float64
		for m := range n {
			// From input sample to the output's position, in steps of the
			// kernel's table.
			x := math.Abs(frac+float64(t.half-1-m)) * scale
			i := int(x)
			if i >= len(k)-1 {
				w[m] = 0
				continue
			}
			w[m] = k[i] + (x-float64(i))*(k[i+1]-k[i])
			sum += w[m]
		}
		// Each phase passes DC at exactly 1, so no phase is louder than
		// another.
		row := t.tap(p)
		for m := range n {
			row[m] = float32(w[m] / sum)
		}
	}
	return t
}

// kernelSteps is how finely the kernel is tabulated: points per output
// sample. Read between them by a straight line, the kernel is off by
// under 1e-5 of its peak, 100 dB down, far below what the filter
// rejects.
const kernelSteps = 512

// kernel returns the filter as a function of time, the same at every
// input rate, tabulated once: a low-pass at the middle of the transition
// band (a sinc) under a Kaiser window, at 0, 1/kernelSteps, 2/kernelSteps
// … halfLength output samples from the centre (it is symmetric, and 0
// beyond). A table for a rate reads its taps off it, a multiply and an
// add each, so that designing one, even for an odd rate a caller chose,
// costs little.
var kernel = sync.OnceValue(func() []float64 {
	beta := kaiserBeta(stopDB)
	i0beta := besselI0(beta)
	cutoff := (passEdge + stopEdge) / 2 / outRate // cycles per output sample
	k := make([]float64, halfLength*kernelSteps+1)
	for i := range k {
		u := float64(i) / kernelSteps
		r := u / halfLength
		sinc := 2 * cutoff
		if u != 0 {
			sinc = math.Sin(2*math.Pi*cutoff*u) / (math.Pi * u)
		}
		k[i] = sinc * besselI0(beta*math.Sqrt(max(0, 1-r*r))) / i0beta
	}
	return k
})

// kaiserBeta is Kaiser's window parameter for an attenuation of a dB.
func kaiserBeta(a float64) float64 {
	switch {
	case a > 50:
		return 0.1102 * (a - 8.7)
	case a >= 21:
		return 0.5842*math.Pow(a-21, 0.4) + 0.07886*(a-21)
	}
	return 0
}

// besselI0 is the zeroth-order modified Bessel function of the first
// kind, by its power series.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 100; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// tables caches the tables made, by rate. The common rates need a few
// hundred KB between them, an odd rate's table up to 1 MB (maxTaps), so
// the cache is small and emptied when full rather than grown: a caller
// choosing rates cannot make it hold more than maxTables MB.
var tables struct {
	sync.Mutex
	byRate map[int]*table
}

const maxTables = 12

// design makes a table; a variable, for a test to hold a design up.
var design = newTable

// tableFor returns the table for rate, made once (or, by uploads that
// ask for it at once, a few times). It is designed outside the lock: a
// design takes a millisecond or so, and a caller choosing an odd rate
// must not make every other conversion wait for it.
func tableFor(rate int) *table {
	tables.Lock()
	t, ok := tables.byRate[rate]
	tables.Unlock()
	if ok {
		return t
	}
	t = design(rate) // outside the lock: other rates' look-ups go on
	tables.Lock()
	defer tables.Unlock()
	if tables.byRate == nil || len(tables.byRate) >= maxTables {
		tables.byRate = make(map[int]*table)
	}
	tables.byRate[rate] = t
	return t
}

// A resampler turns mono samples at one rate into samples at outRate, in
// pieces: push input, pull what output it allows, and at the end push
// silence to let the filter's tail out. Memory is the table (shared)
// and a history of about two filter lengths.
type resampler struct {
	t     *table // nil at 8000 Hz: samples pass as they are
	hist  []float32
	start int64 // the input index of hist[0]; negative at first (silence before the file)
	next  int64 // the next output's index
}

// reset readies r for input at rate.
func (r *resampler) reset(rate int) {
	r.t, r.next = nil, 0
	r.hist = r.hist[:0]
	if rate == outRate {
		r.start = 0
		return
	}
	r.t = tableFor(rate)
	// The samples before the file are silence: enough of it for the
	// first output's taps.
	r.start = -int64(r.t.half)
	for range r.t.half {
		r.hist = append(r.hist, 0)
	}
}

// position returns the input sample at or before output j's position, and
// the phase.
func (r *resampler) position(j int64) (base int64, phase int) {
	t := r.t
	num := j * t.step
	base, rem := num/t.den, num%t.den
	if int64(t.phases) == t.den {
		return base, int(rem)
	}
	p := (rem*int64(t.phases)*2 + t.den) / (2 * t.den) // the nearest phase
	if p == int64(t.phases) {
		return base + 1, 0
	}
	return base, int(p)
}

// push appends input samples, dropping the history no later output needs.
func (r *resampler) push(x []float32) {
	if r.t != nil && len(r.hist) > 0 {
		base, _ := r.position(r.next)
		if drop := int(base - int64(r.t.half) + 1 - r.start); drop > 0 && drop <= len(r.hist) {
			n := copy(r.hist, r.hist[drop:])
			r.hist = r.hist[:n]
			r.start += int64(drop)
		}
	}
	r.hist = append(r.hist, x...)
}

// pull writes to out the outputs the input pushed so far allows, up to
// limit of them in all (from the first), and returns how many it wrote.
func (r *resampler) pull(out []float32, limit int64) int {
	n := 0
	end := r.start + int64(len(r.hist))
	for n < len(out) && r.next < limit {
		if r.t == nil {
			if r.next >= end {
				break
			}
			out[n] = r.hist[r.next-r.start]
		} else {
			base, phase := r.position(r.next)
			if base+int64(r.t.reach()) >= end {
				break
			}
			lo := base - int64(r.t.half) + 1 - r.start
			out[n] = dsp.Dot(r.t.tap(phase), r.hist[lo:])
		}
		n++
		r.next++
	}
	if r.t == nil {
		// Identity: what is pulled is not needed again.
		k := int(r.next - r.start)
		r.hist = r.hist[:copy(r.hist, r.hist[k:])]
		r.start = r.next
	}
	return n
}

// tail is how many samples of silence after the input let every output
// out.
func (r *resampler) tail() int {
	if r.t == nil {
		return 0
	}
	return r.t.reach() + 1
}

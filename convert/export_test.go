package convert

// Resample runs the resampler over all of x at rate, as a Reader does in
// pieces, and returns the output before it is encoded.
func Resample(x []float32, rate int) []float32 {
	var r resampler
	r.reset(rate)
	r.push(x)
	for range r.tail() {
		r.push(zero[:])
	}
	want := (int64(len(x))*outRate + int64(rate)/2) / int64(rate)
	out := make([]float32, want)
	n := 0
	for n < len(out) {
		m := r.pull(out[n:], want)
		if m == 0 {
			break
		}
		n += m
	}
	return out[:n]
}

// Tables returns how many filter tables are cached.
func Tables() int {
	tables.Lock()
	defer tables.Unlock()
	return len(tables.byRate)
}

// TableSize returns the phases and taps of rate's table.
func TableSize(rate int) (phases, taps int) {
	t := newTable(rate)
	return t.phases, len(t.taps)
}

// HoldDesign makes a design of a table for rate say so on started, then
// wait until release is closed; it returns a function that undoes it.
func HoldDesign(rate int, started chan<- struct{}, release <-chan struct{}) (undo func()) {
	design = func(r int) *table {
		if r == rate {
			started <- struct{}{}
			<-release
		}
		return newTable(r)
	}
	return func() { design = newTable }
}

// ForgetTables empties the cache of tables.
func ForgetTables() {
	tables.Lock()
	defer tables.Unlock()
	tables.byRate = nil
}

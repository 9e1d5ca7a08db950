package store

// NamedStaging makes a Dir stage files under a name, as it does where the
// filesystem refuses unnamed ones, so that tests cover both ways.
func NamedStaging() DirOption { return func(d *Dir) { d.unnamed = false } }

// StagesUnnamed says whether d writes unnamed files.
func (d *Dir) StagesUnnamed() bool { return d.unnamed }

// Held is how many claims m holds, expired ones not yet dropped included.
func (m *MemoryFence) Held() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.claims)
}

// WatchPages calls f with how many files a page of ListPage keeps, after
// each file it keeps, until the returned function is called.
func WatchPages(f func(kept int)) (stop func()) {
	keptHook = f
	return func() { keptHook = nil }
}

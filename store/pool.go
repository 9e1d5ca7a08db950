package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/ccfs-go/ccfs/internal/safeput"
)

// A Location is one member of a CTI pool: a store under an ID such as "0"
// or "256".
type Location struct {
	ID    string
	Store Store
}

// Pool keeps a copy of each file at several locations (a CTI pool). Put
// reads the file once and streams it to every location at the same time;
// it succeeds when at least Min copies landed, returning their IDs, and
// otherwise removes the copies it made. Each location's own Put is all or
// nothing, so a failing location never keeps a partial copy.
//
// To take back copies, every location's store must be a Remover; to read
// files back through the Pool, an Opener; to list them (for quotas and
// retention), a Lister.
type Pool struct {
	locations []Location
	min       int
	names     NameLocks // a Remove of a name against another's, in this process
}

var (
	_ Store           = (*Pool)(nil)
	_ Opener          = (*Pool)(nil)
	_ Remover         = (*Pool)(nil)
	_ LocationRemover = (*Pool)(nil)
	_ Pinger          = (*Pool)(nil)
	_ Lister          = (*Pool)(nil)
	_ Stater          = (*Pool)(nil)
)

// NewPool returns a Pool over locations that needs min copies for a Put
// to succeed (min 0 means all of them). IDs must be distinct and non-empty.
func NewPool(min int, locations ...Location) (*Pool, error) {
	if len(locations) == 0 {
		return nil, errors.New("store: a pool needs at least one location")
	}
	seen := map[string]bool{}
	for i, l := range locations {
		switch {
		case l.ID == "":
			return nil, fmt.Errorf("store: pool location #%d has no ID", i+1)
		case l.Store == nil:
			return nil, fmt.Errorf("store: pool location %q has no store", l.ID)
		case seen[l.ID]:
			return nil, fmt.Errorf("store: pool location ID %q is given twice", l.ID)
		}
		seen[l.ID] = true
	}
	if min == 0 {
		min = len(locations)
	}
	if min < 0 || min > len(locations) {
		return nil, fmt.Errorf("store: a pool of %d locations cannot need %d copies", len(locations), min)
	}
	return &Pool{locations: locations, min: min}, nil
}

// errLocationDone ends the copy to a location whose Put has returned.
var errLocationDone = errors.New("store: location stopped reading")

// Put implements Store.
func (p *Pool) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(p.locations))
	writers := make([]*io.PipeWriter, len(p.locations))
	for i, l := range p.locations {
		pr, pw := io.Pipe()
		writers[i] = pw
		go func() {
			_, err := safeput.Put(ctx, l.Store, name, pr, size)
			pr.CloseWithError(errLocationDone) // later writes to this copy fail at once
			results <- result{i, err}
		}()
	}
	// One read of the source, written to every copy still taking it. A
	// location that says yes has read its copy to EOF (safeput holds it to
	// that), which it sees only once every byte was written to it.
	srcErr := fanOut(r, writers)
	for _, w := range writers {
		w.CloseWithError(srcErr) // nil: EOF, the copy is complete
	}
	var good []string
	var errs []error
	for range p.locations {
		res := <-results
		id := p.locations[res.i].ID
		if res.err == nil {
			good = append(good, id)
		} else {
			errs = append(errs, &LocationError{id, res.err})
		}
	}
	if srcErr == nil && len(good) >= p.min {
		return p.ordered(good), nil
	}
	// Not enough copies: take back those that landed.
	errs = append(errs, p.removeAll(ctx, name, good)...)
	if srcErr != nil {
		return nil, srcErr
	}
	return nil, fmt.Errorf("store: %d of %d copies landed, %d needed: %w", len(good), len(p.locations), p.min, errors.Join(errs...))
}

// removeAll removes name at the locations ids, and says what failed.
func (p *Pool) removeAll(ctx context.Context, name string, ids []string) []error {
	var errs []error
	for _, id := range ids {
		if err := p.RemoveAt(context.WithoutCancel(ctx), id, name); err != nil {
			errs = append(errs, &LocationError{id, fmt.Errorf("removing the copy: %w", err)})
		}
	}
	return errs
}

// fanOut copies r to every writer that still accepts bytes. It returns
// r's error (nil at EOF).
func fanOut(r io.Reader, writers []*io.PipeWriter) error {
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	live := make([]bool, len(writers))
	for i := range live {
		live[i] = true
	}
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			for i, w := range writers {
				if live[i] {
					if _, werr := w.Write(buf[:n]); werr != nil {
						live[i] = false
					}
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Ping implements Pinger: at least Min locations answer (a location that
// is not a Pinger is taken to answer), so that a Put could succeed. The
// error names the locations that do not.
func (p *Pool) Ping(ctx context.Context) error {
	errs := make([]error, len(p.locations))
	var wg sync.WaitGroup
	for i, l := range p.locations {
		if pg, ok := l.Store.(Pinger); ok {
			wg.Go(func() {
				if err := pg.Ping(ctx); err != nil {
					errs[i] = &LocationError{l.ID, err}
				}
			})
		}
	}
	wg.Wait()
	up := 0
	for _, err := range errs {
		if err == nil {
			up++
		}
	}
	if up >= p.min {
		return nil
	}
	return fmt.Errorf("store: %d of %d locations answer, %d needed: %w", up, len(p.locations), p.min, errors.Join(errs...))
}

func (p *Pool) store(id string) Store {
	for _, l := range p.locations {
		if l.ID == id {
			return l.Store
		}
	}
	return nil
}

// ordered returns ids in the pool's order of locations.
func (p *Pool) ordered(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, l := range p.locations {
		for _, id := range ids {
			if id == l.ID {
				out = append(out, id)
			}
		}
	}
	return out
}

// Open opens the file at the first location that has it.
func (p *Pool) Open(name string) (fs.File, error) {
	var firstErr error
	for _, l := range p.locations {
		op, ok := l.Store.(Opener)
		if !ok {
			continue
		}
		f, err := op.Open(name)
		if err == nil {
			return f, nil
		}
		if firstErr == nil || !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return nil, firstErr
}

// Stat implements Stater: the file at the first location that has it, as
// Open opens it (each location asked with the function Stat).
func (p *Pool) Stat(ctx context.Context, name string) (FileInfo, error) {
	var firstErr error
	for _, l := range p.locations {
		_, st := l.Store.(Stater)
		_, op := l.Store.(Opener)
		if !st && !op {
			continue
		}
		info, err := Stat(ctx, l.Store, name)
		if err == nil {
			return info, nil
		}
		if firstErr == nil || !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return FileInfo{}, firstErr
}

// Remove removes every copy of the file. It returns an error wrapping
// fs.ErrNotExist only if no location had one.
func (p *Pool) Remove(ctx context.Context, name string) error {
	defer p.names.Lock(name)()
	removed := 0
	var errs []error
	for _, l := range p.locations {
		rm, ok := l.Store.(Remover)
		if !ok {
			errs = append(errs, &LocationError{l.ID, errors.New("not a store.Remover")})
			continue
		}
		switch err := rm.Remove(ctx, name); {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, &LocationError{l.ID, err})
		}
	}
	if removed == 0 && len(errs) == 0 {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	return errors.Join(errs...)
}

// RemoveAt removes the copy at one location, as deleteFile does with a
// locationId. It implements LocationRemover.
func (p *Pool) RemoveAt(ctx context.Context, id, name string) error {
	s := p.store(id)
	if s == nil {
		return fmt.Errorf("%w: %q", ErrNoLocation, id)
	}
	rm, ok := s.(Remover)
	if !ok {
		return &LocationError{id, errors.New("not a store.Remover")}
	}
	defer p.names.Lock(name)()
	return rm.Remove(ctx, name)
}

// List implements Lister. A file is listed once, however many locations
// hold a copy of it: a prompt uploaded to a pool is one file to its VDN's
// quota and to retention. Its size and time are those of the first
// location in the pool's order that has it, and its Locations name every
// location that has it, in the pool's order. Every location must be a
// Lister, and answer: a location that cannot be listed fails the List
// (naming it), even when the pool needs fewer copies for a Put, since its
// files may be there alone.
//
// To list each file once with all its locations, List keeps the files it
// has listed at every location but the last, and passes them to fn once
// the last has been listed (a file only the last holds goes to fn at
// once): memory of the order of 150 bytes a file.
func (p *Pool) List(ctx context.Context, dir string, fn func(FileInfo) error) error {
	listers := make([]Lister, len(p.locations))
	for i, l := range p.locations {
		ls, ok := l.Store.(Lister)
		if !ok {
			return &LocationError{l.ID, errors.New("not a store.Lister")}
		}
		listers[i] = ls
	}
	seen := map[string]*FileInfo{}
	var order []*FileInfo // the files seen, in the order first listed
	for i, ls := range listers {
		id := p.locations[i].ID
		last := i == len(listers)-1
		var fnErr error // fn's own error goes back as it is
		err := ls.List(ctx, dir, func(f FileInfo) error {
			if s, dup := seen[f.Name]; dup {
				s.Locations = append(s.Locations, id)
				return nil
			}
			f.Locations = []string{id}
			if !last {
				seen[f.Name] = &f
				order = append(order, &f)
				return nil
			}
			fnErr = fn(f)
			return fnErr
		})
		switch {
		case fnErr != nil:
			return fnErr
		case err != nil:
			return &LocationError{id, err}
		}
	}
	for _, f := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(*f); err != nil {
			return err
		}
	}
	return nil
}

// StatAt implements LocationStater: Stat at the location id only. An
// unknown location is an error wrapping ErrNoLocation.
func (p *Pool) StatAt(ctx context.Context, id, name string) (FileInfo, error) {
	s := p.store(id)
	if s == nil {
		return FileInfo{}, fmt.Errorf("%w: %q", ErrNoLocation, id)
	}
	return Stat(ctx, s, name)
}

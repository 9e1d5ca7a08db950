// Package outbox is a durable queue of records on the local disk: what
// must not be lost once a caller has been told it was recorded, across a
// crash or a kill -9, until it has been delivered.
//
// What it guarantees:
//
//   - Durable on return. Append returns a sequence number only once the
//     record is on disk (the segment file fsynced, and the directory
//     fsynced for a new segment). Concurrent Appends share one fsync
//     (group commit), so many appenders cost about one fsync per batch,
//     not one each.
//   - Torn writes are never served. Each record is framed with its
//     length, its sequence number and a CRC-32C; Open cuts a torn or
//     corrupt tail off the newest segment (a crash mid-write), and
//     Pending checks every frame it reads. A corrupt frame anywhere else —
//     in a segment completed and synced before the next began, which a
//     crash cannot tear — is ErrCorrupt, never skipped silently.
//   - At-least-once after acknowledgement. Ack records durably (fsync)
//     that a record was delivered; a restart does not hand it out again.
//     Acks in one call share an fsync per segment; separate calls take
//     one each, so a deliverer acknowledges in batches.
//     A crash between a delivery and its Ack's fsync delivers the record
//     again after the restart: receivers must drop repeats (by Seq or by
//     an id inside the record).
//   - Nothing dropped silently. A record that cannot be delivered is moved
//     aside with Dead, stays visible in DeadLetters, and Redeliver puts it
//     back in the queue.
//   - Sequence numbers increase. Seq starts at 1, increases by one per
//     Append and survives restarts (the newest segment is never removed,
//     so its name and records say where numbering resumes).
//   - Bounded memory. Records are not kept in memory: Pending reads them
//     from disk. Per segment the Outbox holds a few words, a sparse index
//     (one offset per 128 records) and one bit per record saying whether
//     it is settled (acknowledged or dead): with 4 MiB segments of records
//     of a few hundred bytes, about 3 KB per segment. What Pending returns
//     is the caller's, at most max records.
//
// What it does not do:
//
//   - It is not exactly-once; see above.
//   - It is one process's: Open takes an exclusive lock on the directory
//     (flock on unix), and a second Open fails with ErrLocked. Several
//     nodes need a shared queue instead.
//   - It does not survive the disk itself. A segment damaged after it was
//     synced is reported (ErrCorrupt), not repaired; damage inside an
//     acknowledgement file or dead.log cannot be told from a torn tail
//     and is cut there, which re-delivers acknowledged records or loses
//     the dead letters after it.
//   - It is not power-loss tested: the kill -9 test proves what a process
//     crash leaves (the page cache survives it); what a power loss leaves
//     rests on fsync of the files and the directory, as store.Dir's does.
//   - An error from fsync is not retried: after one the Outbox refuses
//     every further write (the kernel may have dropped the dirty pages),
//     and only Close and a fresh Open recover, re-reading what is on disk.
//   - DeadLetters reads every dead letter into memory; FirstDeadLetters
//     and Redeliver read dead.log a frame at a time (a receiver down for
//     days makes them many). Open still reads dead.log whole, once.
//
// On disk, the directory holds segment files named by the sequence number
// of their first record (00000000000000000001.log), each written up to
// Options.SegmentSize and then followed by a new one; beside each, once a
// record in it is settled, an acknowledgement file (….ack) of fixed-size
// entries; dead.log for dead letters; and LOCK. A frame is
//
//	length  uint32 (little-endian), the record's size, at most MaxRecord
//	crc     uint32, CRC-32C (Castagnoli) of length, seq and the record
//	seq     uint64
//	record  length bytes
//
// A segment none of whose records is pending (all acknowledged or dead) is
// deleted, with its acknowledgements, unless it is the newest.
package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Seq is a record's sequence number: 1 for the first record an outbox
// ever holds, one more for each Append after it, across restarts.
type Seq uint64

// A Record is a record read back from the outbox.
type Record struct {
	Seq  Seq
	Data []byte
}

// MaxRecord is the largest record Append takes, in bytes.
const MaxRecord = 64 << 10

// DefaultSegmentSize is Options.SegmentSize's default.
const DefaultSegmentSize = 4 << 20

// Options configures Open. The zero value is the default.
type Options struct {
	// SegmentSize is the size past which Append starts a new segment
	// file. A segment is deleted only once all its records are settled,
	// so smaller segments give disk space back sooner, at the cost of
	// more files. Default DefaultSegmentSize (4 MiB).
	SegmentSize int64
}

var (
	// ErrClosed is returned by every method of a closed Outbox.
	ErrClosed = errors.New("outbox: closed")
	// ErrTooLarge is returned by Append for a record over MaxRecord.
	ErrTooLarge = errors.New("outbox: record larger than MaxRecord")
	// ErrCorrupt is returned when a frame that was synced does not read
	// back as written (a damaged disk or file), and by Open when it finds
	// one.
	ErrCorrupt = errors.New("outbox: corrupt")
	// ErrUnknownSeq is returned for a sequence number the outbox has not
	// handed out, or (Redeliver) that is not a dead letter.
	ErrUnknownSeq = errors.New("outbox: unknown sequence number")
	// ErrLocked is returned by Open when another Outbox (in this process
	// or another) has the directory open.
	ErrLocked = errors.New("outbox: directory in use by another Outbox")
)

const (
	frameHeader = 16  // length, crc, seq
	indexEvery  = 128 // records between two entries of a segment's sparse index
	segSuffix   = ".log"
	ackSuffix   = ".ack"
	deadName    = "dead.log"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// An Outbox is a durable queue of records in one directory. Its methods
// are safe for concurrent use.
type Outbox struct {
	dir     string
	segSize int64
	lock    io.Closer
	dead    *os.File // dead.log, open for appending; written with ackMu

	ackMu sync.Mutex // serializes writes to the ack files and dead.log, and compaction; taken before mu

	mu      sync.Mutex
	cond    *sync.Cond // signalled when a sync ends
	closed  bool
	err     error      // sticky: a failed write that could not be undone, or a failed fsync
	segs    []*segment // oldest first; the last is being written
	f       *os.File   // the last segment, open for appending
	next    Seq        // the next Append's
	synced  Seq        // every record up to this one is durable
	syncing bool       // an Append is syncing f with mu released

	syncs    atomic.Int64         // data fsyncs, for tests of group commit
	syncFile func(*os.File) error // (*os.File).Sync; tests replace it
}

// A segment is the in-memory index of one segment file.
type segment struct {
	first   Seq
	n       int      // records in it
	size    int64    // bytes of whole frames
	index   []int64  // index[i] is the offset of record first+i*indexEvery
	settled []uint64 // bit i: record first+i is acknowledged or dead
	nSet    int      // bits set in settled
	ack     *os.File // its acknowledgement file, once opened
}

func (s *segment) isSettled(seq Seq) bool {
	i := uint64(seq - s.first)
	return s.settled[i/64]&(1<<(i%64)) != 0
}

// settle marks seq settled and says whether it was not already.
func (s *segment) settle(seq Seq) bool {
	i := uint64(seq - s.first)
	if s.settled[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	s.settled[i/64] |= 1 << (i % 64)
	s.nSet++
	return true
}

// add indexes a record appended at offset off, size bytes long framed.
func (s *segment) add(off, size int64) {
	if s.n%indexEvery == 0 {
		s.index = append(s.index, off)
	}
	if s.n%64 == 0 {
		s.settled = append(s.settled, 0)
	}
	s.n++
	s.size = off + size
}

func (s *segment) last() Seq { return s.first + Seq(s.n) - 1 }

func segName(first Seq) string { return fmt.Sprintf("%020d", uint64(first)) }

// Open opens the outbox in dir, creating the directory (mode 0750) if
// needed. It reads every segment once: it cuts a torn tail off the newest,
// fails with ErrCorrupt on a damaged older one, loads the
// acknowledgements, and deletes segments with nothing pending.
func Open(dir string, opts Options) (*Outbox, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, err
	}
	o := &Outbox{dir: dir, segSize: opts.SegmentSize, lock: lock, syncFile: (*os.File).Sync}
	o.cond = sync.NewCond(&o.mu)
	if err := o.load(); err != nil {
		o.closeFiles()
		lock.Close()
		return nil, err
	}
	return o, nil
}

// load reads the directory into o.
func (o *Outbox) load() error {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	var firsts []Seq
	acks := map[Seq]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(o.dir, name)) // a rewrite of dead.log cut short
		case strings.HasSuffix(name, segSuffix) && name != deadName:
			n, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
			if err != nil || n == 0 {
				return fmt.Errorf("outbox: %s: not a segment's name", name)
			}
			firsts = append(firsts, Seq(n))
		case strings.HasSuffix(name, ackSuffix):
			n, err := strconv.ParseUint(strings.TrimSuffix(name, ackSuffix), 10, 64)
			if err != nil {
				return fmt.Errorf("outbox: %s: not an acknowledgement file's name", name)
			}
			acks[Seq(n)] = true
		}
	}
	slices.Sort(firsts)
	for i, first := range firsts {
		s, err := o.scan(first, i == len(firsts)-1)
		if err != nil {
			return err
		}
		if len(o.segs) > 0 && s.first <= o.segs[len(o.segs)-1].last() {
			return fmt.Errorf("%w: segment %s overlaps the one before it", ErrCorrupt, segName(first))
		}
		if acks[first] {
			if err := o.loadAcks(s); err != nil {
				return err
			}
			delete(acks, first)
		}
		o.segs = append(o.segs, s)
	}
	for first := range acks { // a compaction cut short between its two removals
		os.Remove(filepath.Join(o.dir, segName(first)+ackSuffix))
	}
	if len(o.segs) == 0 {
		s := &segment{first: 1}
		f, err := os.OpenFile(o.segPath(1), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		f.Close()
		if err := syncDir(o.dir); err != nil {
			return err
		}
		o.segs = append(o.segs, s)
	}
	last := o.segs[len(o.segs)-1]
	f, err := os.OpenFile(o.segPath(last.first), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.f = f
	o.next = last.first + Seq(last.n)
	o.synced = o.next - 1
	if err := o.loadDead(); err != nil {
		return err
	}
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.compact()
}

func (o *Outbox) segPath(first Seq) string { return filepath.Join(o.dir, segName(first)+segSuffix) }
func (o *Outbox) ackPath(first Seq) string { return filepath.Join(o.dir, segName(first)+ackSuffix) }

// scan reads a segment's frames and indexes them. In the newest segment
// (last) the first frame that does not check out, and all after it, are
// cut off: only a crash mid-write leaves one there. Elsewhere it is
// ErrCorrupt.
func (o *Outbox) scan(first Seq, last bool) (*segment, error) {
	path := o.segPath(first)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	s := &segment{first: first}
	r := &frameReader{r: f}
	for {
		off := r.off
		_, n, err := r.next(first + Seq(s.n))
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			if !last {
				return nil, fmt.Errorf("%w: segment %s at offset %d: %v", ErrCorrupt, segName(first), off, err)
			}
			if err := truncate(path, off); err != nil {
				return nil, err
			}
			return s, nil
		}
		s.add(off, n)
	}
}

// truncate cuts the file at path to size and syncs it.
func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// frameReader reads frames one after the other.
type frameReader struct {
	r   io.ReaderAt
	off int64
	hdr [frameHeader]byte
	buf []byte
}

var errBadFrame = errors.New("bad frame")

// next reads the frame at r.off, which must hold record want, returning
// its data (valid until the next call) and framed size. At the end of the
// file it returns io.EOF; for a partial or damaged frame, an error
// wrapping errBadFrame.
func (fr *frameReader) next(want Seq) ([]byte, int64, error) {
	n, err := fr.r.ReadAt(fr.hdr[:], fr.off)
	if n == 0 && err == io.EOF {
		return nil, 0, io.EOF
	}
	if n < frameHeader {
		if err == io.EOF || err == nil {
			return nil, 0, fmt.Errorf("%w: a partial header", errBadFrame)
		}
		return nil, 0, fmt.Errorf("outbox: %w", err)
	}
	length := binary.LittleEndian.Uint32(fr.hdr[0:])
	sum := binary.LittleEndian.Uint32(fr.hdr[4:])
	seq := Seq(binary.LittleEndian.Uint64(fr.hdr[8:]))
	if length > MaxRecord {
		return nil, 0, fmt.Errorf("%w: length %d", errBadFrame, length)
	}
	if cap(fr.buf) < int(length) {
		fr.buf = make([]byte, length, MaxRecord)
	}
	data := fr.buf[:length]
	if n, err := fr.r.ReadAt(data, fr.off+frameHeader); n < len(data) {
		if err == io.EOF || err == nil {
			return nil, 0, fmt.Errorf("%w: a partial record", errBadFrame)
		}
		return nil, 0, fmt.Errorf("outbox: %w", err)
	}
	if frameSum(fr.hdr[:], data) != sum {
		return nil, 0, fmt.Errorf("%w: CRC mismatch", errBadFrame)
	}
	if seq != want {
		return nil, 0, fmt.Errorf("%w: seq %d where %d belongs", errBadFrame, seq, want)
	}
	size := int64(frameHeader) + int64(length)
	fr.off += size
	return data, size, nil
}

// frameSum is the CRC-32C of a frame's length, seq and data.
func frameSum(hdr, data []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[0:4])
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, data)
}

// appendFrame appends data framed as record seq to buf.
func appendFrame(buf []byte, seq Seq, data []byte) []byte {
	var hdr [frameHeader]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(data)))
	binary.LittleEndian.PutUint64(hdr[8:], uint64(seq))
	binary.LittleEndian.PutUint32(hdr[4:], frameSum(hdr[:], data))
	return append(append(buf, hdr[:]...), data...)
}

// Append adds rec to the outbox and returns its sequence number once it
// is durable. Appends running at the same time are synced together. ctx
// is checked before the record is written; once written, Append waits for
// its sync. An error other than ctx's or ErrTooLarge means the record may
// or may not be there after a restart, and the Outbox takes no more
// writes until reopened.
func (o *Outbox) Append(ctx context.Context, rec []byte) (Seq, error) {
	if len(rec) > MaxRecord {
		return 0, ErrTooLarge
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	frame := appendFrame(make([]byte, 0, frameHeader+len(rec)), 0, nil)[:0] // sized; filled under the lock
	o.mu.Lock()
	defer o.mu.Unlock()
	var cur *segment
	for {
		if err := o.writable(); err != nil {
			return 0, err
		}
		cur = o.segs[len(o.segs)-1]
		if cur.size == 0 || cur.size+int64(frameHeader+len(rec)) <= o.segSize {
			break
		}
		if o.syncing { // rotate syncs the segment itself; wait, then look again
			o.cond.Wait()
			continue
		}
		if err := o.rotate(); err != nil {
			return 0, err
		}
	}
	seq := o.next
	frame = appendFrame(frame, seq, rec)
	if n, err := o.f.Write(frame); err != nil {
		o.undo(cur.size, n, err)
		return 0, fmt.Errorf("outbox: %w", err)
	}
	cur.add(cur.size, int64(len(frame)))
	o.next++
	for o.synced < seq && o.err == nil && !o.closed {
		if o.syncing {
			o.cond.Wait()
			continue
		}
		o.syncing = true
		target, f := o.next-1, o.f
		o.mu.Unlock()
		err := o.syncData(f)
		o.mu.Lock()
		o.syncing = false
		if err != nil {
			o.err = fmt.Errorf("outbox: fsync: %w", err)
		} else {
			o.synced = max(o.synced, target)
		}
		o.cond.Broadcast()
	}
	if o.synced < seq {
		if o.err != nil {
			return 0, o.err
		}
		return 0, ErrClosed
	}
	return seq, nil
}

// writable says why o takes no writes, if it does not. Called with mu.
func (o *Outbox) writable() error {
	if o.closed {
		return ErrClosed
	}
	return o.err
}

// undo cuts a partly written frame off the segment being written, or
// else stops the Outbox's writes. Called with mu.
func (o *Outbox) undo(size int64, written int, err error) {
	if written == 0 {
		return
	}
	if terr := o.f.Truncate(size); terr != nil {
		o.err = fmt.Errorf("outbox: a partial write (%v) could not be undone: %w", err, terr)
	}
}

// syncData fsyncs a segment file and counts it.
func (o *Outbox) syncData(f *os.File) error {
	o.syncs.Add(1)
	return o.syncFile(f)
}

// rotate syncs the segment being written and starts a new one. Called
// with mu, when no sync is under way.
func (o *Outbox) rotate() error {
	err := o.syncData(o.f)
	o.cond.Broadcast()
	if err != nil {
		o.err = fmt.Errorf("outbox: fsync: %w", err)
		return o.err
	}
	o.synced = o.next - 1
	f, err := os.OpenFile(o.segPath(o.next), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := syncDir(o.dir); err != nil {
		f.Close()
		os.Remove(o.segPath(o.next))
		return err
	}
	o.f.Close()
	o.f = f
	o.segs = append(o.segs, &segment{first: o.next})
	if prev := o.segs[len(o.segs)-2]; prev.nSet == prev.n && o.ackMu.TryLock() {
		// Settled before it was full: delete it now rather than at the
		// next Ack or Open. (Skipped if an Ack holds ackMu: it compacts.)
		o.compact()
		o.ackMu.Unlock()
	}
	return nil
}

// Pending returns up to max records after the sequence number after
// that are neither acknowledged nor dead, oldest first, read from disk
// and checked (ErrCorrupt for a frame that does not read back as
// written). Only durable records are returned: one whose Append has not
// returned may be (it was synced with another), one not yet synced is
// not. Pending(0, n) starts at the oldest; pass the last Seq returned to
// go on.
func (o *Outbox) Pending(after Seq, max int) ([]Record, error) {
	var out []Record
	for len(out) < max {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return nil, ErrClosed
		}
		var s *segment
		for _, c := range o.segs {
			if c.n > 0 && min(c.last(), o.synced) > after && c.nSet < c.n {
				s = c
				break
			}
		}
		if s == nil {
			o.mu.Unlock()
			return out, nil
		}
		start := max0(after+1, s.first)
		k := int(start-s.first) / indexEvery
		off, seq := s.index[k], s.first+Seq(k*indexEvery)
		end := min(s.last(), o.synced)
		o.mu.Unlock()
		recs, err := o.readSegment(s, off, seq, start, end, max-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
		after = end
	}
	return out, nil
}

func max0(a, b Seq) Seq {
	if a > b {
		return a
	}
	return b
}

// readSegment reads the records from..to of s (starting at the frame at
// off, record seq), keeping the unsettled ones, at most max.
func (o *Outbox) readSegment(s *segment, off int64, seq, from, to Seq, max int) ([]Record, error) {
	f, err := os.Open(o.segPath(s.first))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // compacted since: all of it is settled
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	fr := &frameReader{r: f, off: off}
	var out []Record
	for ; seq <= to && len(out) < max; seq++ {
		data, _, err := fr.next(seq)
		if err != nil {
			if errors.Is(err, errBadFrame) || err == io.EOF {
				return nil, fmt.Errorf("%w: segment %s, record %d: %v", ErrCorrupt, segName(s.first), seq, err)
			}
			return nil, err
		}
		if seq < from {
			continue
		}
		o.mu.Lock()
		settled := s.isSettled(seq)
		o.mu.Unlock()
		if !settled {
			out = append(out, Record{Seq: seq, Data: slices.Clone(data)})
		}
	}
	return out, nil
}

// Ack records durably that the records seqs were delivered: they are not
// returned by Pending again, here or after a restart. Acknowledging a
// record twice, a dead one, or one already compacted away does nothing.
// Acks to one segment share one fsync. A segment left with nothing
// pending is deleted (unless it is the newest).
func (o *Outbox) Ack(seqs ...Seq) error {
	return o.settle(seqs, kindAck)
}

const (
	kindAck  = 1
	kindDead = 2
)

// ackEntry is the size of an entry in an acknowledgement file: seq
// (uint64), kind (byte), CRC-32C of those (uint32).
const ackEntry = 13

// settle writes acknowledgement entries for seqs, syncs them, marks the
// records settled and compacts.
func (o *Outbox) settle(seqs []Seq, kind byte) error {
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	return o.settleLocked(seqs, kind)
}

// settleLocked is settle, called with ackMu.
func (o *Outbox) settleLocked(seqs []Seq, kind byte) error {
	o.mu.Lock()
	if err := o.writable(); err != nil {
		o.mu.Unlock()
		return err
	}
	bySeg := map[*segment][]byte{}
	var order []*segment
	for _, seq := range seqs {
		if seq == 0 || seq > o.synced {
			o.mu.Unlock()
			return fmt.Errorf("%w: %d", ErrUnknownSeq, seq)
		}
		s := o.segmentOf(seq)
		if s == nil || s.isSettled(seq) {
			continue // compacted, or settled already
		}
		if _, ok := bySeg[s]; !ok {
			order = append(order, s)
		}
		var e [ackEntry]byte
		binary.LittleEndian.PutUint64(e[0:], uint64(seq))
		e[8] = kind
		binary.LittleEndian.PutUint32(e[9:], crc32.Checksum(e[:9], castagnoli))
		bySeg[s] = append(bySeg[s], e[:]...)
	}
	o.mu.Unlock()
	// Segments are only deleted under ackMu, which is held: s stays.
	for _, s := range order {
		if err := o.writeAcks(s, bySeg[s]); err != nil {
			return err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range order {
		b := bySeg[s]
		for i := 0; i < len(b); i += ackEntry {
			s.settle(Seq(binary.LittleEndian.Uint64(b[i:])))
		}
	}
	return o.compact()
}

// writeAcks appends entries to s's acknowledgement file and syncs it
// (and the directory, when the file is new). Called with ackMu.
func (o *Outbox) writeAcks(s *segment, entries []byte) error {
	if s.ack == nil {
		path := o.ackPath(s.first)
		_, statErr := os.Stat(path)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if statErr != nil {
			if err := syncDir(o.dir); err != nil {
				f.Close()
				return err
			}
		}
		s.ack = f
	}
	return o.appendSynced(s.ack, entries, "acknowledgement")
}

// appendSynced writes b, a record of kind what, at the end of f and
// fsyncs f. A write cut short is cut off again; if that fails, or the
// fsync does, the Outbox takes no more writes (fail).
func (o *Outbox) appendSynced(f *os.File, b []byte, what string) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if n, err := f.Write(b); err != nil {
		if n > 0 && f.Truncate(st.Size()) != nil {
			o.fail(fmt.Errorf("outbox: a partial %s write could not be undone: %w", what, err))
		}
		return fmt.Errorf("outbox: %w", err)
	}
	if err := f.Sync(); err != nil {
		err = fmt.Errorf("outbox: fsync: %w", err)
		o.fail(err)
		return err
	}
	return nil
}

func (o *Outbox) fail(err error) {
	o.mu.Lock()
	if o.err == nil {
		o.err = err
	}
	o.mu.Unlock()
}

// loadAcks reads s's acknowledgement file; a torn tail is cut off.
func (o *Outbox) loadAcks(s *segment) error {
	path := o.ackPath(s.first)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	good := 0
	for ; good+ackEntry <= len(b); good += ackEntry {
		e := b[good : good+ackEntry]
		if binary.LittleEndian.Uint32(e[9:]) != crc32.Checksum(e[:9], castagnoli) {
			break
		}
		seq := Seq(binary.LittleEndian.Uint64(e))
		if seq >= s.first && seq < s.first+Seq(s.n) {
			s.settle(seq)
		}
	}
	if good < len(b) {
		return truncate(path, int64(good))
	}
	return nil
}

// segmentOf returns the segment holding seq, or nil. Called with mu.
func (o *Outbox) segmentOf(seq Seq) *segment {
	i, found := slices.BinarySearchFunc(o.segs, seq, func(s *segment, seq Seq) int {
		switch {
		case s.first > seq:
			return 1
		case s.n == 0 || s.last() < seq:
			return -1
		}
		return 0
	})
	if !found {
		return nil
	}
	return o.segs[i]
}

// compact deletes every segment but the newest that has nothing pending:
// the segment file first, then its acknowledgements (a crash between the
// two leaves acknowledgements that Open removes, never a segment without
// its acknowledgements), then syncs the directory. Called with ackMu and
// mu.
func (o *Outbox) compact() error {
	keep := o.segs[:0:0]
	removed := false
	var err error
	for i, s := range o.segs {
		if i == len(o.segs)-1 || s.nSet < s.n || err != nil {
			keep = append(keep, s)
			continue
		}
		if rerr := os.Remove(o.segPath(s.first)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("outbox: %w", rerr)
			keep = append(keep, s)
			continue
		}
		if s.ack != nil {
			s.ack.Close()
			s.ack = nil
		}
		os.Remove(o.ackPath(s.first))
		removed = true
	}
	o.segs = keep
	if removed {
		err = errors.Join(err, syncDir(o.dir))
	}
	return err
}

// Close waits for a sync under way and releases the outbox's files. It
// does not sync what an Append still in progress wrote: that Append
// returns ErrClosed.
func (o *Outbox) Close() error {
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	for o.syncing {
		o.cond.Wait()
	}
	o.closed = true
	o.cond.Broadcast()
	err := o.closeFiles()
	return errors.Join(err, o.lock.Close())
}

func (o *Outbox) closeFiles() error {
	var err error
	if o.f != nil {
		err = o.f.Close()
	}
	if o.dead != nil {
		err = errors.Join(err, o.dead.Close())
	}
	for _, s := range o.segs {
		if s.ack != nil {
			err = errors.Join(err, s.ack.Close())
			s.ack = nil
		}
	}
	return err
}

// syncDir fsyncs the directory dir, so names created or removed in it
// survive a power loss.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("outbox: syncing directory: %w", err)
	}
	return nil
}

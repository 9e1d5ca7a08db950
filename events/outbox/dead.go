package outbox

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// A DeadLetter is a record moved aside by Dead: no longer pending, kept
// with the reason until Redeliver puts it back.
type DeadLetter struct {
	Seq    Seq       // its sequence number when it was pending
	Reason string    // as given to Dead
	Time   time.Time // when Dead moved it aside
	Data   []byte
}

// dead.log holds frames of
//
//	length  uint32, of what follows the crc
//	crc     uint32, CRC-32C of what follows it
//	seq     uint64
//	kind    byte: deadMoved (then time, reason and data follow) or deadRedelivered
//	time    int64, Unix nanoseconds
//	reason  uint16 length, then the reason
//	data    the rest
const (
	deadMoved       = 1
	deadRedelivered = 2
	deadHeader      = 8
	maxReason       = 1 << 10
)

// Dead moves the pending record seq aside as a dead letter, with reason
// (cut to 1 KiB): it is written, with its data, to dead.log and synced,
// and only then marked settled, so it is never in neither place; a crash
// between the two leaves it a dead letter that the next Open settles. A
// record already acknowledged or dead is left as it is.
func (o *Outbox) Dead(seq Seq, reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	o.mu.Lock()
	if err := o.writable(); err != nil {
		o.mu.Unlock()
		return err
	}
	if seq == 0 || seq > o.synced {
		o.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrUnknownSeq, seq)
	}
	s := o.segmentOf(seq)
	if s == nil || s.isSettled(seq) {
		o.mu.Unlock()
		return nil
	}
	k := int(seq-s.first) / indexEvery
	off, at := s.index[k], s.first+Seq(k*indexEvery)
	o.mu.Unlock()
	recs, err := o.readSegment(s, off, at, seq, seq, 1) // s stays: it is deleted only under ackMu
	if err != nil {
		return err
	}
	if len(recs) != 1 {
		return nil // settled meanwhile? not without ackMu; be safe
	}
	body := deadBody(DeadLetter{Seq: seq, Reason: reason, Time: time.Now(), Data: recs[0].Data})
	if err := o.writeDead(body); err != nil {
		return err
	}
	return o.settleLocked([]Seq{seq}, kindDead)
}

// DeadLetters returns the dead letters, oldest first, read from disk.
func (o *Outbox) DeadLetters() ([]DeadLetter, error) {
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	if err := o.isOpen(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(o.dir, deadName))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	letters, _, err := parseDead(b)
	return letters, err
}

// Redeliver puts the dead letter seq back in the queue as a new record,
// with a new sequence number, which it returns, and then removes the dead
// letter. A crash between the two leaves both: the record is delivered
// and still listed as dead. A seq that is not a dead letter is
// ErrUnknownSeq.
func (o *Outbox) Redeliver(seq Seq) (Seq, error) {
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	if err := o.isOpen(); err != nil {
		return 0, err
	}
	letter, ok, err := o.deadLetter(seq) // a frame at a time: dead letters may be many
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: %d is not a dead letter", ErrUnknownSeq, seq)
	}
	newSeq, err := o.Append(context.Background(), letter.Data)
	if err != nil {
		return 0, err
	}
	body := binary.LittleEndian.AppendUint64(nil, uint64(seq))
	body = append(body, deadRedelivered)
	if err := o.writeDead(body); err != nil {
		return newSeq, err
	}
	return newSeq, nil
}

func (o *Outbox) isOpen() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	return nil
}

// writeDead appends a frame of body to dead.log and syncs it. Called with
// ackMu.
func (o *Outbox) writeDead(body []byte) error {
	frame := make([]byte, deadHeader, deadHeader+len(body))
	binary.LittleEndian.PutUint32(frame[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(frame[4:], crc32.Checksum(body, castagnoli))
	frame = append(frame, body...)
	return o.appendSynced(o.dead, frame, "dead letter")
}

// parseDead reads dead.log's frames: the dead letters not redelivered
// (one per seq, the latest), the size of the whole frames, and
// ErrCorrupt for a frame that does not check out before the end.
func parseDead(b []byte) (letters []DeadLetter, good int, err error) {
	at := map[Seq]int{}
	var all []DeadLetter
	for good+deadHeader <= len(b) {
		length := int(binary.LittleEndian.Uint32(b[good:]))
		sum := binary.LittleEndian.Uint32(b[good+4:])
		if length < 9 || length > len(b)-good-deadHeader {
			break
		}
		body := b[good+deadHeader : good+deadHeader+length]
		if crc32.Checksum(body, castagnoli) != sum {
			break
		}
		seq := Seq(binary.LittleEndian.Uint64(body))
		switch body[8] {
		case deadMoved:
			if len(body) < 19 {
				return nil, good, fmt.Errorf("%w: dead.log at offset %d: short", ErrCorrupt, good)
			}
			t := time.Unix(0, int64(binary.LittleEndian.Uint64(body[9:])))
			rl := int(binary.LittleEndian.Uint16(body[17:]))
			if 19+rl > len(body) {
				return nil, good, fmt.Errorf("%w: dead.log at offset %d: reason too long", ErrCorrupt, good)
			}
			d := DeadLetter{Seq: seq, Time: t, Reason: string(body[19 : 19+rl]), Data: slices.Clone(body[19+rl:])}
			if i, ok := at[seq]; ok {
				all[i].Seq = 0 // the latest wins
			}
			at[seq] = len(all)
			all = append(all, d)
		case deadRedelivered:
			if i, ok := at[seq]; ok {
				all[i].Seq = 0
				delete(at, seq)
			}
		default:
			return nil, good, fmt.Errorf("%w: dead.log at offset %d: kind %d", ErrCorrupt, good, body[8])
		}
		good += deadHeader + length
	}
	for _, d := range all {
		if d.Seq != 0 {
			letters = append(letters, d)
		}
	}
	return letters, good, nil
}

// loadDead opens dead.log, creating it, cutting a torn tail off it and,
// if it holds redelivered letters, rewriting it without them. A dead
// letter whose record is still pending (Dead was cut short between its
// two writes) is settled now. Called before o is shared.
func (o *Outbox) loadDead() error {
	letters, err := o.openDead()
	if err != nil {
		return err
	}
	var unsettled []Seq
	for _, d := range letters {
		if s := o.segmentOf(d.Seq); s != nil && !s.isSettled(d.Seq) {
			unsettled = append(unsettled, d.Seq)
		}
	}
	if len(unsettled) == 0 {
		return nil
	}
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	return o.settleLocked(unsettled, kindDead)
}

// openDead is loadDead's first part: it returns the dead letters.
func (o *Outbox) openDead() ([]DeadLetter, error) {
	path := filepath.Join(o.dir, deadName)
	b, err := os.ReadFile(path)
	created := errors.Is(err, os.ErrNotExist)
	if err != nil && !created {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	letters, good, err := parseDead(b)
	if err != nil {
		return nil, err
	}
	if good < len(b) {
		if err := truncate(path, int64(good)); err != nil {
			return nil, err
		}
		b = b[:good]
	}
	if !created {
		if rewritten := deadBytes(letters); len(rewritten) < len(b) {
			tmp := path + ".tmp"
			if err := writeSynced(tmp, rewritten); err != nil {
				return nil, err
			}
			if err := os.Rename(tmp, path); err != nil {
				return nil, fmt.Errorf("outbox: %w", err)
			}
			created = true // a new name to sync
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o.dead = f
	if created {
		if err := syncDir(o.dir); err != nil {
			return nil, err
		}
	}
	return letters, nil
}

// deadBody is the body of d's frame in dead.log.
func deadBody(d DeadLetter) []byte {
	body := binary.LittleEndian.AppendUint64(nil, uint64(d.Seq))
	body = append(body, deadMoved)
	body = binary.LittleEndian.AppendUint64(body, uint64(d.Time.UnixNano()))
	body = binary.LittleEndian.AppendUint16(body, uint16(len(d.Reason)))
	return append(append(body, d.Reason...), d.Data...)
}

// deadBytes is dead.log holding only letters.
func deadBytes(letters []DeadLetter) []byte {
	var out []byte
	for _, d := range letters {
		body := deadBody(d)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(body, castagnoli))
		out = append(out, body...)
	}
	return out
}

// writeSynced writes b to a new file at path and syncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// scanDead calls fn with the body of each whole frame of dead.log, in
// order, reading it a frame at a time (the body is valid until fn
// returns). It stops, as parseDead does, at a frame that does not check
// out (a torn tail, cut at the next Open).
func (o *Outbox) scanDead(fn func(body []byte) error) error {
	f, err := os.Open(filepath.Join(o.dir, deadName))
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var hdr [deadHeader]byte
	var body []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil
			}
			return fmt.Errorf("outbox: %w", err)
		}
		length := int(binary.LittleEndian.Uint32(hdr[0:]))
		sum := binary.LittleEndian.Uint32(hdr[4:])
		if length < 9 || length > deadHeader+19+maxReason+MaxRecord {
			return nil
		}
		if cap(body) < length {
			body = make([]byte, length)
		}
		body = body[:length]
		if _, err := io.ReadFull(r, body); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil
			}
			return fmt.Errorf("outbox: %w", err)
		}
		if crc32.Checksum(body, castagnoli) != sum {
			return nil
		}
		if err := fn(body); err != nil {
			return err
		}
	}
}

// decodeDead reads a dead.log frame's body: a dead letter (moved true),
// or the seq of one redelivered.
func decodeDead(body []byte) (d DeadLetter, moved bool, err error) {
	seq := Seq(binary.LittleEndian.Uint64(body))
	switch body[8] {
	case deadMoved:
		if len(body) < 19 {
			return d, false, fmt.Errorf("%w: dead.log: short", ErrCorrupt)
		}
		t := time.Unix(0, int64(binary.LittleEndian.Uint64(body[9:])))
		rl := int(binary.LittleEndian.Uint16(body[17:]))
		if 19+rl > len(body) {
			return d, false, fmt.Errorf("%w: dead.log: reason too long", ErrCorrupt)
		}
		return DeadLetter{Seq: seq, Time: t, Reason: string(body[19 : 19+rl]), Data: slices.Clone(body[19+rl:])}, true, nil
	case deadRedelivered:
		return DeadLetter{Seq: seq}, false, nil
	}
	return d, false, fmt.Errorf("%w: dead.log: kind %d", ErrCorrupt, body[8])
}

// redelivered returns the seqs of the dead letters redelivered since
// dead.log was last rewritten (Open rewrites it without them), reading
// it a frame at a time. Called with ackMu.
func (o *Outbox) redelivered() (map[Seq]bool, error) {
	out := map[Seq]bool{}
	err := o.scanDead(func(body []byte) error {
		if body[8] == deadRedelivered {
			out[Seq(binary.LittleEndian.Uint64(body))] = true
		}
		return nil
	})
	return out, err
}

// FirstDeadLetters returns up to max of the oldest dead letters, as
// DeadLetters does, but reading dead.log a frame at a time: its memory is
// max letters and the seqs redelivered since Open, not every dead letter.
func (o *Outbox) FirstDeadLetters(max int) ([]DeadLetter, error) {
	o.ackMu.Lock()
	defer o.ackMu.Unlock()
	if err := o.isOpen(); err != nil {
		return nil, err
	}
	gone, err := o.redelivered()
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	at := map[Seq]int{}
	errFull := errors.New("full")
	err = o.scanDead(func(body []byte) error {
		if body[8] != deadMoved || gone[Seq(binary.LittleEndian.Uint64(body))] {
			return nil
		}
		d, _, err := decodeDead(body)
		if err != nil {
			return err
		}
		if i, ok := at[d.Seq]; ok {
			out[i] = d // the latest wins
			return nil
		}
		if len(out) == max {
			return errFull
		}
		at[d.Seq] = len(out)
		out = append(out, d)
		return nil
	})
	if err != nil && err != errFull {
		return nil, err
	}
	return out, nil
}

// deadLetter returns the dead letter seq, reading dead.log a frame at a
// time, and whether there is one. Called with ackMu.
func (o *Outbox) deadLetter(seq Seq) (DeadLetter, bool, error) {
	var found DeadLetter
	ok := false
	err := o.scanDead(func(body []byte) error {
		if Seq(binary.LittleEndian.Uint64(body)) != seq {
			return nil
		}
		d, moved, err := decodeDead(body)
		if err != nil {
			return err
		}
		found, ok = d, moved
		return nil
	})
	return found, ok, err
}

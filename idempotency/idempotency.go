// Package idempotency remembers the uploads made under an Idempotency-Key
// (a ccfs extension, after draft-ietf-httpapi-idempotency-key-header), so
// that a retry of an upload whose answer was lost answers the file first
// stored and stores nothing more.
//
// A key is scoped to the access key and the VDN that used it: the same
// key text from another access key or for another VDN is another key. An
// entry is made only once the upload's signature holds (its caller has
// proved who it is), and is kept for a TTL (24 h by default).
package idempotency

import (
	"context"
	"crypto/sha256"
	"time"
)

// DefaultTTL is how long a key is remembered by default.
const DefaultTTL = 24 * time.Hour

// InFlightLease is how long an upload begun under a key holds it before
// Finish or Abort: far more than the store's commit takes, far less than
// a client waits before it gives up retrying.
const InFlightLease = 2 * time.Minute

// MaxKey is the longest Idempotency-Key taken, in bytes.
const MaxKey = 255

// A Scope names one key: the access key and VDN that used it, and the
// header's text.
type Scope struct {
	AccessKey string
	VDN       int
	Key       string
}

// A Hash identifies an upload's file: the SHA-256 of the file as sent
// (base64-decoded, before any conversion).
type Hash [sha256.Size]byte

// Record is what a finished upload under a key left: what its answer
// said.
type Record struct {
	Hash        Hash
	FileName    string   // as answered, root prefix included
	LocationIDs []string // as answered; empty outside a pool
}

// State is what Begin found.
type State int

// The states Begin reports.
const (
	// Fresh: the key was not in use; it is now, for this upload, until
	// Finish or Abort.
	Fresh State = iota
	// Repeat: an upload with this key and this file finished; Record is
	// its answer. Nothing is to be stored.
	Repeat
	// Mismatch: an upload with this key finished, or is in flight, with
	// another file. The upload is refused.
	Mismatch
	// InFlight: an upload with this key and this file is in flight: the
	// caller is answered busy, to retry later.
	InFlight
)

// A Store remembers keys. Its methods are called concurrently, from one
// server or (a shared Store) several.
type Store interface {
	// Begin looks scope up for an upload of a file hashing to h. If the
	// key is unknown (or its entry expired, or was aborted), it records
	// it as in flight for h, for up to lease (so that a server that dies
	// mid-upload does not hold the key for long: InFlightLease), and
	// returns Fresh. Otherwise it returns Repeat (with the finished
	// upload's Record), Mismatch or InFlight, and changes nothing.
	Begin(ctx context.Context, scope Scope, h Hash, lease time.Duration) (State, Record, error)
	// Finish records the upload begun under scope as done, with rec, for
	// ttl from now.
	Finish(ctx context.Context, scope Scope, rec Record, ttl time.Duration) error
	// Abort forgets the upload of the file hashing to h begun under scope
	// (it failed): the key is free for a retry. An entry in flight for
	// another file (begun after this one's lease ran out), or finished,
	// is kept.
	Abort(ctx context.Context, scope Scope, h Hash) error
}

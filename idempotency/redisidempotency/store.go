package redisidempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/idempotency"
)

// DefaultPrefix starts every key a Store writes. Its braces are a Redis
// Cluster hash tag, as in the other ccfs modules' prefixes (see the
// package doc for a cluster).
const DefaultPrefix = "{ccfs:idempotency}:"

// Store is an idempotency.Store in Redis. It is safe for concurrent use,
// by any number of processes on one Redis.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var _ idempotency.Store = (*Store)(nil)

// Options configures New. A zero field means its default.
type Options struct {
	// Prefix starts every key. Default: DefaultPrefix.
	Prefix string
}

// New returns a Store on client.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisidempotency: nil client")
	}
	s := &Store{client: client, prefix: opts.Prefix}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	return s, nil
}

// Ping says whether Redis answers now (PING), for a readiness check.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisidempotency: %w", err)
	}
	return nil
}

// What beginScript answers: the state it found.
const (
	foundNone     = 0
	foundDone     = 1
	foundOther    = 2
	foundInFlight = 3
)

// beginScript looks the entry KEYS[1] up for the file hashing to ARGV[1]
// (hex). Absent, it sets it in flight (ARGV[2], the in-flight value) for
// ARGV[3] ms and returns {0}. Present, it changes nothing and returns {2}
// if it is for another file, {3} if in flight for this one, and {1,
// answer} if done for this one. A value that is not an entry, or is
// longer than ARGV[4] bytes, is an error.
var beginScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return {0}
end
local n = string.len(v)
if n < 65 or n > tonumber(ARGV[4]) then return redis.error_reply('ERR not an idempotency entry') end
if string.sub(v, 2, 65) ~= ARGV[1] then return {2} end
local state = string.sub(v, 1, 1)
if state == 'i' then return {3} end
if state == 'd' then return {1, string.sub(v, 66)} end
return redis.error_reply('ERR not an idempotency entry')
`)

// Begin implements idempotency.Store in one script that Redis runs
// alone. lease is rounded up to a whole millisecond; it must be positive.
func (s *Store) Begin(ctx context.Context, scope idempotency.Scope, h idempotency.Hash, lease time.Duration) (idempotency.State, idempotency.Record, error) {
	if err := checkScope(scope); err != nil {
		return 0, idempotency.Record{}, err
	}
	ms, err := millis("lease", lease)
	if err != nil {
		return 0, idempotency.Record{}, err
	}
	res, err := beginScript.Run(ctx, s.client, []string{keyFor(s.prefix, scope)},
		hashHex(h), inFlightEntry(h), ms, MaxEntry).Slice()
	if err != nil {
		return 0, idempotency.Record{}, fmt.Errorf("redisidempotency: %w", err)
	}
	found, _ := res[0].(int64)
	switch {
	case found == foundNone:
		return idempotency.Fresh, idempotency.Record{}, nil
	case found == foundOther:
		return idempotency.Mismatch, idempotency.Record{}, nil
	case found == foundInFlight:
		return idempotency.InFlight, idempotency.Record{}, nil
	case found == foundDone && len(res) == 2:
		js, _ := res[1].(string)
		rec, err := parseAnswer(h, js)
		if err != nil {
			return 0, idempotency.Record{}, err
		}
		return idempotency.Repeat, rec, nil
	}
	return 0, idempotency.Record{}, fmt.Errorf("redisidempotency: the begin script answered %v", res)
}

// finishScript sets the entry KEYS[1] to ARGV[2] (a done entry) for
// ARGV[3] ms if it is absent or in flight for the file hashing to ARGV[1],
// and returns 1; otherwise it changes nothing and returns 0.
var finishScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= 'i' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Finish implements idempotency.Store: the entry records rec for ttl
// (rounded up to a whole millisecond; it must be positive) if it was in
// flight for rec.Hash, or had expired and no other upload took the key.
// An entry finished already (by this upload or another), or in flight for
// another file, is left as it is, and Finish returns nil: the key belongs
// to the other upload.
func (s *Store) Finish(ctx context.Context, scope idempotency.Scope, rec idempotency.Record, ttl time.Duration) error {
	if err := checkScope(scope); err != nil {
		return err
	}
	ms, err := millis("ttl", ttl)
	if err != nil {
		return err
	}
	if rec.FileName == "" {
		return errors.New("redisidempotency: a record with no file name")
	}
	v, err := doneEntry(rec)
	if err != nil {
		return err
	}
	if err := finishScript.Run(ctx, s.client, []string{keyFor(s.prefix, scope)}, hashHex(rec.Hash), v, ms).Err(); err != nil {
		return fmt.Errorf("redisidempotency: %w", err)
	}
	return nil
}

// abortScript deletes the entry KEYS[1] if it is in flight and, with
// ARGV[1] not empty, for the file hashing to ARGV[1]. It returns 1 if it
// did.
var abortScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, 1) ~= 'i' then return 0 end
if ARGV[1] ~= '' and string.sub(v, 2) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Abort implements idempotency.Store: it deletes the entry only if it is
// in flight for the file hashing to h; one in flight for another file
// (begun after this one's lease ran out), or finished, is kept.
func (s *Store) Abort(ctx context.Context, scope idempotency.Scope, h idempotency.Hash) error {
	return s.abort(ctx, scope, hashHex(h))
}

func (s *Store) abort(ctx context.Context, scope idempotency.Scope, hash string) error {
	if err := checkScope(scope); err != nil {
		return err
	}
	if err := abortScript.Run(ctx, s.client, []string{keyFor(s.prefix, scope)}, hash).Err(); err != nil {
		return fmt.Errorf("redisidempotency: %w", err)
	}
	return nil
}

// checkScope refuses a key the handler would not take: empty, or longer
// than idempotency.MaxKey.
func checkScope(scope idempotency.Scope) error {
	if scope.Key == "" || len(scope.Key) > idempotency.MaxKey {
		return fmt.Errorf("redisidempotency: an Idempotency-Key must be 1 to %d bytes, not %d", idempotency.MaxKey, len(scope.Key))
	}
	return nil
}

// millis is d in whole milliseconds, rounded up, as PX takes it; what
// names d in the error if d is not positive.
func millis(what string, d time.Duration) (string, error) {
	if d <= 0 {
		return "", fmt.Errorf("redisidempotency: a %s of %v: it must be positive", what, d)
	}
	return strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10), nil
}

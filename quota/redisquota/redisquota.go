// Package redisquota is a quota.Shared ledger kept in Redis, so that
// several ccfs nodes behind a balancer hold each VDN to one quota between
// them. A claim is one Lua script, a check-and-add that Redis runs alone,
// so uploads racing on any nodes at the edge of a quota can never
// together pass it.
//
// Three keys hold the ledger: a hash of bytes and a hash of files, both
// by VDN, and a marker saying the counts were taken from the store. The
// first node to start counts the store and sets all three at once
// (quota.Load); a node that starts later finds the marker and keeps the
// counts. If Redis loses the keys (a restart without persistence), claims
// fail with quota.ErrUncounted instead of checking quotas against a blank
// count, until a node counts again (quota.KeepCounted, or "ccfs usage
// --reconcile").
//
// It is a module of its own, so that a user of the handler who keeps the
// in-memory ledger never downloads a Redis client.
package redisquota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/quota"
)

// DefaultPrefix starts every key the ledger writes. Its braces are a
// Redis Cluster hash tag: the ledger's keys must be in one slot, since a
// script touches them together.
const DefaultPrefix = "{ccfs:quota}:"

// Ledger is a quota.Shared in Redis. It is safe for concurrent use, by
// any number of processes on one Redis.
type Ledger struct {
	client                redis.UniversalClient
	bytes, files, counted string
	// recount marks a recount under way; rbytes and rfiles are the claims
	// made since it began.
	recount, rbytes, rfiles string
	leases                  string // the claims of files not yet stored: name → "vdn size expiry"
	now                     func() time.Time
}

var (
	_ quota.Recounter = (*Ledger)(nil)
	_ quota.Leaser    = (*Ledger)(nil)
)

// Options configures New. A zero field means its default.
type Options struct {
	// Prefix starts every key. In a Redis Cluster it must hold a hash
	// tag, such as "{tenants-a}:". Default: DefaultPrefix.
	Prefix string
	// Now is the clock of the time recorded with a count. Default:
	// time.Now.
	Now func() time.Time
}

// New returns a Ledger on client.
func New(client redis.UniversalClient, opts Options) (*Ledger, error) {
	if client == nil {
		return nil, errors.New("redisquota: nil client")
	}
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	l := &Ledger{client: client, bytes: p + "bytes", files: p + "files", counted: p + "counted",
		recount: p + "recount", rbytes: p + "recount:bytes", rfiles: p + "recount:files", leases: p + "leases", now: opts.Now}
	if l.now == nil {
		l.now = time.Now
	}
	return l, nil
}

func (l *Ledger) keys() []string {
	return []string{l.bytes, l.files, l.counted, l.recount, l.rbytes, l.rfiles, l.leases}
}

// claimScript adds one file of ARGV[2] bytes to VDN ARGV[1] if it stays
// within ARGV[3] bytes and ARGV[4] files (0: no limit). It returns {1, bytes,
// files} if it did and {0, bytes, files} if not, with the VDN's usage as it
// found it (so a refusal says which limit refused it), and {-1} if the
// ledger holds no counts. During a recount it adds the
// claim to the recount's hashes too. With ARGV[5] (a file's name) it
// holds the claim as a lease, ARGV[6] ("vdn size expiry"). Sizes go to HINCRBY as the
// strings Go wrote, so they stay exact 64-bit integers; the comparisons
// are Lua's doubles, exact below 2^53 bytes (8 PiB).
var claimScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end
local size, maxBytes, maxFiles = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rawBytes = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
local rawFiles = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
local bytes, files = tonumber(rawBytes), tonumber(rawFiles)
if (maxBytes > 0 and bytes + size > maxBytes) or (maxFiles > 0 and files + 1 > maxFiles) then return {0, rawBytes, rawFiles} end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('HINCRBY', KEYS[5], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[6], ARGV[1], 1)
end
if ARGV[5] then redis.call('HSET', KEYS[7], ARGV[5], ARGV[6]) end
return {1, rawBytes, rawFiles}
`)

// Claim implements quota.Ledger. It returns an error wrapping
// quota.ErrUncounted while the ledger holds no counts, and one naming
// Redis when Redis cannot be asked: the handler then refuses the upload
// (a storage failure), as a quota that cannot be checked must.
func (l *Ledger) Claim(ctx context.Context, vdn int, size int64, lim quota.Limit) (quota.Usage, bool, error) {
	return l.claim(ctx, vdn, size, lim)
}

// claim runs claimScript, with lease (a name and its lease) if any.
func (l *Ledger) claim(ctx context.Context, vdn int, size int64, lim quota.Limit, lease ...any) (quota.Usage, bool, error) {
	args := append([]any{strconv.Itoa(vdn), strconv.FormatInt(size, 10),
		strconv.FormatInt(lim.Bytes, 10), strconv.FormatInt(lim.Files, 10)}, lease...)
	res, err := claimScript.Run(ctx, l.client, l.keys(), args...).Slice()
	if err != nil {
		return quota.Usage{}, false, fmt.Errorf("redisquota: %w", err)
	}
	var n [3]int64
	for i := range min(len(res), 3) {
		switch v := res[i].(type) {
		case int64:
			n[i] = v
		case string: // a count as HGET gave it: exact, past 2^53 too
			if n[i], err = strconv.ParseInt(v, 10, 64); err != nil {
				return quota.Usage{}, false, fmt.Errorf("redisquota: VDN %d's usage is %q, not a number", vdn, v)
			}
		}
	}
	switch {
	case len(res) == 0:
		return quota.Usage{}, false, errors.New("redisquota: the claim script answered nothing")
	case n[0] < 0:
		return quota.Usage{}, false, fmt.Errorf("redisquota: %w: no node has counted it (yet, or since Redis lost it)", quota.ErrUncounted)
	}
	return quota.Usage{Bytes: n[1], Files: n[2]}, n[0] == 1, nil
}

// releaseScript takes one file of ARGV[2] bytes (given negative) off VDN
// ARGV[1], never below zero; a VDN left with no file leaves both hashes.
// With no counts it does nothing: the next count will see the store.
var releaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
local bytes = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
local files = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if files <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
elseif bytes < 0 then
  redis.call('HSET', KEYS[1], ARGV[1], 0)
end
return 1
`)

// Release implements quota.Ledger.
func (l *Ledger) Release(ctx context.Context, vdn int, size int64) error {
	if err := releaseScript.Run(ctx, l.client, l.keys(), strconv.Itoa(vdn), strconv.FormatInt(-size, 10)).Err(); err != nil {
		return fmt.Errorf("redisquota: %w", err)
	}
	return nil
}

// Usage implements quota.Ledger.
func (l *Ledger) Usage(ctx context.Context, vdn int) (quota.Usage, error) {
	field := strconv.Itoa(vdn)
	var bytes, files *redis.StringCmd
	if _, err := l.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		bytes, files = p.HGet(ctx, l.bytes, field), p.HGet(ctx, l.files, field)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return quota.Usage{}, fmt.Errorf("redisquota: %w", err)
	}
	var u quota.Usage
	var err error
	if u.Bytes, err = intOrZero(bytes); err == nil {
		u.Files, err = intOrZero(files)
	}
	return u, err
}

func intOrZero(c *redis.StringCmd) (int64, error) {
	n, err := c.Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisquota: %w", err)
	}
	return n, nil
}

// All returns the usage of every VDN that keeps a file, and when the
// counts were last taken from the store (the zero time, with no error,
// if they never were or were lost).
func (l *Ledger) All(ctx context.Context) (map[int]quota.Usage, time.Time, error) {
	var bytes, files *redis.MapStringStringCmd
	var counted *redis.StringCmd
	if _, err := l.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		bytes, files, counted = p.HGetAll(ctx, l.bytes), p.HGetAll(ctx, l.files), p.Get(ctx, l.counted)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, time.Time{}, fmt.Errorf("redisquota: %w", err)
	}
	var at time.Time
	if ms, err := counted.Int64(); err == nil {
		at = time.UnixMilli(ms)
	}
	all := map[int]quota.Usage{}
	for field, b := range bytes.Val() {
		vdn, err1 := strconv.Atoi(field)
		n, err2 := strconv.ParseInt(b, 10, 64)
		f, err3 := strconv.ParseInt(files.Val()[field], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, at, fmt.Errorf("redisquota: %s holds %q for %q: %w", l.bytes, b, field, err)
		}
		all[vdn] = quota.Usage{Bytes: n, Files: f}
	}
	return all, at, nil
}

// setScript replaces every count with the triples (VDN, bytes, files)
// from ARGV[3] on, and records ARGV[2] (the time, in Unix milliseconds)
// as the marker; with ARGV[1] = "1", only if there is no marker yet.
var setScript = redis.NewScript(`
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+2])
end
redis.call('SET', KEYS[3], ARGV[2])
return 1
`)

// Set implements quota.Ledger: it replaces every VDN's counts at once,
// whatever other nodes counted. This is a reconcile; at a start,
// quota.Load calls SetIfUncounted instead.
func (l *Ledger) Set(ctx context.Context, counts map[int]quota.Usage) error {
	_, err := l.set(ctx, false, counts)
	return err
}

// SetIfUncounted implements quota.Shared.
func (l *Ledger) SetIfUncounted(ctx context.Context, counts map[int]quota.Usage) (bool, error) {
	return l.set(ctx, true, counts)
}

func (l *Ledger) set(ctx context.Context, ifUncounted bool, counts map[int]quota.Usage) (bool, error) {
	only := "0"
	if ifUncounted {
		only = "1"
	}
	args := make([]any, 0, 2+3*len(counts))
	args = append(args, only, l.now().UnixMilli())
	for vdn, u := range counts {
		if u.Files > 0 {
			args = append(args, vdn, u.Bytes, u.Files)
		}
	}
	n, err := setScript.Run(ctx, l.client, l.keys(), args...).Int()
	if err != nil {
		return false, fmt.Errorf("redisquota: %w", err)
	}
	return n == 1, nil
}

// recountFor bounds a recount: one still under way after it is taken
// for abandoned (its process died), and its EndRecount fails.
const recountFor = time.Hour

// BeginRecount implements quota.Recounter: from now on every claim is
// recorded beside the counts, for at most an hour.
func (l *Ledger) BeginRecount(ctx context.Context) error {
	if _, err := l.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, l.rbytes, l.rfiles)
		p.Set(ctx, l.recount, l.now().UnixMilli(), recountFor)
		return nil
	}); err != nil {
		return fmt.Errorf("redisquota: %w", err)
	}
	return nil
}

// endRecountScript is setScript's replacement of the counts by the
// triples from ARGV[2] on, plus the claims recorded since BeginRecount,
// plus the leases held (files claimed before the count whose storing it
// may have missed; a lease ends by taking its claim off or keeping it);
// it ends the recount. It returns 0, and changes nothing, if no recount
// is under way (it expired, or another ended it).
var endRecountScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+2])
end
local during = redis.call('HGETALL', KEYS[5])
for i = 1, #during, 2 do redis.call('HINCRBY', KEYS[1], during[i], during[i+1]) end
during = redis.call('HGETALL', KEYS[6])
for i = 1, #during, 2 do redis.call('HINCRBY', KEYS[2], during[i], during[i+1]) end
for _, lease in ipairs(redis.call('HVALS', KEYS[7])) do
  local vdn, size = string.match(lease, '^(%d+) (%d+) ')
  redis.call('HINCRBY', KEYS[1], vdn, size)
  redis.call('HINCRBY', KEYS[2], vdn, 1)
end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[3], ARGV[1])
return 1
`)

// EndRecount implements quota.Recounter.
func (l *Ledger) EndRecount(ctx context.Context, counts map[int]quota.Usage) error {
	args := make([]any, 0, 1+3*len(counts))
	args = append(args, l.now().UnixMilli())
	for vdn, u := range counts {
		if u.Files > 0 {
			args = append(args, vdn, u.Bytes, u.Files)
		}
	}
	n, err := endRecountScript.Run(ctx, l.client, l.keys(), args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("redisquota: %w", err)
	case n == 0:
		return errors.New("redisquota: the recount ended before its count did (it took over an hour, or another recount ended it): count again")
	}
	return nil
}

// ClaimLease implements quota.Leaser.
func (l *Ledger) ClaimLease(ctx context.Context, vdn int, name string, size int64, lim quota.Limit, ttl time.Duration) (quota.Usage, bool, error) {
	return l.claim(ctx, vdn, size, lim, name, fmt.Sprintf("%d %d %d", vdn, size, l.now().Add(ttl).UnixMilli()))
}

// commitScript ends the lease ARGV[1]; a lease already gone (reaped) has
// its file of ARGV[3] bytes claimed again for VDN ARGV[2], if the ledger
// holds counts.
var commitScript = redis.NewScript(`
if redis.call('HDEL', KEYS[7], ARGV[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 0
`)

// Commit implements quota.Leaser.
func (l *Ledger) Commit(ctx context.Context, vdn int, name string, size int64) error {
	if err := commitScript.Run(ctx, l.client, l.keys(), name, strconv.Itoa(vdn), strconv.FormatInt(size, 10)).Err(); err != nil {
		return fmt.Errorf("redisquota: %w", err)
	}
	return nil
}

// abandonScript ends the lease ARGV[1] and takes its claim off, as
// releaseScript does, if the lease is there.
var abandonScript = redis.NewScript(`
local lease = redis.call('HGET', KEYS[7], ARGV[1])
if not lease then return 0 end
redis.call('HDEL', KEYS[7], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 0 then return 1 end
local vdn, size = string.match(lease, '^(%d+) (%d+) ')
local bytes = redis.call('HINCRBY', KEYS[1], vdn, -tonumber(size))
local files = redis.call('HINCRBY', KEYS[2], vdn, -1)
if files <= 0 then
  redis.call('HDEL', KEYS[1], vdn)
  redis.call('HDEL', KEYS[2], vdn)
elseif bytes < 0 then
  redis.call('HSET', KEYS[1], vdn, 0)
end
return 1
`)

// Abandon implements quota.Leaser.
func (l *Ledger) Abandon(ctx context.Context, name string) error {
	if err := abandonScript.Run(ctx, l.client, l.keys(), name).Err(); err != nil {
		return fmt.Errorf("redisquota: %w", err)
	}
	return nil
}

// Expired implements quota.Leaser.
func (l *Ledger) Expired(ctx context.Context) ([]quota.Lease, error) {
	all, err := l.client.HGetAll(ctx, l.leases).Result()
	if err != nil {
		return nil, fmt.Errorf("redisquota: %w", err)
	}
	now := l.now().UnixMilli()
	var expired []quota.Lease
	for name, v := range all {
		var ls quota.Lease
		var until int64
		if _, err := fmt.Sscanf(v, "%d %d %d", &ls.VDN, &ls.Size, &until); err != nil || until > now {
			continue
		}
		ls.Name = name
		expired = append(expired, ls)
	}
	return expired, nil
}

// Counted implements quota.Shared.
func (l *Ledger) Counted(ctx context.Context) (bool, error) {
	n, err := l.client.Exists(ctx, l.counted).Result()
	if err != nil {
		return false, fmt.Errorf("redisquota: %w", err)
	}
	return n == 1, nil
}

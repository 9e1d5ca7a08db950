// Package redisidempotency is an idempotency.Store kept in Redis, so that
// several ccfs nodes behind a balancer share the uploads made under an
// Idempotency-Key (a ccfs extension): a retry that lands on another node
// than the first attempt is answered the first file's name there too, and
// stores nothing more.
//
// It is a module of its own, so that a user of the handler who keeps the
// in-memory Store never downloads a Redis client.
//
// # Keys
//
// One Redis string per Idempotency-Key: Options.Prefix (DefaultPrefix,
// "{ccfs:idempotency}:") followed by the SHA-256, in hex, of the key's
// scope (the access key, the VDN and the key's text, each delimited). No
// text a client sends ever becomes part of a Redis key, and every key is
// the prefix plus 64 characters, however long the header was. The value
// is one byte of state ('i' in flight, 'd' done), the file's SHA-256 in
// hex, and for a finished upload the JSON of its answer
// ({"n":fileName,"l":[locationIds]}); at most MaxEntry bytes.
//
// The braces of DefaultPrefix are a Redis Cluster hash tag, as the other
// ccfs modules' prefixes hold one: all the keys live in one slot. Each
// script here touches one key only, so in a cluster a prefix without
// braces (Options.Prefix) spreads the keys over every shard instead.
//
// # Guarantees
//
//   - Begin is one Lua script, which Redis runs alone: of any number of
//     Begins of one scope on any nodes at once, exactly one finds the key
//     free (idempotency.Fresh) and sets the in-flight entry, with an
//     expiry of the lease (SET … PX); the others find it and change
//     nothing (idempotency.InFlight for the same file,
//     idempotency.Mismatch for another).
//   - Finish replaces the in-flight entry with the finished upload's
//     record, expiring ttl later, only if the entry is still in flight
//     for the same file (or gone: the lease ran out and no other upload
//     took the key, so the record is kept for a retry to find). An entry
//     that is finished, or in flight for another file, is left as it is.
//   - Abort deletes the entry only while it is in flight for the given
//     file, never a finished upload's record.
//   - Every entry expires: the in-flight one after its lease (a node that
//     died mid-upload holds a key for idempotency.InFlightLease at most),
//     the record after its TTL (idempotency.DefaultTTL by default). The
//     expiries are Redis's own (PX), so the nodes' clocks play no part.
//   - A Redis that cannot be reached, or refuses a write, makes each call
//     return an error: the handler then refuses the upload rather than
//     storing it unguarded.
//
// # What Redis must be
//
// The memory these keys take is bounded by their expiries: at most one
// entry per key used within the TTL. A typical finished entry (no pool)
// costs Redis about 370 bytes, twice a replay cache's entry
// (BenchmarkEntryMemory measures both), so 10 uploads a second with a key,
// remembered 24 h, hold about 864,000 entries, some 320 MB. Redis's
// maxmemory must leave room for that many, beside what the other ccfs
// modules keep there.
//
// An entry must not be dropped before it expires: a retry whose record
// was dropped stores a second copy, and a dropped in-flight entry lets a
// concurrent retry in, which is exactly what the keys are there to
// prevent. So maxmemory-policy must be noeviction (Redis's default, which
// events/redisevents and quota/redisquota need too): a full Redis then
// refuses the in-flight entry's write, Begin fails, and the upload is
// refused; nothing already recorded is forgotten. Every entry carries an
// expiry, so under a volatile-* policy they are the first keys evicted,
// and under an allkeys-* policy they can be; either lets a retry store
// twice. Likewise a failover to a replica that had not received an entry
// (replication is asynchronous), or a restart without persistence, forgets
// it.
package redisidempotency

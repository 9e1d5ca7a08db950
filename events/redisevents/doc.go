// Package redisevents keeps ccfs's events in Redis, for nodes that share
// them: an events.Sink whose intents any live node settles, and an
// events.Queue per endpoint (a Redis Stream read through a consumer
// group), so that any live node delivers an event and the events a node
// was delivering when it died are taken over by another (XAUTOCLAIM).
// It is what "ccfs serve --redis" records events in. It is a module of
// its own, so that a user of the handler who keeps events on the local
// disk (package events/outbox) never downloads a Redis client.
//
// # Keys
//
// Every key starts with Options.Prefix (DefaultPrefix, "{ccfs:events}:";
// its braces are a Redis Cluster hash tag, since one script touches the
// intents and every endpoint's stream together, which a cluster allows
// only within one slot):
//
//	intents     hash: event ID → the prepared event's JSON form
//	due         sorted set: event ID → the intent's deadline, Unix ms
//	q:<key>     stream per endpoint: the events not yet delivered there,
//	            one entry each (field "e": the event's JSON form), read
//	            through the consumer group "ccfs"
//	dead:<key>  stream per endpoint: its dead letters (fields "ref", the
//	            entry's ID in q:<key>; "reason"; "time", Unix ms; "e")
//
// # Guarantees
//
//   - An event is recorded in two steps around its change (events.Sink):
//     Prepare writes the intent and its deadline in one transaction
//     (MULTI); Intent.Commit is one Lua script that, if the intent is
//     still there, appends the event to every endpoint's stream and then
//     removes the intent. A script runs alone, so the intent becomes
//     queued events at once, or stays an intent.
//   - An intent left open by a node that died (neither committed nor
//     abandoned) is settled once its deadline passes (Options.IntentTTL
//     after Prepare) by any node's reaper (Journal.Run), with the
//     Resolver: committed with the event it returns, or abandoned. Two
//     reapers settling one intent at once settle it once: the script that
//     removes the intent decides, and the other does nothing. A node's
//     Run pushes the deadlines of the intents it holds open further on
//     while it lives, so a slow change (a large upload) is never settled
//     under its feet; and it commits again, at each turn, the events
//     whose Commit failed (Redis away for a moment), rather than leave
//     them to a reaper's Resolve, which a delete since would mislead. Nodes' clocks (Options.Now) must agree to well
//     within IntentTTL.
//   - Delivered at least once. An entry stays in its stream until Ack
//     (XACK and XDEL in one MULTI) or Dead (moved to the dead letters by
//     one script), so a stream holds only what is undelivered. An entry
//     handed out by Next and neither settled nor held (Queue.Hold) for
//     Options.ClaimIdle is handed out again, by the next Next of any
//     node, this one included (XAUTOCLAIM): the events of a node that
//     died are delivered by the others. An event may thus be delivered
//     twice; a receiver drops repeats by the event's ID, which a
//     redelivery keeps.
//   - Each node is a consumer of the group, named by Options.Consumer
//     (by default unique to the process). Run deletes the consumers that
//     hold nothing and have been idle for ten ClaimIdle periods (the
//     nodes that stopped), in one script that leaves one holding
//     entries, so the group does not grow with every restart.
//   - Nothing dropped silently. A dead letter stays in dead:<key>, listed
//     by Queue.DeadLetters, until Queue.Redeliver puts it back.
//
// What Redis must be for these to hold: a write is durable only as Redis
// makes it. With "appendonly yes" and "appendfsync always", nothing a
// call here returned success for is lost across a Redis crash; with
// appendfsync everysec (Redis's default with appendonly) up to about a
// second of it may be, and with RDB snapshots alone everything since the
// last snapshot. A failover to a replica may lose the writes the replica
// had not received (replication is asynchronous). Redis must not evict
// these keys: "maxmemory-policy noeviction" (the default), so that a full
// Redis refuses new events (an upload is then refused) rather than
// dropping queued ones.
//
// # Order
//
// A stream keeps its entries in the order they were committed, and Next
// hands them out oldest first. No order is promised across nodes: several
// nodes deliver from one stream at once, and an entry taken over from a
// node that died, or retried, is delivered after newer ones. A receiver
// must not rely on order, even for one VDN.
//
// # Memory
//
// An event's JSON form is at most MaxEvent bytes. A Queue hands out at
// most MaxBatch entries a call, and lists at most MaxList; the node holds
// nothing else per event but the IDs of the intents it has open (one per
// change under way). Redis holds every undelivered event and every dead
// letter.
package redisevents

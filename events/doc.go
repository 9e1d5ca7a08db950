// Package events defines the events ccfs emits, and how a delivery of
// one is signed.
//
// An Event tells another system (an IVR flow, a catalogue, an audit
// trail) that a prompt was uploaded, deleted or removed by retention,
// or, for those who opt in, that a recording was downloaded. Its JSON
// form is fixed: field names, their order and the time's format are
// pinned by tests, so a receiver may rely on them.
//
// Deliveries are signed per the Standard Webhooks specification
// (https://www.standardwebhooks.com/): each carries the headers
// webhook-id (the event's ID), webhook-timestamp and webhook-signature,
// an HMAC-SHA256 of the three with a secret shared with the receiver
// (a Secret, written "whsec_" + base64). Sign makes the signature;
// Verify is what a receiver written in Go calls to trust a delivery.
//
// Delivery is at least once: a receiver may see an event more than
// once, and drops the repeats by the event's ID, which is unique.
package events

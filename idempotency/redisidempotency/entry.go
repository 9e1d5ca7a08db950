package redisidempotency

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/ccfs-go/ccfs/idempotency"
)

// MaxEntry is the longest value an entry may hold, in bytes: a finished
// upload's record longer than this is refused by Finish, and a value
// longer than this found in Redis is an error, never read into memory.
const MaxEntry = 16 << 10

// The first byte of an entry: its state.
const (
	stateInFlight = 'i'
	stateDone     = 'd'
)

// hashHex is h in lower-case hex, as entries hold it.
func hashHex(h idempotency.Hash) string { return hex.EncodeToString(h[:]) }

// answer is a finished upload's record less its hash, as an entry holds
// it after the state and the hash.
type answer struct {
	FileName    string   `json:"n"`
	LocationIDs []string `json:"l,omitempty"`
}

// inFlightEntry is the value of an entry in flight for h.
func inFlightEntry(h idempotency.Hash) string { return string(stateInFlight) + hashHex(h) }

// doneEntry is the value of an entry recording rec, or an error if it
// would be longer than MaxEntry.
func doneEntry(rec idempotency.Record) (string, error) {
	js, err := json.Marshal(answer{FileName: rec.FileName, LocationIDs: rec.LocationIDs})
	if err != nil {
		return "", err
	}
	v := string(stateDone) + hashHex(rec.Hash) + string(js)
	if len(v) > MaxEntry {
		return "", fmt.Errorf("redisidempotency: the record of %q is %d bytes, more than MaxEntry (%d)", rec.FileName, len(v), MaxEntry)
	}
	return v, nil
}

// parseAnswer reads the JSON part of a finished entry (what Begin's
// script returns of it) back into a Record for h.
func parseAnswer(h idempotency.Hash, js string) (idempotency.Record, error) {
	var a answer
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		return idempotency.Record{}, fmt.Errorf("redisidempotency: a finished entry holds no answer: %w", err)
	}
	if a.FileName == "" {
		return idempotency.Record{}, fmt.Errorf("redisidempotency: a finished entry holds no file name")
	}
	return idempotency.Record{Hash: h, FileName: a.FileName, LocationIDs: a.LocationIDs}, nil
}

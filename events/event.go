package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A Type names what happened.
type Type string

// The event types.
const (
	// PromptUploaded: a prompt was stored, by an upload that was answered
	// with success.
	PromptUploaded Type = "prompt.uploaded"
	// PromptDeleted: a prompt was deleted (in a CTI pool, perhaps only the
	// copies at LocationIDs) by a delete that was answered with success.
	PromptDeleted Type = "prompt.deleted"
	// PromptExpired: retention removed a prompt older than its VDN's age.
	PromptExpired Type = "prompt.expired"
	// RecordingDownloaded: a file was downloaded. Opt-in, for audit.
	RecordingDownloaded Type = "recording.downloaded"
)

// Types lists the event types, in the order above.
func Types() []Type {
	return []Type{PromptUploaded, PromptDeleted, PromptExpired, RecordingDownloaded}
}

// Known reports whether t is one of the types this package defines.
func (t Type) Known() bool {
	switch t {
	case PromptUploaded, PromptDeleted, PromptExpired, RecordingDownloaded:
		return true
	}
	return false
}

// TimeFormat is how an event's time is written: RFC 3339, in UTC, with
// milliseconds, always three digits ("2026-12-05T19:02:33.120Z").
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// An Event is one thing that happened to a file. Its JSON form is an
// object with these fields, in this order:
//
//	id             string   always   ID, unique (see NewID)
//	type           string   always   Type
//	time           string   always   Time, as TimeFormat
//	vdn            number   always   VDN
//	fileName       string   always   FileName
//	locationIds    [string] if any   LocationIDs
//	size           number   always   Size
//	codec          string   uploads  Codec
//	convertedFrom  string   if any   ConvertedFrom
//	accessKey      string   if any   AccessKey
//	requestId      string   if any   RequestID
//	operator       string   if any   Operator
//
// Fields may be added in later versions, never renamed or removed; a
// receiver ignores fields it does not know, as UnmarshalJSON does.
type Event struct {
	// ID identifies the event: a receiver that sees the same ID twice
	// has seen the same event twice (delivery is at least once). It is
	// the delivery's webhook-id.
	ID string
	// Type says what happened.
	Type Type
	// Time is when it happened; written in UTC to the millisecond.
	Time time.Time
	// VDN is the file's VDN.
	VDN int
	// FileName is the file as an upload's answer names it, root prefix
	// included: "Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav".
	FileName string
	// LocationIDs are the CTI pool locations concerned: those holding
	// the file for an upload, those it was deleted from for a delete.
	// Empty outside a pool.
	LocationIDs []string
	// Size is the file's size in bytes as stored (converted, if it was).
	Size int64
	// Codec is the stored file's codec, as wavcheck.ParseCodec reads
	// it: "alaw", "mulaw" or "pcm8". Set for an upload, which read the
	// file; empty (and left out of the JSON form) for the other types,
	// which do not read it.
	Codec string
	// ConvertedFrom, for a file converted on upload, describes it as
	// uploaded, as convert.Source's From does: "PCM 16-bit 22050 Hz
	// stereo". Empty for a file stored as it was sent.
	ConvertedFrom string
	// AccessKey is the verified access key of the request that did it;
	// empty for an expiry, which no request did.
	AccessKey string
	// RequestID is the request's ID, as in its log line and X-Request-ID
	// header; empty for an expiry.
	RequestID string
	// Operator, for a prompt an operator deleted in the console (package
	// console), is the operator's name; AccessKey is then empty, since no
	// key did it. Empty for every other event.
	Operator string
}

// New returns an event of type t happening at now (the server's clock,
// Options.Now): its ID made by NewID, its Time now in UTC cut to the
// millisecond, so that the JSON form says the same time the ID holds.
func New(t Type, now time.Time) Event {
	now = now.UTC().Truncate(time.Millisecond)
	return Event{ID: NewID(now), Type: t, Time: now}
}

// wire is an Event's JSON form: the field order is the declaration's.
type wire struct {
	ID            string   `json:"id"`
	Type          Type     `json:"type"`
	Time          string   `json:"time"`
	VDN           int      `json:"vdn"`
	FileName      string   `json:"fileName"`
	LocationIDs   []string `json:"locationIds,omitempty"`
	Size          int64    `json:"size"`
	Codec         string   `json:"codec,omitempty"`
	ConvertedFrom string   `json:"convertedFrom,omitempty"`
	AccessKey     string   `json:"accessKey,omitempty"`
	RequestID     string   `json:"requestId,omitempty"`
	Operator      string   `json:"operator,omitempty"`
}

// MarshalJSON writes e's JSON form, compact, in the fields' fixed
// order. It does not check e; Validate does.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{
		ID:            e.ID,
		Type:          e.Type,
		Time:          e.Time.UTC().Format(TimeFormat),
		VDN:           e.VDN,
		FileName:      e.FileName,
		LocationIDs:   e.LocationIDs,
		Size:          e.Size,
		Codec:         e.Codec,
		ConvertedFrom: e.ConvertedFrom,
		AccessKey:     e.AccessKey,
		RequestID:     e.RequestID,
		Operator:      e.Operator,
	})
}

// UnmarshalJSON reads an event's JSON form. It refuses a form without
// an id, a type or a time, or with a time that is not RFC 3339.
//
// It accepts a type this package does not know (see Type.Known) and
// fields it does not know: a receiver built with this version keeps
// reading the events of a later one, which may add types and fields,
// and acknowledges an event it has no use for rather than refusing it
// (a refused delivery is retried, then set aside as a dead letter).
func (e *Event) UnmarshalJSON(data []byte) error {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	switch {
	case w.ID == "":
		return errors.New("events: event has no id")
	case w.Type == "":
		return fmt.Errorf("events: event %s has no type", w.ID)
	case w.Time == "":
		return fmt.Errorf("events: event %s has no time", w.ID)
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return fmt.Errorf("events: event %s: time %q is not RFC 3339", w.ID, w.Time)
	}
	*e = Event{
		ID:            w.ID,
		Type:          w.Type,
		Time:          t.UTC(),
		VDN:           w.VDN,
		FileName:      w.FileName,
		LocationIDs:   w.LocationIDs,
		Size:          w.Size,
		Codec:         w.Codec,
		ConvertedFrom: w.ConvertedFrom,
		AccessKey:     w.AccessKey,
		RequestID:     w.RequestID,
		Operator:      w.Operator,
	}
	return nil
}

// Validate reports what is wrong with e as an event to emit, or nil: an
// ID of NewID's form, a known Type, a Time, a VDN, a FileName, a Size
// not negative, a Codec for an upload; and an AccessKey for every type but
// PromptExpired, which has none, and a PromptDeleted an Operator did
// (which has an Operator instead).
func (e Event) Validate() error {
	var errs []error
	if !ValidID(e.ID) {
		errs = append(errs, fmt.Errorf("id %q is not an event ID", e.ID))
	}
	if !e.Type.Known() {
		errs = append(errs, fmt.Errorf("type %q is not an event type", e.Type))
	}
	if e.Time.IsZero() {
		errs = append(errs, errors.New("no time"))
	}
	if e.VDN <= 0 {
		errs = append(errs, fmt.Errorf("vdn %d", e.VDN))
	}
	if e.FileName == "" {
		errs = append(errs, errors.New("no fileName"))
	}
	if e.Size < 0 {
		errs = append(errs, fmt.Errorf("size %d", e.Size))
	}
	if e.Type == PromptUploaded && e.Codec == "" {
		errs = append(errs, errors.New("an upload has no codec"))
	}
	if e.Type == PromptExpired && e.AccessKey != "" {
		errs = append(errs, errors.New("an expiry has no accessKey"))
	} else if e.Type != PromptExpired && e.Type.Known() && e.AccessKey == "" && (e.Type != PromptDeleted || e.Operator == "") {
		errs = append(errs, fmt.Errorf("%s has no accessKey", e.Type))
	}
	if e.Operator != "" && (e.Type != PromptDeleted || e.AccessKey != "") {
		errs = append(errs, fmt.Errorf("%s has an operator (only an operator's delete has one, and no accessKey)", e.Type))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events: invalid event: %w", err)
	}
	return nil
}

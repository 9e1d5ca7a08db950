package envelope

import "fmt"

// MaxFields is the most msgBody members Parse keeps.
const MaxFields = 8

// MaxFieldLen is the longest name of a msgBody member Parse keeps.
const MaxFieldLen = len(Scanner{}.key)

// A Body is what Parse found in a body.
type Body struct {
	// Version is request.version, HasVersion whether it was there (as a
	// string, not null), and VersionTooLong whether it was longer than
	// MaxVersionLen (Version then holds part of it).
	Version        string
	HasVersion     bool
	VersionTooLong bool

	// Fields holds the raw JSON value of each kept member, in the order
	// Parse was given their names: a slice of the body as written, nil
	// for a member that is absent.
	Fields [MaxFields][]byte

	// Late is the first fault inside msgBody (msgBody not an object, a
	// kept member given twice), or nil. It does not stop the scan, so
	// that a caller can rank request.version's faults before it.
	Late *Error
}

// Parse scans body, held whole, by the rules a streamed body is scanned
// by (see the package doc), and keeps the members of msgBody named in
// fields, at most MaxFields names of 1 to MaxFieldLen bytes. In such a
// body msgBody.data is a member like any other; a kept one given twice is
// refused like a repeated data key. The error is the body's first fault
// outside msgBody, an *Error.
func Parse(body []byte, fields ...string) (Body, error) {
	if len(fields) > MaxFields {
		panic(fmt.Sprintf("envelope: Parse keeps at most %d fields", MaxFields))
	}
	for _, f := range fields {
		if f == "" || len(f) > MaxFieldLen {
			panic(fmt.Sprintf("envelope: the field name %q is empty or longer than %d bytes", f, MaxFieldLen))
		}
	}
	s := Scanner{small: true, keep: fields}
	s.Write(body)
	err := s.Close()
	var b Body
	b.Version, b.HasVersion = s.Version()
	b.VersionTooLong = s.versionTooLong
	b.Late = s.late
	for i := range fields {
		if sp := s.spans[i]; sp.end > 0 {
			b.Fields[i] = body[sp.start:sp.end]
		}
	}
	return b, err
}

package wavcheck

import (
	"fmt"
	"strings"
)

// A StructureError says the bytes are not a well-formed WAV file: not RIFF
// WAVE, a chunk that does not fit, a missing or repeated chunk, a length
// that does not match. Offset is where in the file it was found.
type StructureError struct {
	Offset int64
	Reason string
}

// Error returns the reason.
func (e *StructureError) Error() string { return e.Reason }

// A FormatError says the file is a WAV file in a format CC-FS does not
// accept. Field names what is wrong ("codec", "channels", "sample rate",
// "block align", "byte rate").
type FormatError struct {
	Field string
	Msg   string
}

// Error returns the reason, such as "2 channels (stereo); need mono".
func (e *FormatError) Error() string { return e.Msg }

// A SizeError says the file is, or declares itself, larger than the limit.
type SizeError struct {
	Size  int64 // bytes declared or received
	Limit int64
}

// Error gives the size and the limit.
func (e *SizeError) Error() string {
	return fmt.Sprintf("file is %d bytes; the limit is %d bytes (%s)", e.Size, e.Limit, mb(e.Limit))
}

func mb(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.2f MB", float64(n)/(1<<20))
}

// Problems is every format problem of one file, as Inspect reports them.
// errors.As finds each of them.
type Problems []error

// Error joins the problems' messages with ". ".
func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, e := range p {
		s[i] = e.Error()
	}
	return strings.Join(s, ". ")
}

// Unwrap returns the problems.
func (p Problems) Unwrap() []error { return p }

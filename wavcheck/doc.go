// Package wavcheck decides whether bytes are a WAV file that CC-FS accepts
// for IVR prompts — 8 bit, 8000 Hz, 64 kbit/s, mono, in an allowed codec
// (A-law by default) — and when not, says why in words a chatbot developer
// can act on.
//
// A [Checker] checks a stream as it passes, in fixed memory and without
// seeking, and reports the first problem as soon as it is certain (a
// format refused for several reasons is one problem naming them all); a
// [Reader] does the same for a consumer that pulls, and returns io.EOF
// only for an accepted file.
// [Inspect] reads a whole file and lists every format problem at once.
//
// Every size a header declares is checked against what can still follow
// and against the size limit before anything is read into memory; the
// github.com/go-audio/wav decoder sees only a fmt chunk already bounded here.
package wavcheck

// Package envelope scans the JSON body of a CC-FS request as it streams,
//
//	{"request": {"version": "2.0"}, "msgBody": {"data": "<base64>"}}
//
// in fixed memory: it checks the whole body is one valid JSON object (full
// string syntax, escapes, UTF-8, numbers, literals, bounded nesting), keeps
// request.version, and passes the unescaped content of msgBody.data to a
// writer as it arrives. Keys may come in any order; unknown fields are
// checked and skipped; a repeated request, msgBody, version or data key is
// refused.
//
// The one thing left unchecked is the raw content of msgBody.data, which is
// passed on in runs without a look at each byte: the base64 decoder it
// feeds (internal/b64) refuses every byte outside its alphabet, line
// breaks and other control characters included.
//
// Parse holds a small body (deleteFile's, downloadFile's), read whole, to
// the same rules with the same scanner, and hands back the raw values of
// the msgBody members it is asked for instead of streaming data.
package envelope

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays accepted.
const MaxDepth = 64

// MaxVersionLen is the longest version string kept; a longer one is
// reported by VersionTooLong.
const MaxVersionLen = 32

// An Error says what is wrong with the body. Offset is the byte where it
// was found.
type Error struct {
	Offset int64
	Msg    string

	// Kind says which rule the body broke, and Key, for Twice and
	// WrongType, the member it broke it with (request, msgBody, version,
	// data, or a member Parse keeps), for a caller that words its answer
	// itself.
	Kind Kind
	Key  string
}

// A Kind is a rule a body can break.
type Kind uint8

const (
	// Syntax: the body is not JSON, ends early, or nests deeper than
	// MaxDepth.
	Syntax Kind = iota
	// NotObject: the body is a JSON value other than an object.
	NotObject
	// Trailing: the body goes on after its object.
	Trailing
	// Twice: Key is given twice in its object.
	Twice
	// WrongType: Key's value is of the wrong type (request and msgBody
	// are objects, version and data strings).
	WrongType
)

// Error says what is wrong and at which byte.
func (e *Error) Error() string { return fmt.Sprintf("%s (at byte %d)", e.Msg, e.Offset) }

type state uint8

const (
	stValue      state = iota // expecting a value
	stKeyOrEnd                // after '{': a key or '}'
	stKey                     // after ',' in an object: a key
	stColon                   // after a key
	stAfter                   // after a value: ',' or the container's end
	stValueOrEnd              // after '[': a value or ']'
	stString                  // inside a string
	stNumber                  // inside a number
	stLiteral                 // inside true, false or null
	stDone                    // after the top-level object
)

// role says what a value or container is.
type role uint8

const (
	roleOther   role = iota
	roleTop          // the top-level object
	roleRequest      // the "request" object
	roleMsgBody      // the "msgBody" object
	roleVersion      // the request.version string
	roleData         // the msgBody.data string
	roleKept         // a msgBody member Parse keeps
	roleKey          // an object key
)

// number grammar states
const (
	numSign  = iota // after '-'
	numZero         // after a leading 0
	numInt          // in integer digits
	numDot          // after '.'
	numFrac         // in fraction digits
	numE            // after 'e'
	numESign        // after the exponent sign
	numExp          // in exponent digits
)

// A Scanner scans one body. Write the body to it, then call Close.
type Scanner struct {
	// Data receives the unescaped bytes of msgBody.data.
	Data io.Writer

	err   error
	off   int64
	state state
	role  role // of the value being read (stValue, stString, …)

	stack [MaxDepth]frame
	depth int

	// strings
	esc     int // 0: none; 1: after '\'; 2..5: in \uXXXX, digits read = esc-2
	uval    rune
	hiSurr  rune // a high surrogate waiting for its pair
	utf     [utf8.UTFMax]byte
	utfN    int
	key     [16]byte
	keyN    int // -1 when too long to match
	lit     string
	litN    int
	num     int
	pending role // the role the key just read gives the next value

	version        [MaxVersionLen]byte
	versionN       int
	versionTooLong bool
	hasVersion     bool
	hasData        bool
	dataLen        int64
	dataRune       [utf8.UTFMax]byte // one character of data, for Data

	// Parse's: the msgBody members kept (when small), where each one's
	// value lies in the body, which one is being read, and the first
	// fault inside msgBody.
	small bool
	keep  []string
	spans [MaxFields]span
	kept  int
	late  *Error
}

// span is where a kept value lies in the body: end is 0 until it is read.
type span struct{ start, end int64 }

type frame struct {
	array bool
	role  role
	seen  uint16 // special keys seen in this object
}

const (
	seenRequest = 1 << iota
	seenMsgBody
	seenVersion
	seenData
	seenKept // the first kept member; the others follow it
)

// Version returns request.version and whether it was present (as a string,
// not null). VersionTooLong says if it was longer than MaxVersionLen.
func (s *Scanner) Version() (string, bool) {
	return string(s.version[:s.versionN]), s.hasVersion
}

// VersionTooLong reports whether request.version exceeded MaxVersionLen.
func (s *Scanner) VersionTooLong() bool { return s.versionTooLong }

// HasData reports whether msgBody.data was present as a string, and DataLen
// its unescaped length.
func (s *Scanner) HasData() bool { return s.hasData }

// DataLen returns the unescaped length of msgBody.data so far.
func (s *Scanner) DataLen() int64 { return s.dataLen }

// Close reports whether the body was one complete JSON object.
func (s *Scanner) Close() error {
	if s.err == nil && s.state != stDone {
		if s.off == 0 {
			s.err = &Error{Offset: 0, Msg: "the body is empty"}
		} else {
			s.err = &Error{Offset: s.off, Msg: "the JSON body ends before it is complete"}
		}
	}
	return s.err
}

func (s *Scanner) fail(msg string, args ...any) {
	s.failAs(Syntax, "", msg, args...)
}

func (s *Scanner) failAs(kind Kind, key, msg string, args ...any) {
	if s.err == nil {
		s.err = &Error{Offset: s.off, Msg: fmt.Sprintf(msg, args...), Kind: kind, Key: key}
	}
}

// failInMsgBody fails for a fault inside msgBody: at once, or when
// small, later (Parse's Late), letting the scan go on.
func (s *Scanner) failInMsgBody(kind Kind, key, msg string, args ...any) {
	if !s.small {
		s.failAs(kind, key, msg, args...)
	} else if s.late == nil {
		s.late = &Error{Offset: s.off, Msg: fmt.Sprintf(msg, args...), Kind: kind, Key: key}
	}
}

// Write scans the next part of the body. After the first error it returns
// that error and consumes nothing more. An error from Data is returned as
// it is.
func (s *Scanner) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && s.err == nil {
		if s.state == stString && s.role == roleData && s.esc == 0 && s.utfN == 0 && s.hiSurr == 0 {
			// Fast path: pass the run up to the next quote or backslash on
			// as it is. Bytes that are not base64 are the decoder's to
			// refuse.
			i := bytes.IndexByte(p, '"')
			if i < 0 {
				i = len(p)
			}
			if j := bytes.IndexByte(p[:i], '\\'); j >= 0 {
				i = j
			}
			if i > 0 {
				if err := s.emit(p[:i]); err != nil {
					return total - len(p), err
				}
				s.off += int64(i)
				p = p[i:]
				continue
			}
		}
		s.step(p[0])
		if s.err != nil {
			break
		}
		s.off++
		p = p[1:]
	}
	if s.err != nil {
		return total - len(p), s.err
	}
	return total, nil
}

func (s *Scanner) emit(b []byte) error {
	s.dataLen += int64(len(b))
	if s.Data == nil {
		return nil
	}
	_, err := s.Data.Write(b)
	if err != nil && s.err == nil {
		s.err = err
	}
	return err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// step consumes one byte.
func (s *Scanner) step(c byte) {
	switch s.state {
	case stString:
		s.stringByte(c)
	case stNumber:
		if !s.numberByte(c) {
			s.state = stAfter
			s.endKept(s.off)
			s.step(c)
		}
	case stLiteral:
		if c != s.lit[s.litN] {
			s.fail("invalid literal (expected %q)", s.lit)
			return
		}
		if s.litN++; s.litN == len(s.lit) {
			s.state = stAfter
			s.endKept(s.off + 1)
		}
	case stValue, stValueOrEnd:
		switch {
		case isSpace(c):
		case c == ']' && s.state == stValueOrEnd:
			s.pop()
		default:
			s.value(c)
		}
	case stKeyOrEnd, stKey:
		switch {
		case isSpace(c):
		case c == '}' && s.state == stKeyOrEnd:
			s.pop()
		case c == '"':
			s.state, s.role, s.keyN = stString, roleKey, 0
		default:
			s.fail("expected a JSON object key")
		}
	case stColon:
		switch {
		case isSpace(c):
		case c == ':':
			s.state, s.role = stValue, s.pending
		default:
			s.fail("expected ':' after an object key")
		}
	case stAfter:
		top := &s.stack[s.depth-1]
		switch {
		case isSpace(c):
		case c == ',':
			if top.array {
				s.state, s.role = stValue, roleOther
			} else {
				s.state = stKey
			}
		case c == '}' && !top.array, c == ']' && top.array:
			s.pop()
		default:
			if top.array {
				s.fail("expected ',' or ']' in an array")
			} else {
				s.fail("expected ',' or '}' in an object")
			}
		}
	case stDone:
		if !isSpace(c) {
			s.failAs(Trailing, "", "data after the end of the JSON object")
		}
	}
}

// endKept notes that the value being read ends before end, if it is a
// kept one.
func (s *Scanner) endKept(end int64) {
	if s.role == roleKept {
		s.spans[s.kept].end = end
	}
}

// value starts a value whose role is s.role.
func (s *Scanner) value(c byte) {
	r := s.role
	if s.depth == 0 && c != '{' {
		s.failAs(NotObject, "", "the body is not a JSON object")
		return
	}
	want := wantFor(r)
	if want != "" && r == roleMsgBody && c != 'n' && c != '{' {
		// Scanned on as any value, msgBody keeps nothing.
		s.failInMsgBody(WrongType, "msgBody", "msgBody must be %s", want)
		if s.err != nil {
			return
		}
		r, s.role, want = roleOther, roleOther, ""
	}
	if r == roleKept {
		s.spans[s.kept].start = s.off
	}
	switch c {
	case '{', '[':
		if want != "" && (c == '[' || want != "an object") {
			s.wrongType(r, want)
			return
		}
		if s.depth == MaxDepth {
			s.fail("JSON nested deeper than %d levels", MaxDepth)
			return
		}
		if s.depth == 0 {
			r = roleTop
		}
		s.stack[s.depth] = frame{array: c == '[', role: r}
		s.depth++
		if c == '[' {
			s.state, s.role = stValueOrEnd, roleOther
		} else {
			s.state = stKeyOrEnd
		}
	case '"':
		if want != "" && want != "a string" {
			s.wrongType(r, want)
			return
		}
		switch r {
		case roleVersion:
			s.hasVersion = true
		case roleData:
			s.hasData = true
		}
		s.state = stString
	case 'n':
		// null stands for an absent value whatever the role.
		s.state, s.lit, s.litN = stLiteral, "null", 1
	case 't', 'f':
		if want != "" {
			s.wrongType(r, want)
			return
		}
		s.state, s.lit, s.litN = stLiteral, "false", 1
		if c == 't' {
			s.lit = "true"
		}
	default:
		if want != "" {
			s.wrongType(r, want)
			return
		}
		if c == '-' || '0' <= c && c <= '9' {
			s.state = stNumber
			switch {
			case c == '-':
				s.num = numSign
			case c == '0':
				s.num = numZero
			default:
				s.num = numInt
			}
			return
		}
		s.fail("invalid character %q where a JSON value should be", c)
	}
}

// wantFor returns what a value of role r must be, or "" if anything goes.
func wantFor(r role) string {
	switch r {
	case roleRequest, roleMsgBody:
		return "an object"
	case roleVersion, roleData:
		return "a string"
	}
	return ""
}

func (s *Scanner) wrongType(r role, want string) {
	s.failAs(WrongType, roleName(r), "%s must be %s", roleName(r), want)
}

func roleName(r role) string {
	switch r {
	case roleRequest:
		return "request"
	case roleMsgBody:
		return "msgBody"
	case roleVersion:
		return "version"
	case roleData:
		return "data"
	}
	return "value"
}

func (s *Scanner) pop() {
	s.depth--
	if s.stack[s.depth].role == roleKept {
		s.spans[s.kept].end = s.off + 1
	}
	if s.depth == 0 {
		s.state = stDone
	} else {
		s.state = stAfter
	}
}

// numberByte advances the number grammar; it returns false when c ends the
// number (and fails if the number was incomplete).
func (s *Scanner) numberByte(c byte) bool {
	digit := '0' <= c && c <= '9'
	switch s.num {
	case numSign:
		if c == '0' {
			s.num = numZero
		} else if digit {
			s.num = numInt
		} else {
			s.fail("invalid number")
		}
		return true
	case numZero, numInt:
		switch {
		case digit && s.num == numInt:
		case c == '.':
			s.num = numDot
		case c == 'e' || c == 'E':
			s.num = numE
		case digit:
			s.fail("invalid number (leading zero)")
		default:
			return false
		}
		return true
	case numDot, numE, numESign:
		switch {
		case digit && s.num == numDot:
			s.num = numFrac
		case digit:
			s.num = numExp
		case (c == '+' || c == '-') && s.num == numE:
			s.num = numESign
		default:
			s.fail("invalid number")
		}
		return true
	case numFrac:
		switch {
		case digit:
		case c == 'e' || c == 'E':
			s.num = numE
		default:
			return false
		}
		return true
	default: // numExp
		return digit
	}
}

// stringByte consumes one byte inside a string.
func (s *Scanner) stringByte(c byte) {
	switch {
	case s.esc == 1:
		s.esc = 0
		switch c {
		case '"', '\\', '/':
			s.stringRune(rune(c))
		case 'b':
			s.stringRune('\b')
		case 'f':
			s.stringRune('\f')
		case 'n':
			s.stringRune('\n')
		case 'r':
			s.stringRune('\r')
		case 't':
			s.stringRune('\t')
		case 'u':
			s.esc, s.uval = 2, 0
		default:
			s.fail("invalid escape \\%c in a JSON string", c)
		}
	case s.esc >= 2:
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			s.fail("invalid \\u escape in a JSON string")
			return
		}
		s.uval = s.uval<<4 | rune(v)
		if s.esc++; s.esc == 6 {
			s.esc = 0
			s.escapedRune(s.uval)
		}
	case s.utfN > 0 || c >= 0x80:
		s.utf[s.utfN] = c
		s.utfN++
		if utf8.FullRune(s.utf[:s.utfN]) {
			r, n := utf8.DecodeRune(s.utf[:s.utfN])
			if r == utf8.RuneError && n <= 1 {
				s.fail("invalid UTF-8 in a JSON string")
				return
			}
			s.utfN = 0
			s.stringRune(r)
		}
	case c == '"':
		s.endString()
	case c == '\\':
		s.esc = 1
	case c < 0x20:
		s.fail("control character %#02x inside a JSON string", c)
	default:
		s.stringRune(rune(c))
	}
}

// escapedRune takes a rune from a \u escape, pairing surrogates.
func (s *Scanner) escapedRune(r rune) {
	switch {
	case 0xD800 <= r && r < 0xDC00:
		if s.hiSurr != 0 { // two high surrogates: the first is unpaired
			s.hiSurr = 0
			s.stringRune(utf8.RuneError)
		}
		s.hiSurr = r
		return
	case 0xDC00 <= r && r < 0xE000 && s.hiSurr != 0:
		r = (s.hiSurr-0xD800)<<10 | (r - 0xDC00) + 0x10000
		s.hiSurr = 0
	case 0xDC00 <= r && r < 0xE000:
		r = utf8.RuneError
	}
	s.stringRune(r)
}

// stringRune adds one decoded character to the string being read.
func (s *Scanner) stringRune(r rune) {
	if s.hiSurr != 0 {
		s.hiSurr = 0
		s.stringRune(utf8.RuneError)
	}
	n := utf8.RuneLen(r)
	if n < 0 {
		r, n = utf8.RuneError, len(string(utf8.RuneError))
	}
	switch s.role {
	case roleKey:
		if s.keyN >= 0 && s.keyN+n <= len(s.key) {
			s.keyN += utf8.EncodeRune(s.key[s.keyN:], r)
		} else {
			s.keyN = -1
		}
	case roleVersion:
		if s.versionN+n <= len(s.version) {
			s.versionN += utf8.EncodeRune(s.version[s.versionN:], r)
		} else {
			s.versionTooLong = true
		}
	case roleData:
		if r == '\n' || r == '\r' {
			s.fail("a line break inside data")
			return
		}
		s.emit(s.dataRune[:utf8.EncodeRune(s.dataRune[:], r)])
	}
}

func (s *Scanner) endString() {
	if s.hiSurr != 0 {
		s.hiSurr = 0
		s.stringRune(utf8.RuneError)
	}
	if s.role != roleKey {
		s.state = stAfter
		s.endKept(s.off + 1)
		return
	}
	s.state = stColon
	top := &s.stack[s.depth-1]
	var key []byte // compared as string(key), which does not copy it
	if s.keyN >= 0 {
		key = s.key[:s.keyN]
	}
	var bit uint16
	s.pending = roleOther
	switch {
	case top.role == roleTop && string(key) == "request":
		bit, s.pending = seenRequest, roleRequest
	case top.role == roleTop && string(key) == "msgBody":
		bit, s.pending = seenMsgBody, roleMsgBody
	case top.role == roleRequest && string(key) == "version":
		bit, s.pending = seenVersion, roleVersion
	case top.role == roleMsgBody && s.small:
		for i, k := range s.keep {
			if string(key) == k {
				bit, s.pending, s.kept = seenKept<<i, roleKept, i
				break
			}
		}
	case top.role == roleMsgBody && string(key) == "data":
		bit, s.pending = seenData, roleData
	}
	switch {
	case top.seen&bit == 0:
		top.seen |= bit
	case s.pending == roleKept:
		s.failInMsgBody(Twice, string(key), "the key %q appears twice", key)
		s.pending = roleOther // the first one is kept
	default:
		s.failAs(Twice, string(key), "the key %q appears twice", key)
	}
}

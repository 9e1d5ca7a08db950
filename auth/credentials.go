package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"
)

// A Key is one access key, its secret and the VDNs it may write to.
// Its String, GoString and LogValue methods leave the secret out, so a Key
// printed or logged by mistake does not leak it.
type Key struct {
	AccessKey string `json:"ak"`
	SecretKey string `json:"sk"`
	// VDNs lists the VDNs the key may write to.
	VDNs []int `json:"vdns,omitempty"`
	// AnyVDN lets the key write to every VDN. A key with neither VDNs nor
	// AnyVDN may write nowhere.
	AnyVDN bool `json:"anyVdn,omitempty"`
	// PreviousSecretKey, during a rotation, is the secret being replaced:
	// requests that begin before PreviousUntil are accepted signed with
	// either secret, so a fleet of chatbots can move to the new one
	// without a window of failures. PreviousUntil is required with it.
	PreviousSecretKey string    `json:"previousSk,omitempty"`
	PreviousUntil     time.Time `json:"previousSkUntil,omitzero"`
}

// previousValid reports whether the previous secret is accepted at now.
func (k Key) previousValid(now time.Time) bool {
	return k.PreviousSecretKey != "" && now.Before(k.PreviousUntil)
}

// Allows reports whether the key may write to vdn.
func (k Key) Allows(vdn int) bool {
	return k.AnyVDN || slices.Contains(k.VDNs, vdn)
}

// String describes the key without its secret.
func (k Key) String() string {
	if k.AnyVDN {
		return fmt.Sprintf("key %q (any VDN)", k.AccessKey)
	}
	return fmt.Sprintf("key %q (VDNs %v)", k.AccessKey, k.VDNs)
}

// GoString is String, so %#v does not print the secret either.
func (k Key) GoString() string { return k.String() }

// LogValue logs the access key and its VDNs, never a secret.
func (k Key) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("ak", k.AccessKey), slog.Any("vdns", k.VDNs), slog.Bool("anyVdn", k.AnyVDN)}
	if k.PreviousSecretKey != "" {
		attrs = append(attrs, slog.Time("previousSkUntil", k.PreviousUntil))
	}
	return slog.GroupValue(attrs...)
}

// Credentials looks access keys up. Lookup returns ErrUnknownKey (possibly
// wrapped) for a key it does not know; any other error is a failure of the
// store behind it. Implementations must be safe for concurrent use.
type Credentials interface {
	Lookup(ctx context.Context, accessKey string) (Key, error)
}

// Static is an in-memory, read-only Credentials.
type Static struct {
	keys map[string]Key
}

var _ Credentials = (*Static)(nil)

// NewStatic returns a Static holding keys. It refuses an empty access key
// or secret, an access key containing '/', and two keys with the same
// access key.
func NewStatic(keys ...Key) (*Static, error) {
	s := &Static{keys: make(map[string]Key, len(keys))}
	for i, k := range keys {
		if err := s.add(k); err != nil {
			return nil, fmt.Errorf("auth: key #%d: %w", i+1, err)
		}
	}
	return s, nil
}

func (s *Static) add(k Key) error {
	if err := checkAccessKey(k.AccessKey); err != nil {
		return fmt.Errorf("%w (ak %q)", err, k.AccessKey)
	}
	if k.SecretKey == "" {
		return fmt.Errorf("access key %q: empty secret key (sk)", k.AccessKey)
	}
	if k.PreviousSecretKey != "" && k.PreviousUntil.IsZero() {
		return fmt.Errorf("access key %q: previousSk without previousSkUntil (when the previous secret stops being accepted)", k.AccessKey)
	}
	if _, dup := s.keys[k.AccessKey]; dup {
		return fmt.Errorf("access key %q appears twice", k.AccessKey)
	}
	k.VDNs = slices.Clone(k.VDNs)
	s.keys[k.AccessKey] = k
	return nil
}

// Lookup returns the key for accessKey, or ErrUnknownKey.
func (s *Static) Lookup(_ context.Context, accessKey string) (Key, error) {
	k, ok := s.keys[accessKey]
	if !ok {
		return Key{}, ErrUnknownKey
	}
	return k, nil
}

// Len returns the number of keys.
func (s *Static) Len() int { return len(s.keys) }

// A Grant is what an operator may be shown of a key: its access key and
// the VDNs it may write to, never a secret.
type Grant struct {
	AccessKey string
	VDNs      []int
	AnyVDN    bool
}

// Grants lists every key's Grant, in the order of their access keys.
func (s *Static) Grants() []Grant {
	out := make([]Grant, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, Grant{AccessKey: k.AccessKey, VDNs: slices.Clone(k.VDNs), AnyVDN: k.AnyVDN})
	}
	slices.SortFunc(out, func(a, b Grant) int { return strings.Compare(a.AccessKey, b.AccessKey) })
	return out
}

// A GrantLister is Credentials that can list their keys' Grants (Static
// and FileCredentials can), for an operator's console.
type GrantLister interface {
	Grants() []Grant
}

// credentialsFile is the JSON an operator writes:
//
//	{"keys": [{"ak": "chatbot-a", "sk": "…", "vdns": [53, 54]},
//	          {"ak": "operator",  "sk": "…", "anyVdn": true}]}
type credentialsFile struct {
	Keys []Key `json:"keys"`
}

// ParseCredentials parses the credentials JSON:
//
//	{"keys": [{"ak": "chatbot-a", "sk": "…", "vdns": [53, 54]},
//	          {"ak": "operator",  "sk": "…", "anyVdn": true}]}
//
// It refuses unknown fields, an empty ak or sk and duplicate aks; the error
// names the line and the value's place in the file ("keys[0].vdns[1] must
// be a number"), and the key when it has one, never a secret.
func ParseCredentials(data []byte) (*Static, error) {
	s, err := parseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("auth: credentials: %w", err)
	}
	return s, nil
}

// parseCredentials is ParseCredentials without the prefix, for a file
// whose errors start with its name.
func parseCredentials(data []byte) (*Static, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f credentialsFile
	if err := dec.Decode(&f); err != nil {
		return nil, decodeError(data, err, dec)
	}
	if dec.More() {
		return nil, fmt.Errorf("line %d: text after the JSON object", lineAt(data, dec.InputOffset()))
	}
	if f.Keys == nil {
		return nil, errors.New(`no "keys" list`)
	}
	s := &Static{keys: make(map[string]Key, len(f.Keys))}
	for i, k := range f.Keys {
		if err := s.add(k); err != nil {
			return nil, fmt.Errorf("line %d: keys[%d] (key #%d): %w", keyLine(data, i), i, i+1, err)
		}
	}
	return s, nil
}

// decodeError says in the file's terms why data did not decode: the line,
// the value's place ("keys[0].vdns[1]"), what it must be and, unless it is
// a secret, the text found there — never Go's type names.
func decodeError(data []byte, err error, dec *json.Decoder) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: not valid JSON: %s", lineAt(data, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		place, text := valueBefore(data, typ.Offset)
		msg := fmt.Sprintf("line %d: %s must be %s", lineAt(data, typ.Offset), place, kindName(typ.Type))
		if !secretPlace(place) {
			msg += ", not " + text
		}
		return errors.New(msg)
	case errors.As(err, &tim):
		// A time.ParseError carries no offset, and the decoder has read
		// the whole file by the time it reports one: find the value.
		place, off := timeValue(data, tim.Value)
		return fmt.Errorf("line %d: %s must be a time such as \"2026-12-31T23:59:59Z\", not %q", lineAt(data, off), place, tim.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: the JSON ends too soon", lineAt(data, int64(len(data))))
	}
	// The one error left is an unknown field, which encoding/json words
	// plainly but for its package name.
	return fmt.Errorf("line %d: %s (the file holds only \"keys\"; a key has ak, sk, vdns, anyVdn, previousSk and previousSkUntil)",
		lineAt(data, dec.InputOffset()), strings.TrimPrefix(err.Error(), "json: "))
}

// secretPlace reports whether a value's place holds a secret, whose text an
// error must not show even when it has the wrong type.
func secretPlace(place string) bool {
	return strings.HasSuffix(place, ".sk") || strings.HasSuffix(place, ".previousSk")
}

// kindName says what a value of type t is written as in JSON.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string in double quotes"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list [ … ]"
	}
	return "an object { … }"
}

// valueBefore finds the last JSON value starting before offset off and
// returns its place ("keys[0].vdns[1]") and its text as written (cut
// short if long). data is valid JSON up to off.
func valueBefore(data []byte, off int64) (place, text string) {
	walkValues(data, func(p string, start int64, t string, _ json.Token) bool {
		if start >= off {
			return false
		}
		place, text = p, t
		return true
	})
	return place, text
}

// timeValue finds the first previousSkUntil whose string is value and
// returns its place and offset; failing that, the place "previousSkUntil"
// and the end of data.
func timeValue(data []byte, value string) (place string, off int64) {
	place, off = "previousSkUntil", int64(len(data))
	walkValues(data, func(p string, start int64, _ string, tok json.Token) bool {
		if s, ok := tok.(string); ok && s == value && strings.HasSuffix(p, ".previousSkUntil") {
			place, off = p, start
			return false
		}
		return true
	})
	return place, off
}

// walkValues calls fn with each JSON value of data in order (an object
// or array as its opening delimiter, before the values inside it): its
// place ("keys[0].vdns[1]"), its offset, its text as written (cut short
// if long) and its token, until fn returns false or data ends or stops
// being valid JSON.
func walkValues(data []byte, fn func(place string, start int64, text string, tok json.Token) bool) {
	var stack []jsonLevel
	path := func() string {
		var b strings.Builder
		for i, l := range stack {
			switch {
			case l.object && i == 0:
				b.WriteString(l.key)
			case l.object:
				b.WriteString("." + l.key)
			default:
				fmt.Fprintf(&b, "[%d]", l.index)
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		for start < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[start]) >= 0 {
			start++
		}
		tok, err := dec.Token()
		if err != nil {
			return
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = k, false
				continue
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			afterValue(stack)
			continue
		}
		end := min(int(dec.InputOffset()), len(data), int(start)+40)
		text := string(data[start:end])
		d, isDelim := tok.(json.Delim)
		if isDelim {
			text = string(d) + " …"
		}
		if !fn(path(), start, text, tok) {
			return
		}
		if isDelim {
			stack = append(stack, jsonLevel{object: d == '{', wantKey: d == '{'})
			continue
		}
		afterValue(stack)
	}
}

// jsonLevel is one open object or array on the way to a value.
type jsonLevel struct {
	object  bool
	wantKey bool   // in an object: the next token is a key
	key     string // in an object: the key of the value to come
	index   int    // in an array: the index of the value to come
}

// afterValue moves the innermost container past a value: an array to its
// next index, an object to its next key.
func afterValue(stack []jsonLevel) {
	if n := len(stack); n > 0 {
		if stack[n-1].object {
			stack[n-1].wantKey = true
		} else {
			stack[n-1].index++
		}
	}
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// keyLine returns the line on which the i-th element of "keys" starts.
func keyLine(data []byte, i int) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth, n := 0, -1
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			depth++
			if depth == 3 { // top object, keys array, this key
				if n++; n == i {
					return lineAt(data, off+int64(bytes.IndexByte(data[off:], byte(d))))
				}
			}
		} else if ok {
			depth--
		}
	}
}

// WriteCredentials writes keys in the credentials file format that
// NewFileCredentials reads, secrets included, for tools that create a file for an
// operator.
func WriteCredentials(w io.Writer, keys ...Key) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(credentialsFile{Keys: keys})
}

package accounts

// The accounts file's lines: "name:hash", '#' comments and blank lines.
// Errors name the line by its number and never repeat a hash (nor a
// line that might be a password pasted in the wrong place).

import (
	"errors"
	"fmt"
	"strings"
)

// MaxNameLen is the longest name an account may have, in bytes.
const MaxNameLen = 64

// MinPasswordLen and MaxPasswordLen bound the passwords Add sets, in
// bytes. The console's sign-in form takes at most MaxPasswordLen.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// maxFileSize bounds what Open and Add read: some thousands of accounts.
const maxFileSize = 1 << 20

// A line is one line of an accounts file as parsed.
type line struct {
	// text is the line as written, without its line ending.
	text string
	// name is the account's name, "" for a comment or a blank line.
	name string
	// hash is the account's hash, nil for a comment or a blank line.
	hash verifier
}

// ValidName reports whether name may name an account: 1 to 64 bytes of
// A–Z, a–z, 0–9, '.', '_', '@' and '-'.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// errName is what a name that ValidName refuses is told.
var errName = errors.New("a name is 1 to 64 bytes of A-Z a-z 0-9 . _ @ -")

// parse reads an accounts file's content into its lines. It refuses a
// malformed line and a name given twice, naming the line by number.
func parse(data []byte) ([]line, error) {
	text := string(data)
	if text == "" {
		return nil, nil
	}
	text = strings.TrimSuffix(text, "\n")
	var lines []line
	first := map[string]int{}
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		raw = strings.TrimSuffix(raw, "\r")
		l := line{text: raw}
		s := strings.TrimSpace(raw)
		if s == "" || s[0] == '#' {
			lines = append(lines, l)
			continue
		}
		name, hash, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want name:hash (or a # comment)", n)
		}
		if !ValidName(name) {
			return nil, fmt.Errorf("line %d: %v", n, errName)
		}
		if at, dup := first[name]; dup {
			return nil, fmt.Errorf("line %d: %q again (first on line %d): a name may have one line", n, name, at)
		}
		first[name] = n
		v, err := parseHash(hash)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", n, name, err)
		}
		l.name, l.hash = name, v
		lines = append(lines, l)
	}
	return lines, nil
}

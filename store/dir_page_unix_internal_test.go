//go:build unix

package store

import (
	"strings"
	"testing"
)

// TestCompareJoined: compareJoined(a, b, s) is strings.Compare(a+b, s),
// whatever the lengths and where they differ.
func TestCompareJoined(t *testing.T) {
	words := []string{"", "a", "b", "v/", "v/a", "v/a.wav", "v/b", "v", "w", "v/a.wav\x00", "\xff", "v/\xff"}
	for _, a := range words {
		for _, b := range words {
			for _, s := range words {
				if got, want := compareJoined(a, b, s), strings.Compare(a+b, s); got != want {
					t.Errorf("compareJoined(%q, %q, %q) = %d, want %d", a, b, s, got, want)
				}
			}
		}
	}
}

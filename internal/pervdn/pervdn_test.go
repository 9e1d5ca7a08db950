package pervdn

import (
	"maps"
	"strconv"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	def, by, err := Parse("*=1, 53=2,7=3", "test", strconv.Atoi)
	if err != nil || def != 1 || !maps.Equal(by, map[int]int{53: 2, 7: 3}) {
		t.Fatalf("%v %v %v", def, by, err)
	}
	if got := Format(def, by, strconv.Itoa); got != "*=1,7=3,53=2" {
		t.Fatalf("Format: %q", got)
	}
	if def, by, err := Parse("53=2", "test", strconv.Atoi); err != nil || def != 0 || by[53] != 2 {
		t.Fatalf("no default: %v %v %v", def, by, err)
	}
	for _, bad := range []string{"", "53", "x=1", "0=1", "2147483648=1", "53=x", "*=1,*=2", "53=1,53=2"} {
		if _, _, err := Parse(bad, "test", strconv.Atoi); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

package pervdn

import (
	"maps"
	"strconv"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	def, by, err := Parse("*=1, 53=2,7=3", strconv.Atoi)
	if err != nil || def != 1 || !maps.Equal(by, map[int]int{53: 2, 7: 3}) {
		t.Fatalf("%v %v %v", def, by, err)
	}
	if got := Format(def, by, strconv.Itoa); got != "*=1,7=3,53=2" {
		t.Fatalf("Format: %q", got)
	}
	if def, by, err := Parse("53=2", strconv.Atoi); err != nil || def != 0 || by[53] != 2 {
		t.Fatalf("no default: %v %v %v", def, by, err)
	}
	for _, bad := range []string{"", "53", "x=1", "0=1", "2147483648=1", "53=x", "*=1,*=2", "53=1,53=2"} {
		if _, _, err := Parse(bad, strconv.Atoi); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestErrorsQuoteTheItem: an error names the item as written, and its
// line when the text has several (a file), with no prefix of its own.
func TestErrorsQuoteTheItem(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"*=1, 53=x", `"53=x": strconv.Atoi: parsing "x": invalid syntax`},
		{"53", `"53": not VDN=VALUE`},
		{"# tenants\n*=1\n\n54 = 2 # bank\n55=1,x=3\n", `line 5: "x=3": "x" is not a VDN (a positive 32-bit number) or *`},
		{"53=1\n53=2", `line 2: "53=2": VDN 53 is given twice`},
		{"*=1,*=2", `"*=2": * is given twice`},
		{"# nothing\n\n", "no VDN=VALUE given"},
	} {
		_, _, err := Parse(c.in, strconv.Atoi)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q): %v, want %s", c.in, err, c.want)
		}
	}
	if _, by, err := Parse("53=1\n\n54=2,\n", strconv.Atoi); err != nil || len(by) != 2 {
		t.Errorf("blank lines and a trailing comma in a file: %v %v", by, err)
	}
}

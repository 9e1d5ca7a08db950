// Package pervdn reads and writes settings made of a default and per-VDN
// overrides, "*=2GiB,53=20GiB", as quotas and retention take them.
package pervdn

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Parse reads s: VDN=VALUE items, with * for the default, separated by
// commas or on lines of their own, # starting a comment to the end of its
// line (as in a file). Each VALUE is read by parse. A VDN is a positive
// 32-bit number, named once; so is *. def is the zero T when s has no *.
//
// An error names the item as written and, when s has more than one line,
// the line it is on: `line 3: 53=abc: "abc" is not a size`. It carries no
// prefix of its own, so the caller says what was being read.
func Parse[T any](s string, parse func(string) (T, error)) (def T, byVDN map[int]T, err error) {
	byVDN = map[int]T{}
	seenDefault, seenItem := false, false
	lines := strings.Split(s, "\n")
	for n, line := range lines {
		line, _, _ = strings.Cut(line, "#")
		where := ""
		if len(lines) > 1 {
			where = fmt.Sprintf("line %d: ", n+1)
		}
		for _, item := range strings.Split(line, ",") {
			if strings.TrimSpace(item) == "" && len(lines) > 1 {
				continue // blank lines and trailing commas in a file
			}
			seenItem = true
			item = strings.TrimSpace(item)
			fail := func(format string, args ...any) (T, map[int]T, error) {
				return def, nil, fmt.Errorf("%s%q: %s", where, item, fmt.Sprintf(format, args...))
			}
			key, val, ok := strings.Cut(item, "=")
			if !ok {
				return fail("not VDN=VALUE")
			}
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			v, err := parse(val)
			if err != nil {
				return fail("%v", err)
			}
			if key == "*" {
				if seenDefault {
					return fail("* is given twice")
				}
				def, seenDefault = v, true
				continue
			}
			vdn, err := strconv.Atoi(key)
			if err != nil || vdn <= 0 || vdn > 1<<31-1 {
				return fail("%q is not a VDN (a positive 32-bit number) or *", key)
			}
			if _, dup := byVDN[vdn]; dup {
				return fail("VDN %d is given twice", vdn)
			}
			byVDN[vdn] = v
		}
	}
	if !seenItem {
		return def, nil, errors.New("no VDN=VALUE given")
	}
	return def, byVDN, nil
}

// Format writes def and byVDN as Parse reads them, the VDNs in order.
func Format[T any](def T, byVDN map[int]T, format func(T) string) string {
	parts := []string{"*=" + format(def)}
	for _, v := range slices.Sorted(maps.Keys(byVDN)) {
		parts = append(parts, strconv.Itoa(v)+"="+format(byVDN[v]))
	}
	return strings.Join(parts, ",")
}

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

// Parse reads s, a comma-separated list of VDN=VALUE with * for the
// default, each VALUE read by parse; what ("quota") starts its errors.
// A VDN is a positive 32-bit number, named once; so is *. def is the
// zero T when s has no *.
func Parse[T any](s, what string, parse func(string) (T, error)) (def T, byVDN map[int]T, err error) {
	byVDN = map[int]T{}
	seenDefault := false
	for _, item := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return def, nil, fmt.Errorf("%s: %q is not VDN=VALUE", what, strings.TrimSpace(item))
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		v, err := parse(val)
		if err != nil {
			return def, nil, fmt.Errorf("%s: %s: %w", what, key, err)
		}
		if key == "*" {
			if seenDefault {
				return def, nil, errors.New(what + ": * is given twice")
			}
			def, seenDefault = v, true
			continue
		}
		vdn, err := strconv.Atoi(key)
		if err != nil || vdn <= 0 || vdn > 1<<31-1 {
			return def, nil, fmt.Errorf("%s: %q is not a VDN (a positive 32-bit number) or *", what, key)
		}
		if _, dup := byVDN[vdn]; dup {
			return def, nil, fmt.Errorf("%s: VDN %d is given twice", what, vdn)
		}
		byVDN[vdn] = v
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

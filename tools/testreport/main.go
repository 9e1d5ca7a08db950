// Command testreport reads the events of one `go test -json` run and says
// what a person needs of it: a line for each package as `go test` prints
// it, the whole output of every test that failed, the slowest tests, and a
// closing count. It fails (exit status 1) if a test or a build failed, if
// no test ran, or if a test skipped in a package where no test may skip
// (the integration tests, whose servers CI installs: a skip there means a
// check silently did not happen).
//
//	go test -json ./... | go run ./tools/testreport -no-skip github.com/ccfs-go/ccfs/cmd/ccfs
//
// It exists so that CI runs the suite once and still checks that nothing
// skipped, instead of running it again with -v to grep for skips.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	var noSkip prefixes
	flag.Var(&noSkip, "no-skip", "an import path `prefix` whose packages may skip no test (repeatable)")
	slowest := flag.Int("slowest", 10, "list the `n` slowest tests")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go test -json ... | testreport [-no-skip PREFIX]... [-slowest N]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	r := newReport(noSkip, *slowest)
	if err := r.read(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if !r.summary(os.Stdout) {
		os.Exit(1)
	}
}

// prefixes is a repeatable flag of import path prefixes.
type prefixes []string

func (p *prefixes) String() string     { return strings.Join(*p, ",") }
func (p *prefixes) Set(s string) error { *p = append(*p, s); return nil }

// covers reports whether the package pkg is one of the prefixes or under one.
func (p prefixes) covers(pkg string) bool {
	for _, pre := range p {
		if pkg == pre || strings.HasPrefix(pkg, strings.TrimSuffix(pre, "/")+"/") {
			return true
		}
	}
	return false
}

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action      string
	Package     string
	ImportPath  string // of a build event
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// test is what is known of one test (or subtest) of one package.
type test struct {
	pkg, name string
	output    strings.Builder
	elapsed   time.Duration
}

type report struct {
	noSkip  prefixes
	slowest int

	tests   map[[2]string]*test // by package and name
	pkgOut  map[string]*strings.Builder
	passed  []*test
	failed  []*test
	skipped []*test

	forbidden  []*test // skipped where no test may skip
	failedPkgs []string
}

func newReport(noSkip prefixes, slowest int) *report {
	return &report{noSkip: noSkip, slowest: slowest,
		tests: map[[2]string]*test{}, pkgOut: map[string]*strings.Builder{}}
}

// read takes the events from in, writing each package's line to out as
// its tests end, and the output of what failed as soon as it fails.
func (r *report) read(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event: something go test printed outside them (a
			// flag error, say). Show it as it is.
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		r.take(e, out)
	}
	return sc.Err()
}

func (r *report) take(e event, out io.Writer) {
	switch {
	case e.Action == "build-output":
		fmt.Fprint(out, e.Output)
		return
	case e.Action == "build-fail": // the package's own "fail" event follows, and counts it
		return
	case e.Test == "":
		r.packageEvent(e, out)
		return
	}
	key := [2]string{e.Package, e.Test}
	t := r.tests[key]
	if t == nil {
		t = &test{pkg: e.Package, name: e.Test}
		r.tests[key] = t
	}
	switch e.Action {
	case "output":
		t.output.WriteString(e.Output)
	case "pass", "fail", "skip":
		t.elapsed = time.Duration(e.Elapsed * float64(time.Second))
		delete(r.tests, key)
		switch e.Action {
		case "pass":
			r.passed = append(r.passed, t)
		case "fail":
			r.failed = append(r.failed, t)
			// go test -json gives each line to the (sub)test that wrote
			// it, so this is the test's own output, its subtests' apart.
			fmt.Fprint(out, t.output.String())
		case "skip":
			r.skipped = append(r.skipped, t)
			if r.noSkip.covers(t.pkg) {
				r.forbidden = append(r.forbidden, t)
			}
		}
	}
}

// packageEvent takes an event of a package as a whole.
func (r *report) packageEvent(e event, out io.Writer) {
	b := r.pkgOut[e.Package]
	if b == nil {
		b = new(strings.Builder)
		r.pkgOut[e.Package] = b
	}
	switch e.Action {
	case "output":
		b.WriteString(e.Output)
	case "pass":
		fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
	case "skip":
		fmt.Fprintf(out, "?   \t%s\t[no test files]\n", e.Package)
	case "fail":
		// The package's own output: a panic, a timeout, TestMain's
		// words, the FAIL line.
		if e.FailedBuild == "" {
			for line := range strings.Lines(b.String()) {
				if l := strings.TrimSpace(line); l != "FAIL" && !strings.HasPrefix(l, "FAIL\t"+e.Package+"\t") {
					fmt.Fprint(out, line)
				}
			}
		}
		fmt.Fprintf(out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
		r.failedPkgs = append(r.failedPkgs, e.Package)
	}
	if e.Action != "output" {
		delete(r.pkgOut, e.Package)
	}
}

// summary writes the slowest tests, the skips and the closing count, and
// reports whether the run is good.
func (r *report) summary(out io.Writer) bool {
	all := slices.Concat(r.passed, r.failed)
	all = slices.DeleteFunc(all, func(t *test) bool { return strings.Contains(t.name, "/") })
	slices.SortFunc(all, func(a, b *test) int { return int(b.elapsed - a.elapsed) })
	if n := min(r.slowest, len(all)); n > 0 {
		fmt.Fprintf(out, "\nthe %d slowest tests:\n", n)
		for _, t := range all[:n] {
			fmt.Fprintf(out, "  %6.1fs  %s %s\n", t.elapsed.Seconds(), t.pkg, t.name)
		}
	}
	if len(r.skipped) > 0 {
		fmt.Fprintln(out, "\nskipped:")
		for _, t := range r.skipped {
			fmt.Fprintf(out, "  %s %s: %s\n", t.pkg, t.name, skipReason(t.output.String()))
		}
	}
	good := true
	if len(r.forbidden) > 0 {
		fmt.Fprintf(out, "\n%d skipped where no test may skip (its server or tool is missing?):\n", len(r.forbidden))
		for _, t := range r.forbidden {
			fmt.Fprintf(out, "  %s %s\n", t.pkg, t.name)
		}
		good = false
	}
	if len(r.failedPkgs) > 0 {
		fmt.Fprintf(out, "\nfailed: %s\n", strings.Join(r.failedPkgs, " "))
		good = false
	}
	if len(r.passed)+len(r.failed) == 0 {
		fmt.Fprintln(out, "\nno test ran")
		good = false
	}
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped\n", len(r.passed), len(r.failed), len(r.skipped))
	return good && len(r.failed) == 0
}

// skipReason picks what a skipped test said out of its output: the lines
// other than the === and --- ones.
func skipReason(output string) string {
	var said []string
	for line := range strings.Lines(output) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "=== ") && !strings.HasPrefix(line, "--- ") {
			said = append(said, line)
		}
	}
	if len(said) == 0 {
		return "(no reason given)"
	}
	return strings.Join(said, " / ")
}

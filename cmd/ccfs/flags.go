package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags returns a flag set whose usage prints the summary, the flags
// and an example.
func newFlags(name, synopsis, summary, example string, stderr io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet("ccfs "+name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: ccfs %s %s\n\n%s\n\nFlags:\n", name, synopsis, summary)
		fl.PrintDefaults()
		fmt.Fprintf(stderr, "\nExample:\n\n%s\n", example)
	}
	return fl
}

// parse parses args; it returns the exit status to stop with, or -1 to go
// on. --help exits 0; a bad flag exits 2 with one line.
func parse(fl *flag.FlagSet, args []string) int {
	out, usage := fl.Output(), fl.Usage
	fl.SetOutput(io.Discard)
	fl.Usage = func() {} // the flag package would print it on any error
	err := fl.Parse(args)
	fl.SetOutput(out)
	fl.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return 0
	case err != nil:
		fmt.Fprintf(out, "%s: %v (see --help)\n", fl.Name(), err)
		return 2
	}
	return -1
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

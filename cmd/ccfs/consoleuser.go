package main

// "ccfs console-user": the operators' accounts of the console's sign-in
// (serve --console), in a file of names and password hashes that
// console/accounts reads and writes.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccfs-go/ccfs/console/accounts"
	"golang.org/x/term"
)

// consoleUsersFile is the accounts file's name in the data directory.
const consoleUsersFile = "console-users"

// consoleUserCmd runs "ccfs console-user".
func consoleUserCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const synopsis = "add NAME | remove NAME | list  [--file F | --data DIR]"
	fl := newFlags("console-user", synopsis,
		"Adds an operator's account for the console's sign-in (serve --console), or changes its password; removes one;\n"+
			"lists them. The accounts are a file of NAME:HASH lines (argon2id, or bcrypt as htpasswd -B writes), mode 0600;\n"+
			"a running server reads it again when it changes (a removed operator is signed out at their next page). Use\n"+
			"serve's --data (or, as --file, its --console-users): both default to ./ccfs-data. add asks for the password\n"+
			"twice, without echo, on a terminal; otherwise it reads one line from standard input (for scripts). At least\n"+
			"12 bytes, at most 256.",
		"  ccfs console-user add alice\n  ccfs console-user add --data /var/lib/ccfs alice && ccfs serve --console --data /var/lib/ccfs\n  ccfs console-user add --file /etc/ccfs/console-users alice < alice.password\n  ccfs console-user list --data /var/lib/ccfs",
		stderr)
	file := fl.String("file", "", "the accounts file (default: <--data>/"+consoleUsersFile+")")
	data := fl.String("data", "./ccfs-data", "data directory, as serve's --data")
	// Flags may come before, between and after the words.
	var words []string
	for rest := args; ; {
		if code := parse(fl, rest); code >= 0 {
			return code
		}
		if fl.NArg() == 0 {
			break
		}
		words, rest = append(words, fl.Arg(0)), fl.Args()[1:]
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "ccfs console-user: %v\n", err)
		return code
	}
	path := *file
	if path == "" {
		path = filepath.Join(*data, consoleUsersFile)
	}
	sub := ""
	if len(words) > 0 {
		sub = words[0]
	}
	switch {
	case sub == "list" && len(words) == 1:
		return listConsoleUsers(path, stdout, stderr)
	case (sub == "add" || sub == "remove") && len(words) == 2:
	case sub == "add" || sub == "remove" || sub == "list":
		return fail(2, fmt.Errorf("%s: want %s", sub, map[string]string{"add": "add NAME", "remove": "remove NAME", "list": "list, with no name"}[sub]))
	case sub == "":
		return fail(2, errors.New("want a subcommand: "+synopsis))
	default:
		return fail(2, fmt.Errorf("unknown subcommand %q: want %s", sub, synopsis))
	}
	name := words[1]
	if !accounts.ValidName(name) {
		return fail(2, fmt.Errorf("%q: a name is 1 to %d bytes of A-Z a-z 0-9 . _ @ -", name, accounts.MaxNameLen))
	}
	if sub == "remove" {
		if err := accounts.Remove(path, name); err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "removed console operator %s from %s (a session already signed in lasts until it ends)\n", name, path)
		return 0
	}
	password, err := readNewPassword(stdin, stderr, name)
	if err != nil {
		return fail(1, err)
	}
	if *file == "" {
		// Before serve's first run, the data directory is made as serve
		// makes it.
		if err := os.MkdirAll(*data, 0o750); err != nil {
			return fail(1, err)
		}
	}
	existed := hasAccount(path, name)
	_, statErr := os.Stat(path)
	if err := accounts.Add(path, name, password); err != nil {
		return fail(1, err)
	}
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		fmt.Fprintf(stdout, "added console operator %s to %s (a new file, mode 0600)\n", name, path)
	case existed:
		fmt.Fprintf(stdout, "changed the password of console operator %s in %s\n", name, path)
	default:
		fmt.Fprintf(stdout, "added console operator %s to %s\n", name, path)
	}
	return 0
}

// listConsoleUsers prints the accounts' names, one a line.
func listConsoleUsers(path string, stdout, stderr io.Writer) int {
	f, err := accounts.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stderr, "ccfs console-user: there is no accounts file %s yet: ccfs console-user add NAME writes one\n", path)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "ccfs console-user: %v\n", err)
		return 1
	}
	names := f.Names()
	if len(names) == 0 {
		fmt.Fprintf(stderr, "ccfs console-user: %s has no accounts: ccfs console-user add NAME adds one\n", path)
		return 0
	}
	for _, n := range names {
		fmt.Fprintln(stdout, n)
	}
	return 0
}

// hasAccount reports whether the accounts file at path has name, as far
// as it can tell.
func hasAccount(path, name string) bool {
	f, err := accounts.Open(path)
	return err == nil && slices.Contains(f.Names(), name)
}

// readNewPassword reads the password to set: asked twice, without echo,
// on a terminal; else one line of stdin.
func readNewPassword(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "New password for %s (at least %d bytes): ", name, accounts.MinPasswordLen)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "The same again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return string(first), nil
	}
	// One line, bounded: a password longer than Add takes is refused
	// without reading the rest.
	r := bufio.NewReader(io.LimitReader(stdin, accounts.MaxPasswordLen+2))
	line, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if err == io.EOF && len(line) > accounts.MaxPasswordLen {
		return "", fmt.Errorf("the password on standard input is too long: at most %d bytes", accounts.MaxPasswordLen)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input (one line; on a terminal it is asked for)")
	}
	return line, nil
}

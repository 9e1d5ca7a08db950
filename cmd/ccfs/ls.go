package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ccfs-go/ccfs"
)

// lsCmd runs "ccfs ls": the prompts of one VDN, through listFiles (a
// ccfs extension: the server must run with --list-files).
func lsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("ls", "--url URL --ak AK --sk SK --vdn N [--json] [--limit N] [--ca FILE | --insecure]",
		"Lists the prompts uploaded to a VDN the key owns, in the order of their names: name, size and\nmodified time (UTC), or one JSON object a line with --json. It uses listFiles, a ccfs extension:\nthe server must run with --list-files, and the vendor's server has no such interface.\n--limit is how many files each request asks for (1 to 1000; default: the server's, 100); every page is listed.\nThe secret key may also come from the CCFS_SK environment variable.",
		"  ccfs ls --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --insecure --vdn 1\n  ccfs ls --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --insecure --vdn 1 --json", stderr)
	srv := addClientFlags(fl)
	vdn := fl.Int("vdn", 0, "the VDN whose prompts to list (required)")
	asJSON := fl.Bool("json", false, "print one JSON object a line (fileName, size, modified, locationIds) instead of a table")
	limit := fl.Int("limit", 0, "files each request asks for, 1 to 1000 (default: the server's, 100)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	switch {
	case !srv.complete() || *vdn <= 0 || fl.NArg() != 0:
		fmt.Fprintln(stderr, "ccfs ls: need --url, --ak, --sk and --vdn, and no argument (see --help)")
		return 2
	case *limit < 0 || *limit > ccfs.MaxListLimit:
		fmt.Fprintf(stderr, "ccfs ls: --limit %d: give 1 to %d\n", *limit, ccfs.MaxListLimit)
		return 2
	}
	c, err := srv.client(1)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs ls: %v\n", err)
		return 2
	}
	var (
		enc = json.NewEncoder(stdout)
		tw  = tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	)
	enc.SetEscapeHTML(false)
	if !*asJSON {
		fmt.Fprintln(tw, "NAME\tSIZE\tMODIFIED (UTC)")
	}
	n := 0
	for f, err := range c.List(ctx, *vdn, ccfs.ListOptions{PageSize: *limit}) {
		if err != nil {
			tw.Flush()
			srv.failed(stderr, "ls", err)
			return 1
		}
		n++
		if *asJSON {
			enc.Encode(f)
			continue
		}
		// The name escaped where it needs to be: a name from the store
		// cannot forge a line or a column of the table.
		fmt.Fprintf(tw, "%s\t%d\t%s\n", printable(f.FileName), f.Size, f.Modified.UTC().Format(time.RFC3339))
	}
	tw.Flush()
	if !*asJSON {
		fmt.Fprintf(stderr, "%d files\n", n)
	}
	return 0
}

package main

import (
	"context"
	"fmt"
	"io"
)

// deleteCmd runs "ccfs delete": one uploaded file, at every location or
// at one.
func deleteCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("delete", "--url URL --ak AK --sk SK [--location ID] [--ca FILE | --insecure] FILENAME",
		"Deletes a file uploaded before, named as the upload printed it (root prefix included).\nIn a CTI pool, --location deletes only the copy at that location.\nThe secret key may also come from the CCFS_SK environment variable.",
		"  ccfs delete --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --insecure /3rdfile/1/thirdvoicebotfile/8fSsBaEb_1631869974029.wav", stderr)
	srv := addClientFlags(fl)
	location := fl.String("location", "", "CTI pool location to delete at (default: every location)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if !srv.complete() || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "ccfs delete: need --url, --ak, --sk and one FILENAME (see --help)")
		return 2
	}
	c, err := srv.client(1)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs delete: %v\n", err)
		return 2
	}
	if srv.failed(stderr, "delete", c.Delete(ctx, fl.Arg(0), *location)) {
		return 1
	}
	fmt.Fprintf(stdout, "deleted: %s\n", fl.Arg(0))
	return 0
}

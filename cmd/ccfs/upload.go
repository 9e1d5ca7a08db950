package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// uploadCmd runs "ccfs upload": one WAV file, and where the server
// stored it.
func uploadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("upload", "--url URL --ak AK --sk SK --vdn N [--ca FILE | --insecure] FILE.wav",
		"Uploads a WAV file and prints where the server stored it, or its result code and description.\nThe secret key may also come from the CCFS_SK environment variable.",
		"  ccfs upload --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure prompt.wav", stderr)
	srv := addClientFlags(fl).addVDN(fl)
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if !srv.complete() || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "ccfs upload: need --url, --ak, --sk, --vdn and one FILE.wav (see --help)")
		return 2
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "ccfs upload: %v\n", err)
		return 1
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		fmt.Fprintf(stderr, "ccfs upload: %v\n", err)
		return 1
	}
	c, err := srv.client(1)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs upload: %v\n", err)
		return 2
	}
	rd, err := c.UploadFrom(ctx, *srv.vdn, f, fi.Size())
	if srv.failed(stderr, "upload", err) {
		return 1
	}
	fmt.Fprintf(stdout, "fileName: %s\n", rd.FileName)
	if len(rd.LocationID) > 0 {
		fmt.Fprintf(stdout, "locationId: %s\n", strings.Join(rd.LocationID, ", "))
	}
	return 0
}

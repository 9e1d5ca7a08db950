package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
)

func upload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("upload", "--url URL --ak AK --sk SK --vdn N [--insecure] FILE.wav",
		"Uploads a WAV file and prints where the server stored it, or its result code and description.\nThe secret key may also come from the CCFS_SK environment variable.",
		"  ccfs upload --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure prompt.wav", stderr)
	srv := addServerFlags(fl)
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
	rd, err := srv.client(1).UploadFrom(ctx, *srv.vdn, f, fi.Size())
	if failed(stderr, "upload", err) {
		return 1
	}
	fmt.Fprintf(stdout, "fileName: %s\n", rd.FileName)
	if len(rd.LocationID) > 0 {
		fmt.Fprintf(stdout, "locationId: %s\n", strings.Join(rd.LocationID, ", "))
	}
	return 0
}

// failed reports err, if any, on one line: a refusal with its result code
// and description.
func failed(stderr io.Writer, cmd string, err error) bool {
	var ce ccfs.Error
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "ccfs %s: refused: %s %s\n", cmd, ce.Code(), ce.Desc())
	case err != nil:
		fmt.Fprintf(stderr, "ccfs %s: %v\n", cmd, err)
	default:
		return false
	}
	return true
}

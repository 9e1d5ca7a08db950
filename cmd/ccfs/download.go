package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// downloadCmd runs "ccfs download": one recording (or uploaded prompt)
// into a file, written whole or not at all, or to standard output.
func downloadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("download", "--url URL --ak AK --sk SK [--folder] [--ca FILE | --insecure] -o OUT.wav FILEPATH",
		"Downloads a recording (or an uploaded prompt) into OUT.wav; with --folder, FILEPATH is the\nfolder holding the one file to download. OUT.wav appears only once the whole file arrived;\n\"-o -\" writes to standard output. The secret key may also come from the CCFS_SK environment variable.",
		"  ccfs download --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --insecure -o call.wav /voice/1/IVRrecordFile/call.wav", stderr)
	srv := addClientFlags(fl)
	out := fl.String("o", "", "file to write, or - for standard output")
	folder := fl.Bool("folder", false, "FILEPATH is a folder holding exactly one file (downloadFile's mode 1)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if !srv.complete() || fl.NArg() != 1 || *out == "" {
		fmt.Fprintln(stderr, "ccfs download: need --url, --ak, --sk, -o and one FILEPATH (see --help)")
		return 2
	}
	c, err := srv.client(1)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs download: %v\n", err)
		return 2
	}
	get := c.Download
	if *folder {
		get = c.DownloadFolder
	}
	if *out == "-" {
		_, err := get(ctx, fl.Arg(0), stdout)
		if srv.failed(stderr, "download", err) {
			return 1
		}
		return 0
	}
	// Write beside the target and rename at the end: a download cut off
	// midway leaves no partial OUT.wav.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".ccfs-download-*")
	if err != nil {
		fmt.Fprintf(stderr, "ccfs download: %v\n", err)
		return 1
	}
	defer os.Remove(tmp.Name())
	n, err := get(ctx, fl.Arg(0), tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if srv.failed(stderr, "download", err) {
		return 1
	}
	fmt.Fprintf(stdout, "downloaded: %s (%d bytes)\n", *out, n)
	return 0
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
)

func upload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("upload", "--url URL --ak AK --sk SK --vdn N [--insecure] FILE.wav",
		"Uploads a WAV file and prints where the server stored it, or its result code and description.\nThe secret key may also come from the CCFS_SK environment variable.",
		"  ccfs upload --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure prompt.wav", stderr)
	url := fl.String("url", "", "server base URL, such as https://10.22.26.181:28443")
	ak := fl.String("ak", "", "access key")
	sk := fl.String("sk", "", "secret key (default: $CCFS_SK)")
	vdn := fl.Int("vdn", 0, "VDN to upload to")
	insecure := fl.Bool("insecure", false, "do not verify the server's certificate (self-signed dev servers)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if *sk == "" {
		*sk = os.Getenv("CCFS_SK") // not a flag default: --help would print it
	}
	if fl.NArg() != 1 || *url == "" || *ak == "" || *sk == "" || *vdn <= 0 {
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
	hc := &http.Client{}
	if *insecure {
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	c := &ccfs.Client{BaseURL: *url, AccessKey: *ak, SecretKey: *sk, HTTPClient: hc}
	rd, err := c.UploadFrom(ctx, *vdn, f, fi.Size())
	var ce *ccfs.Error
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "ccfs upload: refused: %s %s\n", ce.Code, ce.Desc)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "ccfs upload: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "fileName: %s\n", rd.FileName)
	if len(rd.LocationID) > 0 {
		fmt.Fprintf(stdout, "locationId: %s\n", strings.Join(rd.LocationID, ", "))
	}
	return 0
}

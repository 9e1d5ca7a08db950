package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs/auth"
)

func sign(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("sign", "--ak AK --sk SK --url URL [--method POST] [--body FILE] [--header 'Name: value']...",
		"Prints the auth-v2 Authorization header value for a request, for use with curl.\nThe secret key may also come from the CCFS_SK environment variable.",
		`  body=body.json
  curl --insecure -H 'Content-Type: application/json;charset=UTF-8' \
    -H "Authorization: $(ccfs sign --ak dev-abc --sk SECRET --body $body \
          --header 'Content-Type: application/json;charset=UTF-8' \
          --url 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=1')" \
    --data-binary @$body 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=1'`, stderr)
	ak := fl.String("ak", "", "access key")
	sk := fl.String("sk", "", "secret key (default: $CCFS_SK)")
	url := fl.String("url", "", "the full request URL, with the query")
	method := fl.String("method", "POST", "HTTP method")
	bodyFile := fl.String("body", "", "file holding the request body (default: no body)")
	signed := fl.String("signed-headers", strings.Join(auth.DefaultSignedHeaders(), ";"), "headers to sign, ';'-separated (host is always signed)")
	seconds := fl.Bool("seconds", false, "write the timestamp without milliseconds, as the vendor's demo does")
	explain := fl.Bool("explain", false, "after the header, print what was signed, laid out as `ccfs explain` lays out a server's 401, to diff")
	var headers multiFlag
	fl.Var(&headers, "header", "a request header 'Name: value', exactly as it will be sent (repeatable)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if *sk == "" {
		*sk = os.Getenv("CCFS_SK") // not a flag default: --help would print it
	}
	if fl.NArg() != 0 || *ak == "" || *sk == "" || *url == "" {
		fmt.Fprintln(stderr, "ccfs sign: need --ak, --sk and --url (see --help)")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ccfs sign: %v\n", err)
		return 1
	}
	req, err := http.NewRequest(*method, *url, nil)
	if err != nil {
		return fail(err)
	}
	var body io.ReadSeeker = strings.NewReader("")
	req.ContentLength = 0
	if *bodyFile != "" {
		f, err := os.Open(*bodyFile)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return fail(err)
		}
		req.ContentLength, body = fi.Size(), f
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fail(fmt.Errorf("--header %q is not 'Name: value'", h))
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimLeft(value, " "))
	}
	s := auth.Signer{AccessKey: *ak, SecretKey: *sk, SignedHeaders: strings.Split(*signed, ";"), OmitMillis: *seconds}
	if err := s.SignReader(req, body); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, req.Header.Get("Authorization"))
	if *explain {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return fail(err)
		}
		e, err := auth.ExplainRequest(req, body, *sk)
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(stdout, e)
	}
	return 0
}

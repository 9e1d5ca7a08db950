package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// signCmd runs "ccfs sign": the Authorization header of a request, and
// with --explain each step of its signing.
func signCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("sign", "--ak AK --sk SK --url URL [--body FILE] [--header 'Name: value']... [flags]",
		"Prints the auth-v2 Authorization header value for a request, for use with curl.\n"+
			"By default it signs host and each header given with --header; with neither --header nor\n"+
			"--signed-headers, host only, as the vendor's demo does. The secret key may also come from\n"+
			"the CCFS_SK environment variable. With --explain it also prints each step of the signing,\n"+
			"the signing key included, to compare a client of one's own with.",
		`  body=body.json
  curl --insecure -H 'Content-Type: application/json;charset=UTF-8' \
    -H "Authorization: $(ccfs sign --ak dev-abc --sk SECRET --body $body \
          --header 'Content-Type: application/json;charset=UTF-8' \
          --url 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=1')" \
    --data-binary @$body 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=1'

  ccfs sign --explain --ak AK --sk SK --body body.json \
    --url 'https://10.22.26.181:28443/CCFS/resource/ccfs/ivr/deleteFile'`, stderr)
	keys := addKeyFlags(fl)
	ak, sk := keys.ak, keys.sk
	url := fl.String("url", "", "the full request URL, with the query")
	method := fl.String("method", "POST", "HTTP method")
	bodyFile := fl.String("body", "", "file holding the request body (default: no body)")
	signed := fl.String("signed-headers", "", "the headers to sign, a `list` separated by ';', such as 'content-length;content-type;host';\nhost is always signed (default: host and each --header)")
	seconds := fl.Bool("seconds", false, "write the timestamp without milliseconds, as the vendor's demo does")
	stamp := fl.String("timestamp", "", "sign at this `time`, 2006-01-02T15:04:05.000Z or 2006-01-02T15:04:05Z,\ninstead of now (to reproduce a signature, such as the worked examples of docs/signing.md)")
	explain := fl.Bool("explain", false, "after the header, print each step of the signing: the auth string prefix, the canonical request\nas 'ccfs explain' lays out a server's 401 (to diff), the signing key and the signature")
	var headers multiFlag
	fl.Var(&headers, "header", "a request header `'Name: value'`, exactly as it will be sent (repeatable)")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if !keys.complete() || fl.NArg() != 0 || *url == "" {
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
	names := []string{"host"}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fail(fmt.Errorf("--header %q is not 'Name: value'", h))
		}
		name, value = strings.TrimSpace(name), strings.TrimLeft(value, " ")
		if strings.EqualFold(name, "host") {
			req.Host = value // signed as given, not the URL's
		}
		req.Header.Add(name, value)
		names = append(names, name)
	}
	from, hint := "--header", ""
	if *signed != "" {
		names = strings.Split(*signed, ";")
		from, hint = "--signed-headers", " (names are separated by ';', without spaces)"
	}
	for _, given := range names {
		n := strings.ToLower(given)
		if n == "" || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~") != "" {
			return fail(fmt.Errorf("%s: %q is not a header name%s", from, given, hint))
		}
		if n != "host" && n != "content-length" && req.Header.Values(n) == nil {
			return fail(fmt.Errorf("--signed-headers names %q, but no --header gives its value (add --header '%s: …' exactly as it will be sent)", given, given))
		}
	}
	s := auth.Signer{AccessKey: *ak, SecretKey: *sk, SignedHeaders: names, OmitMillis: *seconds}
	if *stamp != "" {
		at, withMillis, err := parseTimestampFlag(*stamp)
		if err != nil {
			return fail(err)
		}
		if *seconds && withMillis {
			return fail(fmt.Errorf("--seconds, but --timestamp %q has milliseconds: give one or the other", *stamp))
		}
		s.Now, s.OmitMillis = func() time.Time { return at }, !withMillis
	}
	if err := s.SignReader(req, body); err != nil {
		return fail(errors.New(strings.TrimPrefix(err.Error(), "auth: ")))
	}
	authorization := req.Header.Get("Authorization")
	fmt.Fprintln(stdout, authorization)
	if *explain {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return fail(err)
		}
		e, err := auth.ExplainRequest(req, body, *sk)
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(stdout, e)
		fmt.Fprintf(stdout, "signingKey (HMAC-SHA256 of authStringPrefix keyed with the secret key, in hex; a server never shows it): %s\n",
			auth.SigningKey(*sk, e.AuthStringPrefix))
		fmt.Fprintf(stdout, "signature (HMAC-SHA256 of the canonical request with its body, keyed with the signingKey's 64 hex characters): %s\n",
			authorization[strings.LastIndexByte(authorization, '/')+1:])
	}
	return 0
}

// parseTimestampFlag reads --timestamp in either form a server accepts,
// and reports whether it has milliseconds.
func parseTimestampFlag(s string) (time.Time, bool, error) {
	for _, layout := range []string{auth.TimestampFormat, auth.TimestampFormatSeconds} {
		if t, err := time.Parse(layout, s); err == nil && t.Format(layout) == s {
			return t, layout == auth.TimestampFormat, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("--timestamp %q is neither 2006-01-02T15:04:05.000Z nor 2006-01-02T15:04:05Z (UTC, with the Z)", s)
}

package main

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/testkit/refclient"
)

// compatClient is one way real clients sign and format requests.
type compatClient struct {
	v           refclient.Variant
	contentType string
	host        string // the Host header; "" the server's address
}

// send sends r as c does, signed with sk at the system clock, to the
// node over TLS, writing the whole request before reading the answer.
func (c compatClient) send(t *testing.T, n *node, ak, sk string, r refclient.Request) (int, ccfs.Response, []byte) {
	t.Helper()
	u, _ := url.Parse(n.base)
	host := c.host
	if host == "" {
		host = u.Host
	}
	r.Headers = [][2]string{{"Host", host}, {"Content-Type", c.contentType}}
	if c.v.AuthorizationName == "authorization" { // this client writes every name in lower case
		r.Headers = [][2]string{{"host", host}, {"content-type", c.contentType}, {"content-length", itoa(len(r.Body))}}
	}
	authorization, _ := refclient.Sign(ak, sk, signingTime(), r, c.v)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	resp, body, err := refclient.Send(conn, r.Wire(c.v, authorization))
	if err != nil {
		t.Fatalf("%s: %v", c.v.Name, err)
	}
	var out ccfs.Response
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v: %q", c.v.Name, err, body)
		}
	}
	return resp.StatusCode, out, body
}

// signingTime is the compatibility clients' clock: a second later at each
// request, as a client signing to the second must sign a request it
// repeats (docs/signing.md, "Replays and retries").
var signingTime = func() func() time.Time {
	var mu sync.Mutex
	at := time.Now()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Second)
		return at
	}
}()

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func small(path string, msgBody any) refclient.Request {
	body, _ := json.Marshal(map[string]any{"request": map[string]string{"version": "2.0"}, "msgBody": msgBody})
	return refclient.Request{Path: path, Body: body}
}

// Each way real clients sign and format their requests uploads, downloads
// and deletes against `ccfs serve` with its default flags, each through a
// client written here from the specification (internal/testkit/refclient).
func TestCompatibleClients(t *testing.T) {
	n := startNode(t, nil, "--data", t.TempDir(), "--rate", "0", "--root", "Y:")
	const json, spaced = "application/json;charset=UTF-8", "application/json; charset=utf-8"
	clients := []compatClient{
		{v: refclient.Demo, contentType: json},                    // the vendor's demo: host only, seconds, no query line
		{v: refclient.Page, contentType: json},                    // the CC-FS page: three headers, milliseconds
		{v: refclient.EmptyQuery, contentType: json},              // the public ports: an empty query line
		{v: refclient.LowerCase, contentType: json},               // every header name in lower case
		{v: refclient.Page, contentType: spaced},                  // a space before charset, utf-8 in lower case
		{v: refclient.Demo, contentType: json, host: "127.0.0.1"}, // a Host header without the port
	}
	wav := alaw(4000)
	for _, c := range clients {
		name := c.v.Name + " " + c.contentType + " " + c.host
		up := small(ccfs.UploadPath, map[string]string{"data": base64.StdEncoding.EncodeToString(wav)})
		up.Query = "vdnId=1"
		status, resp, body := c.send(t, n, n.ak, n.sk, up)
		if status != 200 || resp.ResultCode != ccfs.SuccessCode || resp.ResultData == nil {
			t.Fatalf("%s: upload: %d %s", name, status, body)
		}
		file := resp.ResultData.FileName
		status, _, body = c.send(t, n, n.ak, n.sk, small(ccfs.DownloadPath, map[string]string{"filePath": file}))
		if status != 200 || string(body) != string(wav) {
			t.Fatalf("%s: download: %d, %d bytes", name, status, len(body))
		}
		status, resp, body = c.send(t, n, n.ak, n.sk, small(ccfs.DeletePath, map[string]string{"fileName": file}))
		if status != 200 || resp.ResultCode != ccfs.SuccessCode {
			t.Fatalf("%s: delete: %d %s", name, status, body)
		}
		status, resp, _ = c.send(t, n, n.ak, n.sk, small(ccfs.DownloadPath, map[string]string{"filePath": file}))
		if resp.ResultCode != ccfs.ErrNoSuchFile.Code() {
			t.Fatalf("%s: download after the delete: %d %+v", name, status, resp)
		}
	}
	// mode written as the string "1": the one file of a folder (every
	// file uploaded above is deleted).
	c := clients[0]
	up := small(ccfs.UploadPath, map[string]string{"data": base64.StdEncoding.EncodeToString(wav)})
	up.Query = "vdnId=1"
	if _, resp, body := c.send(t, n, n.ak, n.sk, up); resp.ResultData == nil {
		t.Fatalf("upload: %s", body)
	}
	status, _, body := c.send(t, n, n.ak, n.sk, small(ccfs.DownloadPath, map[string]string{"filePath": "Y:/3rdfile/1/thirdvoicebotfile", "mode": "1"}))
	if status != 200 || string(body) != string(wav) {
		t.Fatalf(`mode "1": %d %.200s`, status, body)
	}
}

// A wrong secret is answered with what the server signed, and `ccfs
// explain` lays it out exactly as `ccfs sign --explain` lays out what the
// client signed: the two diff clean.
func TestExplainDiffsWithSign(t *testing.T) {
	n := startNode(t, nil, "--data", t.TempDir(), "--rate", "0")
	wav := alaw(1000)
	up := small(ccfs.UploadPath, map[string]string{"data": base64.StdEncoding.EncodeToString(wav)})
	bodyFile := writeFile(t, "body.json", up.Body)
	target := n.base + ccfs.UploadPath + "?vdnId=1"
	code, out, errs := runCmd(t, "sign", "--ak", n.ak, "--sk", "not-the-secret", "--url", target, "--body", bodyFile,
		"--header", "Content-Type: application/json;charset=UTF-8", "--signed-headers", "content-length;content-type;host", "--explain")
	if code != 0 {
		t.Fatalf("sign --explain: %d %s", code, errs)
	}
	authorization, clientSide, _ := strings.Cut(out, "\n")
	// The signing key and signature follow; a server shows neither.
	if i := strings.Index(clientSide, "\nsigningKey "); i >= 0 {
		clientSide = clientSide[:i+1]
	}
	u, _ := url.Parse(target)
	r := refclient.Request{Path: u.Path, Query: u.RawQuery, Body: up.Body,
		Headers: [][2]string{{"Host", u.Host}, {"Content-Type", "application/json;charset=UTF-8"}}}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, answer, err := refclient.Send(conn, r.Wire(refclient.Page, authorization))
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("%v %v %s", resp, err, answer)
	}
	code, serverSide, errs := runCmd(t, "explain", writeFile(t, "answer.json", answer))
	if code != 0 {
		t.Fatalf("explain: %d %s", code, errs)
	}
	if serverSide != clientSide || !strings.Contains(serverSide, "|vdnId=1|\n|content-length;content-type;host|\n") {
		t.Fatalf("the server signed:\n%s\nthe client:\n%s", serverSide, clientSide)
	}
	// An answer that is not a mismatch says so.
	if code, _, errs := runCmd(t, "explain", writeFile(t, "ok.json", []byte(`{"resultCode":"0300014","resultDesc":"flow-control threshold reached"}`))); code != 1 || !strings.Contains(errs, "does not say what the server signed") {
		t.Fatalf("explain of a 0300014: %d %s", code, errs)
	}
}

// --signed-headers requires more than host; the refusal names what is
// missing.
func TestServeSignedHeadersFlag(t *testing.T) {
	n := startNode(t, nil, "--data", t.TempDir(), "--rate", "0", "--signed-headers", "content-type;content-length")
	c := compatClient{v: refclient.Demo, contentType: "application/json;charset=UTF-8"}
	status, resp, _ := c.send(t, n, n.ak, n.sk, small(ccfs.DownloadPath, map[string]string{"filePath": "/voice/1/IVRrecordFile/x.wav"}))
	if status != 401 || !strings.Contains(resp.ResultDesc, "content-length must be signed") {
		t.Fatalf("host only against --signed-headers: %d %+v", status, resp)
	}
	c.v = refclient.Page
	if _, resp, _ := c.send(t, n, n.ak, n.sk, small(ccfs.DownloadPath, map[string]string{"filePath": "/voice/1/IVRrecordFile/x.wav"})); resp.ResultCode != ccfs.ErrNoSuchFile.Code() {
		t.Fatalf("three headers: %+v", resp)
	}
}

package ccfs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/testkit/refclient"
)

// sendRaw sends r, signed by the reference client as v says with sk at
// the handler's clock, over a connection of its own that writes the whole
// request before it reads the answer. It returns the answer's status and
// JSON, and what the client signed.
func (e *env) sendRaw(t *testing.T, r refclient.Request, v refclient.Variant, sk string) (int, ccfs.Response, refclient.Signed) {
	t.Helper()
	conn, host := dial(t, e.srv)
	defer conn.Close()
	r.Headers = append([][2]string{{"Host", host}}, r.Headers...)
	authorization, signed := refclient.Sign(testAK, sk, e.clock(), r, v)
	resp, body, err := refclient.Send(conn, r.Wire(v, authorization))
	if err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	var out ccfs.Response
	if resp.Header.Get("Content-Type") == "application/json;charset=UTF-8" {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v: %q", v.Name, err, body)
		}
	} else {
		out.ResultCode = ccfs.SuccessCode // a downloaded file
	}
	return resp.StatusCode, out, signed
}

func smallRequest(path, msgBody string) refclient.Request {
	return refclient.Request{
		Path:    path,
		Headers: [][2]string{{"Content-Type", "application/json;charset=UTF-8"}},
		Body:    deleteBody(msgBody),
	}
}

// Every variant real clients sign in gets in, on deleteFile and
// downloadFile, with the handler's default options; the Event and the
// log line say when the empty query line was the one that held.
func TestClientVariantsGetIn(t *testing.T) {
	variants := []refclient.Variant{refclient.Demo, refclient.Page, refclient.EmptyQuery, refclient.LowerCase}
	for _, v := range variants {
		e := newEnv(t, nil)
		seed(t, e.mem)
		status, resp, _ := e.sendRaw(t, smallRequest(ccfs.DownloadPath, `{"filePath":"Y:/`+recording53+`"}`), v, testSK)
		if status != 200 || resp.ResultCode != ccfs.SuccessCode {
			t.Fatalf("%s: download: %d %+v", v.Name, status, resp)
		}
		if ev := e.waitEvent(t); ev.EmptyQueryLine != v.EmptyQueryLine || !ev.KeyVerified {
			t.Fatalf("%s: download's Event: %+v", v.Name, ev)
		}
		status, resp, _ = e.sendRaw(t, smallRequest(ccfs.DeletePath, `{"fileName":"Y:/`+prompt53+`"}`), v, testSK)
		if status != 200 || resp.ResultCode != ccfs.SuccessCode {
			t.Fatalf("%s: delete: %d %+v", v.Name, status, resp)
		}
		if got := strings.Contains(e.logs.String(), `"emptyQueryLine":true`); got != v.EmptyQueryLine {
			t.Fatalf("%s: emptyQueryLine in the log: %v\n%s", v.Name, got, e.logs.String())
		}
	}
}

// A signature that does not match is answered with what the server
// signed, byte for byte what the reference client signed; with
// TerseSignatureErrors, with the bare code.
func TestMismatchAnswerSaysWhatWasSigned(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	for _, v := range []refclient.Variant{refclient.Demo, refclient.Page} {
		status, resp, signed := e.sendRaw(t, smallRequest(ccfs.DeletePath, `{"fileName":"Y:/`+prompt53+`"}`), v, "not-the-secret")
		s := resp.ServerSigned
		if status != 401 || resp.ResultCode != ccfs.ErrAuth.Code() || s == nil {
			t.Fatalf("%s: %d %+v", v.Name, status, resp)
		}
		if s.AuthStringPrefix != signed.Prefix || s.CanonicalRequest != signed.Head || s.BodyLength != int64(len(signed.Body)) ||
			!strings.HasPrefix(signed.Body, s.BodyStart) || !s.EmptyQueryLineAlsoAccepted {
			t.Fatalf("%s: the server signed\n%s\nthe client %q %q", v.Name, s, signed.Prefix, signed.Head)
		}
		if strings.Contains(e.logs.String(), testSK) {
			t.Fatal("the secret is in the log")
		}
	}
	if _, ok := e.mem.Get(prompt53); !ok {
		t.Fatal("a refused delete removed the file")
	}
	terse := newEnv(t, func(o *ccfs.Options) { o.TerseSignatureErrors = true })
	status, resp, _ := terse.sendRaw(t, smallRequest(ccfs.DeletePath, `{"fileName":"Y:/`+prompt53+`"}`), refclient.Demo, "not-the-secret")
	if status != 401 || resp.ServerSigned != nil || resp.ResultDesc != "authentication failed: the signature does not match" {
		t.Fatalf("terse: %d %+v", status, resp)
	}
}

// Only host must be signed unless the operator says otherwise, and then
// the refusal names the header.
func TestSignedHeadersOption(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.SignedHeaders = []string{"content-type"} })
	seed(t, e.mem)
	status, resp, _ := e.sendRaw(t, smallRequest(ccfs.DownloadPath, `{"filePath":"Y:/`+recording53+`"}`), refclient.Demo, testSK)
	if status != 401 || resp.ResultCode != ccfs.ErrAuth.Code() || !strings.Contains(resp.ResultDesc, "content-type must be signed") {
		t.Fatalf("host only, content-type required: %d %+v", status, resp)
	}
}

// The Event of a refused signature says what the server signed, for an
// upload as for the small interfaces, as the 401 does; and still does
// under TerseSignatureErrors, whose 401 does not.
func TestEventSaysWhatWasSigned(t *testing.T) {
	e := newEnv(t, nil)
	c := &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: "not-the-secret", Now: e.clock}
	_, err := c.Upload(context.Background(), 53, validWAV)
	var ce ccfs.Error
	if !errors.As(err, &ce) || ce.ServerSigned() == nil {
		t.Fatalf("upload with a wrong secret: %v", err)
	}
	e.mu.Lock()
	ev := e.event
	e.mu.Unlock()
	if ev.Code != ccfs.ErrAuth.Code() || ev.ServerSigned == nil || ev.ServerSigned.String() != ce.ServerSigned().String() {
		t.Fatalf("the upload's Event: %+v, want serverSigned\n%s", ev, ce.ServerSigned())
	}

	// Under TerseSignatureErrors the answer says nothing of it, and the
	// Event, for the operator, still does.
	e = newEnv(t, func(o *ccfs.Options) { o.TerseSignatureErrors = true })
	c = &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: "not-the-secret", Now: e.clock}
	_, err = c.Upload(context.Background(), 53, validWAV)
	if !errors.As(err, &ce) || ce.Code() != ccfs.ErrAuth.Code() || ce.ServerSigned() != nil {
		t.Fatalf("a terse upload's answer: %v, %+v", err, ce.ServerSigned())
	}
	e.mu.Lock()
	ev = e.event
	e.mu.Unlock()
	if ev.ServerSigned == nil || !strings.Contains(ev.ServerSigned.CanonicalRequest, ccfs.UploadPath) {
		t.Fatalf("a terse upload's Event: %+v", ev)
	}
}

package ccfs_test

// ServeHTTP's answers whatever the interface: their shape, the request ID,
// the log line, and the replay check every request passes.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// TestResponseShape checks the JSON exactly: key order, no locationId
// outside a pool, no resultData on failure.
func TestResponseShape(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.RootPrefix = "" })
	b := body(b64(validWAV))
	hr, _ := http.NewRequest("POST", e.srv.URL+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(b))
	hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	(&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).Sign(hr, b)
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	re := regexp.MustCompile(`^\{"resultCode":"0","resultDesc":"success","resultData":\{"fileName":"/3rdfile/53/thirdvoicebotfile/[A-Za-z0-9]{8}_\d{13}\.wav"\}\}$`)
	if !re.Match(raw) {
		t.Fatalf("response %s", raw)
	}
	_, fail, _ := e.do(req{body: body("")})
	if out, _ := json.Marshal(fail); !regexp.MustCompile(`^\{"resultCode":"0300002","resultDesc":"[^"]+"\}$`).Match(out) {
		t.Fatalf("failure %s", out)
	}
}

func TestReplayRefused(t *testing.T) {
	e := newEnv(t, nil)
	b := body(b64(validWAV))
	hr, _ := http.NewRequest("POST", e.srv.URL+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(b))
	hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	(&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).Sign(hr, b)
	for i, want := range []string{"0", ccfs.ErrReplay.Code()} {
		r := hr.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(b))
		resp, err := e.srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var out ccfs.Response
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if out.ResultCode != want {
			t.Fatalf("attempt %d: %+v", i+1, out)
		}
	}
	if len(e.mem.Names()) != 1 {
		t.Fatalf("stored %v", e.mem.Names())
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t, nil)
	e.do(req{body: body(b64(validWAV))})
	e.do(req{body: body(b64(validWAV)), sk: "nope", ak: testAK})
	e.do(req{body: body("UklGRg")})
	logs := e.logs.String()
	if strings.Count(logs, "\n") != 3 {
		t.Fatalf("want one line per request:\n%s", logs)
	}
	for _, secret := range []string{testSK, "nope", b64(validWAV)[:40], "auth-v2/"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q", secret)
		}
	}
}

type downReplay struct{}

func (downReplay) Add(context.Context, auth.ReplayEntry) error {
	return fmt.Errorf("%w: redis: connection refused", auth.ErrReplayUnavailable)
}

// TestReplayCacheDown: the upload is refused (fail closed) with 0300017,
// the cause goes to the log, and nothing is stored.
func TestReplayCacheDown(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Replay = downReplay{} })
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrReplayUnavailable.Code() || strings.Contains(resp.ResultDesc, "redis") {
		t.Fatalf("%+v", resp)
	}
	if len(e.mem.Names()) != 0 || !strings.Contains(e.logs.String(), "connection refused") {
		t.Fatal("stored, or the cause is not logged")
	}
}

// TestRequestID: the balancer's X-Request-ID is kept when usable, made
// otherwise, and the same ID is in the answer's header, the Event and
// the log line.
func TestRequestID(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct{ sent, want string }{
		{"lb-7f3a9c:42", "lb-7f3a9c:42"},
		{"", ""},
		{strings.Repeat("a", 129), ""},
		{"two words", ""},
		{"quote\"d", ""},
		{"ünicode", ""},
	} {
		_, _, hdr := e.do(req{body: body(b64(validWAV)), edit: func(r *http.Request) {
			if tt.sent != "" {
				r.Header.Set("X-Request-ID", tt.sent)
			}
		}})
		got := hdr.Get("X-Request-ID")
		if tt.want != "" && got != tt.want || tt.want == "" && !regexp.MustCompile(`^[A-Z2-7]{26}$`).MatchString(got) {
			t.Errorf("sent %q: answer's X-Request-ID %q", tt.sent, got)
		}
		if e.event.RequestID != got || !strings.Contains(e.logs.String(), `"requestId":"`+got+`"`) {
			t.Errorf("sent %q: Event %q, or not in the log", tt.sent, e.event.RequestID)
		}
	}
}

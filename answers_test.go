package ccfs_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
)

// TestAnswersNameTheVDNAndThePath: on every interface, a VDN the key may
// not use is named in the answer (0300013), and a path that names no file
// is quoted as the caller sent it (0300021): Go-quoted, so a quote or an
// invisible character in it cannot forge the answer or a log line, and
// cut after 200 bytes.
func TestAnswersNameTheVDNAndThePath(t *testing.T) {
	upload := func(vdn string) req { return req{query: "vdnId=" + vdn, body: body(b64(validWAV))} }
	del := func(fileName string) req {
		return req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":` + jsonString(fileName) + `}`)}
	}
	get := func(filePath, mode string) req {
		return req{path: ccfs.DownloadPath, body: downloadBody(filePath, mode)}
	}
	// é is 2 bytes: after 33 bytes of prefix the 200th byte is inside one,
	// which the answer leaves out whole; after 26, it ends one.
	long := "Y:/3rdfile/53/thirdvoicebotfile/x" + strings.Repeat("é", 100) + ".wav"
	longShown := `"` + long[:199] + `"…`
	tests := []struct {
		name   string
		r      req
		status int
		code   string
		desc   string
	}{
		{"upload, a VDN not the key's", upload("55"), 401, ccfs.ErrVDNForbidden.Code(), "the access key may not use VDN 55"},
		{"upload, another key's VDN", upload("99"), 401, ccfs.ErrVDNForbidden.Code(), "the access key may not use VDN 99"},
		{"delete, another key's VDN", del("Y:/" + prompt99), 401, ccfs.ErrVDNForbidden.Code(), "the access key may not use VDN 99"},
		{"download, another key's VDN", get("Y:/"+recording99, ""), 401, ccfs.ErrVDNForbidden.Code(), "the access key may not use VDN 99"},
		{"download, another key's folder", get("Y:/voice/99/IVRrecordFile", "1"), 401, ccfs.ErrVDNForbidden.Code(), "the access key may not use VDN 99"},

		{"delete, no such file", del("Y:/3rdfile/53/thirdvoicebotfile/nothere.wav"), 200, ccfs.ErrNoSuchFile.Code(),
			`the file does not exist: "Y:/3rdfile/53/thirdvoicebotfile/nothere.wav"`},
		{"download, no such file", get("Y:/voice/53/IVRrecordFile/none.wav", ""), 200, ccfs.ErrNoSuchFile.Code(),
			`the file does not exist: "Y:/voice/53/IVRrecordFile/none.wav"`},
		{"download, no such folder", get("Y:/voice/53/IVRrecordFile/none", "1"), 200, ccfs.ErrNoSuchFile.Code(),
			`the folder does not exist: "Y:/voice/53/IVRrecordFile/none"`},
		{"download, a folder without mode 1", get("Y:/voice/53/IVRrecordFile/single", ""), 200, ccfs.ErrNoSuchFile.Code(),
			`the file does not exist: "Y:/voice/53/IVRrecordFile/single" names a folder (mode 1 downloads the one file in a folder)`},
		{"delete, quotes and an invisible character", del("Y:/3rdfile/53/thirdvoicebotfile/a\".wav\u202e\"x"), 200, ccfs.ErrNoSuchFile.Code(),
			`the file does not exist: "Y:/3rdfile/53/thirdvoicebotfile/a\".wav\u202e\"x"`},
		{"download, quotes and an invisible character", get("Y:/voice/53/IVRrecordFile/a\".wav\u202e\"x", ""), 200, ccfs.ErrNoSuchFile.Code(),
			`the file does not exist: "Y:/voice/53/IVRrecordFile/a\".wav\u202e\"x"`},
		{"delete, a long path", del(long), 200, ccfs.ErrNoSuchFile.Code(), "the file does not exist: " + longShown},
		{"download, a long path", get("Y:/voice/53/IVRrecordFile/"+strings.Repeat("é", 100), ""), 200, ccfs.ErrNoSuchFile.Code(),
			"the file does not exist: " + `"` + ("Y:/voice/53/IVRrecordFile/" + strings.Repeat("é", 100))[:200] + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			seed(t, e.mem)
			status, resp, _ := e.do(tt.r)
			if status != tt.status || resp.ResultCode != tt.code || resp.ResultDesc != tt.desc {
				t.Fatalf("got %d %s %q\nwant %d %s %q", status, resp.ResultCode, resp.ResultDesc, tt.status, tt.code, tt.desc)
			}
			if e.event.Desc != tt.desc {
				t.Fatalf("the log line's description %q", e.event.Desc)
			}
		})
	}
}

// TestRequestIDOnEveryAnswer: every answer of every interface carries
// X-Request-ID — successes, a downloaded file, 401s, refusals before the
// body, the rate limit, a wrong method or path — and it is the one the
// Event and the log line carry.
func TestRequestIDOnEveryAnswer(t *testing.T) {
	var cases []smallCase
	for _, p := range []struct{ path, valid string }{
		{ccfs.DeletePath, `{"fileName":"Y:/` + prompt53 + `"}`},
		{ccfs.DownloadPath, `{"filePath":"Y:/` + recording53 + `"}`},
	} {
		for _, c := range commonCases(p.path, p.valid) {
			c.name = p.path + " " + c.name
			cases = append(cases, c)
		}
	}
	wav := body(b64(validWAV))
	cases = append(cases,
		smallCase{name: "upload", r: req{body: wav}, code: "0"},
		smallCase{name: "upload, bad vdnId", r: req{query: "vdnId=x", body: wav}, code: ccfs.ErrFormat.Code()},
		smallCase{name: "upload, wrong secret", r: req{body: wav, ak: testAK, sk: "wrong"}, code: ccfs.ErrAuth.Code()},
		smallCase{name: "upload, unknown key", r: req{body: wav, ak: "nobody", sk: "x"}, code: ccfs.ErrAuth.Code()},
		smallCase{name: "upload, signed too long ago", r: req{body: wav, signedAt: t0.Add(-time.Hour)}, code: ccfs.ErrTimestamp.Code()},
		smallCase{name: "upload, GET", r: req{method: "GET"}, code: ccfs.ErrMethod.Code()},
		smallCase{name: "no such interface", r: req{path: "/CCFS/resource/ccfs/ivr/nothing", body: wav}, code: ccfs.ErrNotFound.Code()},
	)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			seed(t, e.mem)
			id := "lb-" + string(rune('a'+i%26)) + "-42"
			edit := c.r.edit
			c.r.edit = func(r *http.Request) {
				if edit != nil {
					edit(r)
				}
				r.Header.Set("X-Request-ID", id)
			}
			resp := e.send(c.r)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("X-Request-ID"); got != id {
				t.Fatalf("%d answer: X-Request-ID %q, want %q", resp.StatusCode, got, id)
			}
			if ev := e.waitEvent(t); ev.RequestID != id {
				t.Fatalf("Event's RequestID %q, want %q", ev.RequestID, id)
			}
		})
	}
	// The rate limit's refusal, and a downloaded file.
	e := newEnv(t, func(o *ccfs.Options) { o.RatePerKey, o.Burst = rate.Every(time.Hour), 1 })
	seed(t, e.mem)
	for _, want := range []string{"0", ccfs.ErrRateLimited.Code()} {
		resp := e.send(req{path: ccfs.DownloadPath, body: downloadBody("Y:/"+recording53, ""),
			edit: func(r *http.Request) { r.Header.Set("X-Request-ID", "lb-"+want) }})
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code := "0"
		if resp.Header.Get("Content-Type") == "application/json;charset=UTF-8" {
			var out ccfs.Response
			json.Unmarshal(raw, &out)
			code = out.ResultCode
		}
		if code != want || resp.Header.Get("X-Request-ID") != "lb-"+want {
			t.Fatalf("%s answer: X-Request-ID %q, want %q", code, resp.Header.Get("X-Request-ID"), "lb-"+want)
		}
	}
}

// TestClientPagesStateTheLimits keeps the client pages in step with the
// defaults: each states the rate a key gets, what 0300014 and
// Retry-After mean, and that X-Request-ID is the thing to quote.
func TestClientPagesStateTheLimits(t *testing.T) {
	for _, page := range []string{"docs/upload-file.md", "docs/delete-file.md", "docs/download-file.md"} {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(raw)), " ")
		for _, want := range []string{
			fmt.Sprintf("may start %v requests a second", float64(ccfs.DefaultRatePerKey)),
			fmt.Sprintf("bursts of up to %d at once", ccfs.DefaultBurst),
			fmt.Sprintf("%d a key by default", ccfs.DefaultMaxInFlightPerKey),
			"`0300014`", "`Retry-After` header: the whole seconds until the key may start its next request",
			"carries an `X-Request-ID` header", "quote it to the operator",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %q", page, want)
			}
		}
	}
}

// TestResultCodesPageRateIsEveryInterfaces: the rate 0300014 speaks of is
// spent by a key's verified uploads, deletes and downloads together, and
// result-codes.md says so where it lists what a stranger learns, as the
// client pages and its own table do.
func TestResultCodesPageRateIsEveryInterfaces(t *testing.T) {
	raw, err := os.ReadFile("docs/result-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(raw)), " ")
	for _, stale := range []string{"upload rate", "verified uploads spend"} {
		if strings.Contains(text, stale) {
			t.Errorf("docs/result-codes.md says %q: every interface spends the rate", stale)
		}
	}
	if want := "only the key's own verified requests (uploads, deletes and downloads) spend it"; !strings.Contains(text, want) {
		t.Errorf("docs/result-codes.md does not say %q", want)
	}
}

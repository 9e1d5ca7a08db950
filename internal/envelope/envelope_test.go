package envelope_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/internal/envelope"
	"github.com/ccfs-go/ccfs/internal/testkit/steps"
)

type result struct {
	version    string
	hasVersion bool
	data       string
	hasData    bool
	tooLong    bool
	err        error
}

func scan(body []byte, step int) result {
	var data bytes.Buffer
	s := &envelope.Scanner{Data: &data}
	var err error
	for rest := body; len(rest) > 0 && err == nil; {
		n := min(step, len(rest))
		_, err = s.Write(rest[:n])
		rest = rest[n:]
	}
	if err == nil {
		err = s.Close()
	}
	v, hv := s.Version()
	return result{v, hv, data.String(), s.HasData(), s.VersionTooLong(), err}
}

// read reads body through a Reader, step bytes at a time from below, into
// buffers of out bytes.
func read(body []byte, step, out int) result {
	r := envelope.NewReader(steps.Reader(body, step))
	var data []byte
	buf := make([]byte, out)
	var err error
	for {
		var n int
		n, err = r.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	s := r.Scanner()
	v, hv := s.Version()
	return result{v, hv, string(data), s.HasData(), s.VersionTooLong(), err}
}

// sameResult reports whether a Reader's result matches the Scanner's: both
// fail, or both succeed with the same data and fields.
func sameResult(a, b result) bool {
	if a.err != nil || b.err != nil {
		return a.err != nil && b.err != nil
	}
	return a.data == b.data && a.version == b.version &&
		a.hasData == b.hasData && a.hasVersion == b.hasVersion && a.tooLong == b.tooLong
}

// TestReaderAgreesWithScanner: a Reader gives the data and fields the
// Scanner does, whatever the sizes of the reads below and above it,
// escapes split across reads included.
func TestReaderAgreesWithScanner(t *testing.T) {
	bodies := []string{
		`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`,
		`{"msgBody":{"data":"Ukl\/Rg\u003d\u003D\u00e9\ud83d\ude00"},"request":{"version":"2.0"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"data":"é😀ab"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"data":"AAAA"}`,
		`{"request":{"version":"2.0"},"msgBody":{"data":"AA` + "\n" + `AA"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"data":"` + strings.Repeat("QUJD", 20000) + `"}}`,
		``,
	}
	for _, body := range bodies {
		want := scan([]byte(body), len(body)+1)
		for _, step := range []int{1, 2, 3, 7, 1000, 1 << 20} {
			for _, out := range []int{1, 2, 3, 4, 5, 100, 32 << 10} {
				if got := read([]byte(body), step, out); !sameResult(got, want) {
					t.Fatalf("%.80s… (steps of %d, reads of %d):\n reader  %+v\n scanner %+v", body, step, out, got, want)
				}
			}
		}
	}
}

func TestAccepted(t *testing.T) {
	tests := []struct {
		body, version, data string
	}{
		{`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`, "2.0", "UklGRg=="},
		{` { "msgBody" : { "data" : "UklG" , "x":[1,2,{"data":"no"}]} , "request" : { "version" : "2.0" } } `, "2.0", "UklG"},
		{`{"request":{"v":1,"version":"2.0","more":{"version":"x"}},"msgBody":{"data":"Ukl\/Rg\u003d\u003D"},"data":"top"}`, "2.0", "Ukl/Rg=="},
		{`{"\u0072equest":{"version":"2.0"},"msgBody":{"dat\u0061":"AAAA"}}`, "2.0", "AAAA"},
		{`{"request":{"version":"2.0"},"msgBody":{"data":""}}`, "2.0", ""},
		{`{"x":-0.5e+10,"y":[true,false,null,"\ud83d\ude00",""],"z":{},"request":{"version":"é"},"msgBody":{"data":"A"}}`, "é", "A"},
		{"{\"request\":{\"version\":\"2.0\"},\"msgBody\":{\"data\":\"AAAA\"}}\n", "2.0", "AAAA"},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 2, 7, 1000} {
			r := scan([]byte(tt.body), step)
			if r.err != nil || r.version != tt.version || r.data != tt.data || !r.hasData || !r.hasVersion {
				t.Errorf("%s (step %d): %+v", tt.body, step, r)
			}
		}
	}
	r := scan([]byte(`{"request":{"version":null},"msgBody":null}`), 3)
	if r.err != nil || r.hasVersion || r.hasData {
		t.Errorf("nulls: %+v", r)
	}
	r = scan([]byte(`{"request":{"version":"`+strings.Repeat("9", 40)+`"}}`), 5)
	if r.err != nil || !r.tooLong {
		t.Errorf("long version: %+v", r)
	}
}

func TestRefused(t *testing.T) {
	for _, body := range []string{
		``, ` `, `[]`, `"x"`, `{`, `{"request":{"version":"2.0"}`, `{"a":1}}`, `{"a":1} x`, `{"a":1}{}`,
		`{"request":{"version":"2.0"},"request":{}}`,
		`{"msgBody":{"data":"A","data":"B"}}`,
		`{"msgBody":{"data":"A"},"msgBody":{}}`,
		`{"request":{"version":"1","version":"2"}}`,
		`{"request":"2.0"}`, `{"request":[]}`, `{"msgBody":{"data":1}}`, `{"msgBody":{"data":["A"]}}`, `{"request":{"version":2.0}}`,
		`{"msgBody":{"data":"AA\nAA"}}`, `{"msgBody":{"data":"AA\rAA"}}`,
		`{"a":"` + "\x01" + `"}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`,
		`{"a":"` + "\xff" + `"}`, `{"a":"` + "\xc3" + `"}`, `{"a":"` + "\xed\xa0\x80" + `"}`,
		`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`, `{"a":+1}`, `{"a":tru}`, `{"a":nul}`, `{"a":True}`,
		`{"a" 1}`, `{a:1}`, `{"a":1,}`, `{"a":[1,]}`, `{,"a":1}`, `{"a":1 "b":2}`, `{'a':1}`,
		strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70),
		`{"a":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`,
	} {
		for _, step := range []int{1, 3, 1000} {
			if r := scan([]byte(body), step); r.err == nil {
				t.Errorf("%.60q (step %d) accepted", body, step)
			}
		}
	}
}

// member returns the value of key in the JSON object obj, with the key
// compared exactly as written once unescaped, and whether it is there; a
// null or absent obj has no members.
func member(t *testing.T, obj json.RawMessage, key string) (json.RawMessage, bool) {
	t.Helper()
	if len(obj) == 0 {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("encoding/json refuses %q as an object: %v", obj, err)
	}
	v, ok := m[key]
	return v, ok
}

// str decodes the JSON string raw.
func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("encoding/json refuses %q as a string: %v", raw, err)
	}
	return s
}

// FuzzScanner checks the scanner against encoding/json: what it accepts is
// valid JSON with the same version and data; valid JSON objects with
// well-typed, unrepeated special keys and valid UTF-8 are accepted.
func FuzzScanner(f *testing.F) {
	f.Add([]byte(`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`), uint8(3))
	f.Add([]byte(`{"msgBody":{"data":"Ukl\/Rg\u003d\u003D"},"request":{"version":"\ud83d\ude00"}}`), uint8(1))
	f.Add([]byte(`{"x":[1,-2.5e3,true,null,{"y":"z"}],"request":null}`), uint8(9))
	f.Add([]byte(`{"Request":{"version":"2.0"},"msgbody":{"Data":"UklGRg=="}}`), uint8(4))
	f.Fuzz(func(t *testing.T, body []byte, step uint8) {
		r := scan(body, int(step)+1)
		if w := scan(body, len(body)+1); (w.err == nil) != (r.err == nil) || r.err == nil && (w.data != r.data || w.version != r.version) {
			t.Fatalf("result depends on the write size: %+v / %+v", r, w)
		}
		if rd := read(body, int(step)+1, int(step)*3%50+1); !sameResult(rd, r) {
			t.Fatalf("a Reader disagrees with the Scanner: %+v / %+v", rd, r)
		}
		if r.err != nil {
			return
		}
		// The content of data is left to the base64 decoder, which refuses
		// every byte outside its alphabet: it is not checked for UTF-8 or
		// control characters here.
		if strings.ContainsFunc(r.data, func(c rune) bool { return c < 0x20 || c >= 0x80 }) {
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		// encoding/json matches a struct's fields to keys regardless of
		// case; the envelope's keys are matched exactly, so the oracle
		// looks them up in maps, where keys are compared as written
		// (after unescaping, as the scanner does).
		request, hasRequest := member(t, body, "request")
		version, hasVersion := member(t, request, "version")
		msgBody, _ := member(t, body, "msgBody")
		data, hasData := member(t, msgBody, "data")
		if hasVersion = hasRequest && hasVersion && string(version) != "null"; hasVersion != r.hasVersion {
			t.Fatalf("%q: version found %v, encoding/json says %v", body, r.hasVersion, hasVersion)
		}
		if hasVersion && !r.tooLong {
			if want := str(t, version); want != r.version {
				t.Fatalf("%q: version %q, encoding/json says %q", body, r.version, want)
			}
		}
		if hasData = hasData && string(data) != "null"; hasData != r.hasData {
			t.Fatalf("%q: data found %v, encoding/json says %v", body, r.hasData, hasData)
		}
		if hasData {
			if want := str(t, data); want != r.data {
				t.Fatalf("%q: data %q, encoding/json says %q", body, r.data, want)
			}
		}
	})
}

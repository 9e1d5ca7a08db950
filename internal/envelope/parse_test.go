package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/internal/envelope"
)

// TestParse: Parse keeps the named members of msgBody as written, treats
// data as one of them, and says which rule a body broke, a fault in
// msgBody apart.
func TestParse(t *testing.T) {
	b, err := envelope.Parse([]byte(`{"x":{"mode":9},"msgBody":{"mode" : -1.5e3 ,"filePath":"a\/b","data":[1,{"x":null}],"y":"z"},"request":{"version":"2.0"}}`),
		"filePath", "mode", "data", "locationId")
	if err != nil || b.Late != nil || b.Version != "2.0" || !b.HasVersion || b.VersionTooLong {
		t.Fatalf("%+v, %v", b, err)
	}
	for i, want := range []string{`"a\/b"`, `-1.5e3`, `[1,{"x":null}]`, ""} {
		if got := b.Fields[i]; string(got) != want || (got == nil) != (want == "") {
			t.Errorf("field %d: %q, want %q", i, got, want)
		}
	}
	b, err = envelope.Parse([]byte(`{"msgBody":{"mode":null,"mode":{}},"request":{"version":"`+strings.Repeat("9", 40)+`"}}`), "mode")
	if err != nil || b.Late == nil || b.Late.Kind != envelope.Twice || b.Late.Key != "mode" || !b.VersionTooLong || string(b.Fields[0]) != "null" {
		t.Fatalf("a kept member twice: %+v, %v", b, err)
	}
	b, err = envelope.Parse([]byte(`{"msgBody":[{"mode":1}],"request":{"version":null}}`), "mode")
	if err != nil || b.Late == nil || b.Late.Kind != envelope.WrongType || b.Late.Key != "msgBody" || b.HasVersion || b.Fields[0] != nil {
		t.Fatalf("msgBody an array: %+v, %v", b, err)
	}
	for _, tt := range []struct {
		body string
		kind envelope.Kind
		key  string
	}{
		{``, envelope.Syntax, ""},
		{`{"msgBody":[],"a":01}`, envelope.Syntax, ""},
		{`{"msgBody":{"mode":1,"mode":2}`, envelope.Syntax, ""},
		{`[{}]`, envelope.NotObject, ""},
		{`{} {}`, envelope.Trailing, ""},
		{`{"msgBody":[],"msgBody":{}}`, envelope.Twice, "msgBody"},
		{`{"msgBody":{"mode":1,"mode":2},"request":{"version":"2.0","version":"2.0"}}`, envelope.Twice, "version"},
		{`{"msgBody":{"mode":1,"mode":2},"request":"2.0"}`, envelope.WrongType, "request"},
		{`{"request":{"version":2}}`, envelope.WrongType, "version"},
	} {
		_, err := envelope.Parse([]byte(tt.body), "mode")
		var e *envelope.Error
		if !errors.As(err, &e) || e.Kind != tt.kind || e.Key != tt.key {
			t.Errorf("%s: %v (%+v); want kind %d, key %q", tt.body, err, e, tt.kind, tt.key)
		}
	}
}

// TestParseAgreesWithScanner: Parse, keeping nothing, holds a body to
// the rules a streamed one is held to, but for data, which it does not
// read.
func TestParseAgreesWithScanner(t *testing.T) {
	for _, body := range []string{
		`{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`,
		`{"request":{"version":"2.0"},"request":{}}`, `{"request":[]}`, `{"request":{"version":2.0}}`,
		`{"a":01}`, `{"a":"\x"}`, `{"a":1} x`, `[]`, ``, `{`,
		strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70),
	} {
		want := scan([]byte(body), 7)
		b, err := envelope.Parse([]byte(body))
		if (err == nil) != (want.err == nil) || err == nil && (b.Version != want.version || b.HasVersion != want.hasVersion) {
			t.Errorf("%s: Parse %+v, %v; Scanner %+v", body, b, err, want)
		}
	}
}

// oracle holds body to the envelope's rules with encoding/json, as the
// small interfaces did before they shared the upload's parser: whole and
// valid UTF-8 first, then request and its version, then msgBody and the
// members named in fields. It returns which stage failed: 0 for none, 1
// for one before msgBody, 2 for msgBody's.
func oracle(body []byte, fields ...string) (version json.RawMessage, kept []json.RawMessage, stage int) {
	if !utf8.Valid(body) || depth(body) > envelope.MaxDepth {
		return nil, nil, 1
	}
	top, ok := members(body, "request", "msgBody")
	if !ok {
		return nil, nil, 1
	}
	if req := top["request"]; !isNull(req) {
		if req[0] != '{' {
			return nil, nil, 1
		}
		r, ok := members(req, "version")
		if !ok {
			return nil, nil, 1
		}
		version = r["version"]
		if !isNull(version) && version[0] != '"' {
			return nil, nil, 1
		}
	}
	kept = make([]json.RawMessage, len(fields))
	if msg := top["msgBody"]; !isNull(msg) {
		if msg[0] != '{' {
			return version, nil, 2
		}
		m, ok := members(msg, fields...)
		if !ok {
			return version, nil, 2
		}
		for i, f := range fields {
			kept[i] = m[f]
		}
	}
	return version, kept, 0
}

// members returns the members of the JSON object raw named in known, and
// false if raw is not one JSON object or repeats a known key.
func members(raw []byte, known ...string) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		for _, k := range known {
			if key == k {
				if _, dup := out[key]; dup {
					return nil, false
				}
				out[key] = v
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

// depth returns how deep body's objects and arrays nest, counted as the
// scanner counts them, or 0 if encoding/json refuses the body.
func depth(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	d, deepest := 0, 0
	for {
		t, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			d++
			deepest = max(deepest, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}

func isNull(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// FuzzParse checks Parse, the small bodies' path, against encoding/json
// (oracle): it refuses a body at the stage the oracle does (a fault in
// msgBody as Late), and in a body it accepts finds the same version and
// the same kept members, byte for byte.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/a.wav","mode":1}}`))
	f.Add([]byte(`{"msgBody":{"mode":"1","filePath":"a\/b\u00e9","data":[1,{"mode":2}]},"request":{"version":"\ud83d\ude00"}}`))
	f.Add([]byte(`{"request":{"version":"2.0"},"msgBody":{"mode":1,"mode":null}}`))
	f.Add([]byte(`{"request":{"version":"1.0"},"msgBody":[{"filePath":"a"}]}`))
	f.Add([]byte(`{"x":[1,-2.5e3,true,null,{"y":"z"}],"request":null,"msgBody":null}`))
	f.Add([]byte(`{"Request":{"version":"2.0"},"msgbody":{"FilePath":"a"},"data":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := envelope.Parse(body, "filePath", "mode", "data")
		version, kept, stage := oracle(body, "filePath", "mode", "data")
		switch {
		case (err != nil) != (stage == 1):
			t.Fatalf("%q: Parse says %v, encoding/json fails at stage %d", body, err, stage)
		case err != nil:
			return
		case (b.Late != nil) != (stage == 2):
			t.Fatalf("%q: Parse's fault in msgBody is %v, encoding/json fails at stage %d", body, b.Late, stage)
		}
		if b.HasVersion != !isNull(version) {
			t.Fatalf("%q: version found %v, encoding/json says %q", body, b.HasVersion, version)
		}
		if b.HasVersion {
			var v string
			if err := json.Unmarshal(version, &v); err != nil {
				t.Fatal(err)
			}
			if tooLong := len(v) > envelope.MaxVersionLen; tooLong != b.VersionTooLong || !tooLong && v != b.Version {
				t.Fatalf("%q: version %q (too long: %v), encoding/json says %q", body, b.Version, b.VersionTooLong, v)
			}
		}
		if stage == 2 {
			return
		}
		for i, want := range kept {
			if got := b.Fields[i]; !bytes.Equal(got, want) || (got == nil) != (want == nil) {
				t.Fatalf("%q: field %d is %q, encoding/json says %q", body, i, got, want)
			}
		}
	})
}

// BenchmarkParse parses downloadFile's and deleteFile's usual bodies with
// Parse, and with the encoding/json rules small.go used before (the
// fuzz oracle) as the baseline in the same run: x-encoding/json above 1
// is Parse's speed-up.
func BenchmarkParse(b *testing.B) {
	download := []byte(`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/20261125/call-1.wav","mode":0}}`)
	del := []byte(`{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav","locationId":"1"}}`)
	old := ratio.Baseline{Name: "encoding/json"}
	b.ReportAllocs()
	for b.Loop() {
		old.Run(b, func() {
			oracle(download, "filePath", "mode")
			oracle(del, "fileName", "locationId")
		})
		if _, err := envelope.Parse(download, "filePath", "mode"); err != nil {
			b.Fatal(err)
		}
		if _, err := envelope.Parse(del, "fileName", "locationId"); err != nil {
			b.Fatal(err)
		}
	}
	old.Report(b, 0)
}

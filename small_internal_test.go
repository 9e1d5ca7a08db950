package ccfs

import (
	"strings"
	"testing"
)

// TestParseSmall pins parseSmall's answer to each body, downloadFile's
// fields asked for: the code and description of a fault (a fault of JSON
// syntax worded as an upload's), or the raw value of each field. A fault
// in msgBody ranks after request.version's, as it did when the small
// bodies had a parser of their own.
func TestParseSmall(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `,"request":{"version":"2.0"}}`
	fit := `{"x":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `,"request":{"version":"2.0"}}`
	for _, c := range []struct{ body, code, desc, filePath, mode string }{
		{``, `0300004`, `the format of the request body is incorrect: the body is empty (at byte 0)`, ``, ``},
		{` `, `0300004`, `the format of the request body is incorrect: the JSON body ends before it is complete (at byte 1)`, ``, ``},
		{`fileName=x`, `0300004`, `the format of the request body is incorrect: it is not a JSON object`, ``, ``},
		{`[1]`, `0300004`, `the format of the request body is incorrect: it is not a JSON object`, ``, ``},
		{`"x"`, `0300004`, `the format of the request body is incorrect: it is not a JSON object`, ``, ``},
		{`{`, `0300004`, `the format of the request body is incorrect: the JSON body ends before it is complete (at byte 1)`, ``, ``},
		{`{"request":{"version":"2.0"}`, `0300004`, `the format of the request body is incorrect: the JSON body ends before it is complete (at byte 28)`, ``, ``},
		{`{"a":1}}`, `0300004`, `the format of the request body is incorrect: text after the JSON object`, ``, ``},
		{`{"a":1} x`, `0300004`, `the format of the request body is incorrect: text after the JSON object`, ``, ``},
		{`{"a":1}{}`, `0300004`, `the format of the request body is incorrect: text after the JSON object`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a"}}{}`, `0300004`, `the format of the request body is incorrect: text after the JSON object`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a"}}  `, ``, ``, `"a"`, ``},
		{"{\"x\":\"\xff\"}", `0300004`, `the format of the request body is incorrect: it is not UTF-8`, ``, ``},
		{`{"request":{"version":"2.0"},"request":{}}`, `0300004`, `the format of the request body is incorrect: "request" is given twice`, ``, ``},
		{`{"request":{"version":"1","version":"2"}}`, `0300004`, `the format of the request body is incorrect: "version" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a","filePath":"b"}}`, `0300004`, `the format of the request body is incorrect: "filePath" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a"},"msgBody":{}}`, `0300004`, `the format of the request body is incorrect: "msgBody" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":1,"mode":1}}`, `0300004`, `the format of the request body is incorrect: "mode" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"data":1,"data":2,"x":3,"x":4}}`, ``, ``, ``, ``},
		{`{"request":"2.0"}`, `0300004`, `the format of request is incorrect: it is not an object`, ``, ``},
		{`{"request":[]}`, `0300004`, `the format of request is incorrect: it is not an object`, ``, ``},
		{`{"request":1}`, `0300004`, `the format of request is incorrect: it is not an object`, ``, ``},
		{`{"request":true}`, `0300004`, `the format of request is incorrect: it is not an object`, ``, ``},
		{`{"request":{"version":2.0}}`, `0300004`, `the format of version is incorrect: it is not a string`, ``, ``},
		{`{"request":{"version":{}}}`, `0300004`, `the format of version is incorrect: it is not a string`, ``, ``},
		{`{"request":{"version":["2.0"]}}`, `0300004`, `the format of version is incorrect: it is not a string`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":[]}`, `0300004`, `the format of msgBody is incorrect: it is not an object`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":"x"}`, `0300004`, `the format of msgBody is incorrect: it is not an object`, ``, ``},
		{`{"msgBody":{"filePath":"a"}}`, `0300001`, `the value of version cannot be null`, ``, ``},
		{`{"request":null,"msgBody":{"filePath":"a"}}`, `0300001`, `the value of version cannot be null`, ``, ``},
		{`{"request":{"version":null}}`, `0300001`, `the value of version cannot be null`, ``, ``},
		{`{"request":{"version":""}}`, `0300002`, `version cannot be an empty string`, ``, ``},
		{`{"request":{"version":"1.0"}}`, `0300006`, `the value of version is error, current version is 2.0`, ``, ``},
		{`{"request":{"version":"222222222222222222222222222222222"}}`, `0300003`, `the length of version is too long (at most 32 characters)`, ``, ``},
		{`{"request":{"version":"éééééééééééééééé"}}`, `0300006`, `the value of version is error, current version is 2.0`, ``, ``},
		{`{"a":01}`, `0300004`, `the format of the request body is incorrect: invalid number (leading zero) (at byte 6)`, ``, ``},
		{`{"a":-}`, `0300004`, `the format of the request body is incorrect: invalid number (at byte 6)`, ``, ``},
		{`{"a" 1}`, `0300004`, `the format of the request body is incorrect: expected ':' after an object key (at byte 5)`, ``, ``},
		{`{a:1}`, `0300004`, `the format of the request body is incorrect: expected a JSON object key (at byte 1)`, ``, ``},
		{`{"a":1,}`, `0300004`, `the format of the request body is incorrect: expected a JSON object key (at byte 7)`, ``, ``},
		{`{"a":[1,]}`, `0300004`, `the format of the request body is incorrect: invalid character ']' where a JSON value should be (at byte 8)`, ``, ``},
		{`{,"a":1}`, `0300004`, `the format of the request body is incorrect: expected a JSON object key (at byte 1)`, ``, ``},
		{`{"a":tru}`, `0300004`, `the format of the request body is incorrect: invalid literal (expected "true") (at byte 8)`, ``, ``},
		{"{\"a\":\"\\x\"}", `0300004`, "the format of the request body is incorrect: invalid escape \\x in a JSON string (at byte 7)", ``, ``},
		{"{\"a\":\"\x01\"}", `0300004`, `the format of the request body is incorrect: control character 0x01 inside a JSON string (at byte 6)`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":null}`, ``, ``, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":null,"mode":null}}`, ``, ``, `null`, `null`},
		{"{\"request\":{\"version\":\"2.0\"},\"msgBody\":{\"filePath\":\"a\\/b\\u00e9\",\"mode\":\"1\"}}", ``, ``, "\"a\\/b\\u00e9\"", `"1"`},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":  "a" ,"mode" : 1 }}`, ``, ``, `"a"`, `1`},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":{"x":[1]},"mode":[1,{}]}}`, ``, ``, `{"x":[1]}`, `[1,{}]`},
		{`{"request":{"version":"2.0"},"msgBody":{"FilePath":"a","Mode":1}}`, ``, ``, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a","mode":-1.5e3}}`, ``, ``, `"a"`, `-1.5e3`},
		{`{"request":{"version":"1.0"},"msgBody":[]}`, `0300006`, `the value of version is error, current version is 2.0`, ``, ``},
		{`{"msgBody":"x"}`, `0300001`, `the value of version cannot be null`, ``, ``},
		{`{"msgBody":"x","request":{"version":""}}`, `0300002`, `version cannot be an empty string`, ``, ``},
		{`{"request":{"version":"1.0"},"msgBody":{"mode":1,"mode":2}}`, `0300006`, `the value of version is error, current version is 2.0`, ``, ``},
		{`{"msgBody":{"mode":1,"mode":2},"request":{"version":"2.0"}}`, `0300004`, `the format of the request body is incorrect: "mode" is given twice`, ``, ``},
		{`{"msgBody":[],"request":"x"}`, `0300004`, `the format of request is incorrect: it is not an object`, ``, ``},
		{`{"msgBody":[] x}`, `0300004`, `the format of the request body is incorrect: expected ',' or '}' in an object (at byte 14)`, ``, ``},
		{`{"msgBody":{"mode":1,"mode":2},"request":{"version":"1","version":"2"}}`, `0300004`, `the format of the request body is incorrect: "version" is given twice`, ``, ``},
		{`{"msgBody":{"mode":1,"mode":2},"msgBody":{}}`, `0300004`, `the format of the request body is incorrect: "msgBody" is given twice`, ``, ``},
		{`{"msgBody":{"mode":1,"mode":2}}{}`, `0300004`, `the format of the request body is incorrect: text after the JSON object`, ``, ``},
		{`{"msgBody":[],"request":{"version":"2.0"},"msgBody":null}`, `0300004`, `the format of the request body is incorrect: "msgBody" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a","mode":1,"data":"x","data":"y"}}`, ``, ``, `"a"`, `1`},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":1,"filePath":"a","filePath":null}}`, `0300004`, `the format of the request body is incorrect: "filePath" is given twice`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"filePath":"a","mode":{"filePath":"b","mode":2}}}`, ``, ``, `"a"`, `{"filePath":"b","mode":2}`},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":tr}}`, `0300004`, `the format of the request body is incorrect: invalid literal (expected "true") (at byte 49)`, ``, ``},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":-0.5}}`, ``, ``, ``, `-0.5`},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":[]}}`, ``, ``, ``, `[]`},
		{`{"request":{"version":"2.0"},"msgBody":{"mode":true,"filePath":""}}`, ``, ``, `""`, `true`},
		{`{"request":{"version":"2.0","version":null}}`, `0300004`, `the format of the request body is incorrect: "version" is given twice`, ``, ``},
		{`{"request":null,"request":{"version":"2.0"}}`, `0300004`, `the format of the request body is incorrect: "request" is given twice`, ``, ``},
		{deep, "0300004", "the format of the request body is incorrect: JSON nested deeper than 64 levels (at byte 68)", "", ""},
		{fit, "", "", "", ""},
	} {
		fields, err := parseSmall([]byte(c.body), "filePath", "mode")
		if c.code != "" {
			e, ok := err.(Error)
			if !ok || e.Code() != c.code || e.Desc() != c.desc {
				t.Errorf("%q: %v; want %s: %s", c.body, err, c.code, c.desc)
			}
			continue
		}
		if err != nil || string(fields[0]) != c.filePath || string(fields[1]) != c.mode ||
			(fields[0] == nil) != (c.filePath == "") || (fields[1] == nil) != (c.mode == "") {
			t.Errorf("%q: %q, %v; want %q", c.body, fields, err, []string{c.filePath, c.mode})
		}
	}
}

// BenchmarkParseSmall parses downloadFile's and deleteFile's usual bodies.
func BenchmarkParseSmall(b *testing.B) {
	download := []byte(`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/20261125/call-1.wav","mode":0}}`)
	del := []byte(`{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav","locationId":"1"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSmall(download, "filePath", "mode"); err != nil {
			b.Fatal(err)
		}
		if _, err := parseSmall(del, "fileName", "locationId"); err != nil {
			b.Fatal(err)
		}
	}
}

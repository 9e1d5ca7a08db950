package auth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/auth"
)

func TestParseCredentials(t *testing.T) {
	s, err := auth.ParseCredentials([]byte(`{"keys": [
  {"ak": "chatbot-a", "sk": "sk1", "vdns": [53, 54]},
  {"ak": "operator",  "sk": "sk2", "anyVdn": true},
  {"ak": "idle",      "sk": "sk3"}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		ak   string
		vdn  int
		want bool
	}{{"chatbot-a", 53, true}, {"chatbot-a", 54, true}, {"chatbot-a", 55, false}, {"operator", 7, true}, {"idle", 53, false}} {
		k, err := s.Lookup(ctx, c.ak)
		if err != nil {
			t.Fatal(err)
		}
		if k.Allows(c.vdn) != c.want {
			t.Errorf("%s on VDN %d: Allows = %v", c.ak, c.vdn, !c.want)
		}
	}
	if _, err := s.Lookup(ctx, "ghost"); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string // substrings of the error
	}{
		{"empty ak", "{\"keys\": [\n {\"ak\": \"a\", \"sk\": \"s\"},\n {\"ak\": \"\", \"sk\": \"SECRETX\"}\n]}", []string{"line 3", "key #2", "empty access key"}},
		{"empty sk", "{\"keys\": [\n\n {\"ak\": \"bot\", \"sk\": \"\"}]}", []string{"line 3", `"bot"`, "empty secret"}},
		{"duplicate ak", "{\"keys\": [\n {\"ak\": \"bot\", \"sk\": \"SECRETX\"},\n {\"ak\": \"bot\", \"sk\": \"SECRETY\"}]}", []string{"line 3", "key #2", `"bot"`, "twice"}},
		{"unknown field in key", "{\"keys\": [\n {\"ak\": \"bot\", \"sk\": \"SECRETX\", \"vdn\": [1]}]}", []string{"line 2", `unknown field "vdn"`}},
		{"unknown top field", "{\"key\": []}", []string{"line 1", `unknown field "key"`}},
		{"syntax", "{\"keys\": [\n {\"ak\": \"bot\",, }]}", []string{"line 2"}},
		{"wrong type", "{\"keys\": [\n {\"ak\": \"bot\", \"sk\": \"SECRETX\", \"vdns\": \"53\"}]}", []string{"line 2"}},
		{"no keys", "{}", []string{"keys"}},
		{"two objects", "{\"keys\": []}\n{\"keys\": []}", []string{"line 2", "after"}},
		{"slash in ak", "{\"keys\": [{\"ak\": \"a/b\", \"sk\": \"SECRETX\"}]}", []string{"'/'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParseCredentials([]byte(tt.json))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}

// TestCredentialsErrorsInTheFilesTerms: a value of the wrong type is named
// by its place in the file and what it must be, with the text found there
// (unless it is a secret), never by Go's type names.
func TestCredentialsErrorsInTheFilesTerms(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"keys":[{"ak":"a1","sk":"s1","vdns":[1,"2"]}]}`, `auth: credentials: line 1: keys[0].vdns[1] must be a whole number, not "2"`},
		{"{\"keys\":[\n{\"ak\":\"a1\",\"sk\":\"s1\"},\n{\"ak\":5,\"sk\":\"s1\"}]}", `auth: credentials: line 3: keys[1].ak must be a string in double quotes, not 5`},
		{`{"keys":[{"ak":"a1","sk":123456789}]}`, `auth: credentials: line 1: keys[0].sk must be a string in double quotes`},
		{`{"keys":[{"ak":"a1","sk":"x","previousSk":987654321}]}`, `auth: credentials: line 1: keys[0].previousSk must be a string in double quotes`},
		{`{"keys":[{"ak":"a1","sk":"x","anyVdn":"yes"}]}`, `auth: credentials: line 1: keys[0].anyVdn must be true or false, not "yes"`},
		{`{"keys":{"ak":"a1"}}`, `auth: credentials: line 1: keys must be a list [ … ], not { …`},
		{`{"keys":[{"ak":"a1","sk":"x","previousSk":"y","previousSkUntil":"tomorrow"}]}`, `auth: credentials: line 1: keys[0].previousSkUntil must be a time such as "2026-12-31T23:59:59Z", not "tomorrow"`},
		{"{\"keys\":[\n{\"ak\":\"a1\",\"sk\":\"x\",\"previousSk\":\"y\",\"previousSkUntil\":\"tomorrow\",\"vdns\":[1]},\n{\"ak\":\"a2\",\"sk\":\"z\",\"vdns\":[2]}]}",
			`auth: credentials: line 2: keys[0].previousSkUntil must be a time such as "2026-12-31T23:59:59Z", not "tomorrow"`},
		{"{\"keys\":[\n{\"ak\":\"a1\",\"sk\":\"x\",\"vdns\":[1]},\n{\"ak\":\"a2\",\"sk\":\"z\",\"previousSk\":\"y\",\n\"previousSkUntil\":\"2026-13-01T00:00:00Z\",\"vdns\":[2]}]}",
			`auth: credentials: line 4: keys[1].previousSkUntil must be a time such as "2026-12-31T23:59:59Z", not "2026-13-01T00:00:00Z"`},
		{`{"keys":[{"ak":"a1","sk":"x","vdns":[1,2,3.5]}]}`, `auth: credentials: line 1: keys[0].vdns[2] must be a whole number, not 3.5`},
		{`{"keys":[{"ak":"a1","sk":"x",`, `auth: credentials: line 1: the JSON ends too soon`},
	} {
		_, err := auth.ParseCredentials([]byte(c.json))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.json, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), "123456789") || strings.Contains(err.Error(), "987654321")) {
			t.Errorf("%s: %v", c.json, err)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	keys := []auth.Key{{AccessKey: "a", SecretKey: "s/+=", VDNs: []int{1}}, {AccessKey: "b", SecretKey: "t", AnyVDN: true}}
	var b bytes.Buffer
	if err := auth.WriteCredentials(&b, keys...); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewFileCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d", s.Len())
	}
	k, _ := s.Lookup(context.Background(), "a")
	if k.SecretKey != "s/+=" || !k.Allows(1) || k.Allows(2) {
		t.Fatalf("key a = %v", k)
	}
	if _, err := auth.NewFileCredentials(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNewStaticRefuses(t *testing.T) {
	for _, keys := range [][]auth.Key{
		{{AccessKey: "", SecretKey: "s"}},
		{{AccessKey: "a", SecretKey: ""}},
		{{AccessKey: "a", SecretKey: "s"}, {AccessKey: "a", SecretKey: "t"}},
		{{AccessKey: "a b", SecretKey: "s"}},
	} {
		if _, err := auth.NewStatic(keys...); err == nil {
			t.Errorf("NewStatic(%v) accepted", keys)
		}
	}
}

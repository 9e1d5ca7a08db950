package webhook

import (
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/events"
)

func TestName(t *testing.T) {
	for url, want := range map[string]string{
		"https://hooks.example.com/ccfs":                            "https://hooks.example.com/ccfs",
		"https://user:pass@hooks.example.com:8443/a/b?token=x#frag": "https://hooks.example.com:8443/a/b",
		"http://10.0.0.1/?sig=abc":                                  "http://10.0.0.1/",
		"http://[::1]:9000":                                         "http://[::1]:9000",
		"http://h/a%2Fb?x=1":                                        "http://h/a%2Fb",
		"http://h/\x7f":                                             "invalid URL",
	} {
		if got := (Endpoint{URL: url}).Name(); got != want {
			t.Errorf("Name of %q = %q, want %q", url, got, want)
		}
	}
}

// New refuses an endpoint it could not deliver to, saying why without
// quoting the URL's userinfo or query.
func TestNewRefuses(t *testing.T) {
	ok := []events.Secret{events.NewSecret()}
	q := newMemQueue()
	for _, tc := range []struct {
		ep   Endpoint
		q    events.Queue
		o    Options
		want string
	}{
		{Endpoint{URL: "ftp://u:tok-x@h/x?tok-y", Secrets: ok}, q, Options{}, "not http or https"},
		{Endpoint{URL: "/relative?tok-y", Secrets: ok}, q, Options{}, "not http or https"},
		{Endpoint{URL: "http:opaque?tok-y", Secrets: ok}, q, Options{}, "no host"},
		{Endpoint{URL: "http://u:tok-x@h/\x7f?tok-y", Secrets: ok}, q, Options{}, "does not parse"},
		{Endpoint{URL: "https://h/x?tok-y"}, q, Options{}, "no secret"},
		{Endpoint{URL: "https://h/x?tok-y", Secrets: []events.Secret{ok[0], {}}}, q, Options{}, "zero Secret"},
		{Endpoint{URL: "https://h/x", Secrets: ok}, nil, Options{}, "no queue"},
		{Endpoint{URL: "https://h/x", Secrets: ok}, q, Options{Window: -1}, "negative"},
		{Endpoint{URL: "https://h/x", Secrets: ok}, q, Options{MinBackoff: 2e9, MaxBackoff: 1e9}, "MinBackoff is above MaxBackoff"},
	} {
		_, err := New(tc.ep, tc.q, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q): %v, want %q", tc.ep.Name(), err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "tok-") {
			t.Errorf("New(%q): %v: quotes the URL's userinfo or query", tc.ep.Name(), err)
		}
	}
}

// New keeps its own copy of the secrets: the caller's slice may change.
func TestNewCopiesSecrets(t *testing.T) {
	s := []events.Secret{events.NewSecret()}
	d, err := New(Endpoint{URL: "https://h/x", Secrets: s}, newMemQueue(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s[0] = events.Secret{}
	if d.ep.Secrets[0].IsZero() {
		t.Error("the Deliverer's secret changed with the caller's slice")
	}
}

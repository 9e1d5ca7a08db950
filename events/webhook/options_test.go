package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.RetryFor != 24*time.Hour || o.MinBackoff != time.Second || o.MaxBackoff != 10*time.Minute ||
		o.Timeout != 10*time.Second || o.Workers != 8 || o.Window != 256 || o.HoldEvery != 20*time.Second ||
		o.Logger == nil || o.Now == nil || o.Client == nil {
		t.Errorf("defaults %+v", o)
	}
	if o.Client.Transport == nil || o.Client.Transport == http.DefaultTransport {
		t.Error("the default client has no Transport of its own")
	}
}

// A client given is copied, with redirects off; the caller's is not
// changed.
func TestClientGiven(t *testing.T) {
	rt := &countingTransport{}
	given := &http.Client{Transport: rt, Timeout: time.Minute}
	o, err := Options{Client: given}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if given.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
	if o.Client == given || o.Client.Transport != rt || o.Client.Timeout != time.Minute {
		t.Errorf("client %+v, want a copy of %+v", o.Client, given)
	}
	if o.Client.CheckRedirect == nil || o.Client.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Error("the copy follows redirects")
	}
}

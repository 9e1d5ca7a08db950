package auth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// vector is one of the auth-v2 test vectors, worked step by step in
// docs/signing.md.
type vector struct {
	name          string
	ak, sk        string
	timestamp     string
	method        string
	target        string // path and query
	host          string
	contentType   string // empty: not signed
	body          string
	signingKey    string
	authorization string
	canonical     string // only given for C
}

const skAB = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"

var vectors = []vector{
	{
		name: "A", ak: "globalaktest", sk: skAB,
		timestamp: "2021-08-31T09:38:50.872Z",
		method:    "POST", target: "/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
		host: "10.22.26.181:28080", contentType: "application/json;charset=UTF-8",
		body:          `{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`,
		signingKey:    "2ed89f017b07e2c29adc75db70cefdd3d3a009991a5d078c2a7bf4b62b35f802",
		authorization: "auth-v2/globalaktest/2021-08-31T09:38:50.872Z/content-length;content-type;host/0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503",
	},
	{
		name: "B", ak: "globalaktest", sk: skAB,
		timestamp: "2021-08-31T09:38:50Z",
		method:    "POST", target: "/CCFS/resource/ccfs/ivr/deleteFile",
		host:          "10.22.26.181",
		body:          `{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}`,
		signingKey:    "be0f19ee433bdf443933810fe362a3a7572aa5f47827cc178daf6e7673851e23",
		authorization: "auth-v2/globalaktest/2021-08-31T09:38:50Z/host/10bacb1471218b1b3f97143f2002d44aad29e82e0aa9e387976b88678e87df09",
	},
	{
		name: "C", ak: "ak-vdn53", sk: "s3cr3t/+=SK",
		timestamp: "2026-11-23T19:00:00.000Z",
		method:    "POST", target: "/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
		host: "127.0.0.1:28443", contentType: "application/json; charset=UTF-8",
		body:          `{"request":{"version":"2.0"},"msgBody":{"data":"UklGRiwAAABXQVZFZm10IBAAAAAGAAEAQB8AAEAfAAABAAgAZGF0YQgAAADVVdVVKqoqqg=="}}`,
		signingKey:    "6f0560d42379cb9045e82b0364de4e66fec12b7d3f44ee4a81c431bd3f811a90",
		authorization: "auth-v2/ak-vdn53/2026-11-23T19:00:00.000Z/content-length;content-type;host/e149e23b537c92b4ecb43c7a03d896db2e90faac94a5645c5dd15e53c59c2b1f",
		canonical: "POST\n/CCFS/resource/ccfs/ivr/uploadFile\nvdnId=53\ncontent-length;content-type;host\n" +
			"content-length:123\ncontent-type:application%2Fjson%3B%20charset%3DUTF-8\nhost:127.0.0.1%3A28443\n" +
			"%7B%22request%22%3A%7B%22version%22%3A%222.0%22%7D%2C%22msgBody%22%3A%7B%22data%22%3A%22UklGRiwAAABXQVZFZm10IBAAAAAGAAEAQB8AAEAfAAABAAgAZGF0YQgAAADVVdVVKqoqqg%3D%3D%22%7D%7D",
	},
}

func (v vector) time(t testing.TB) time.Time {
	layout := auth.TimestampFormat
	if len(v.timestamp) == len(auth.TimestampFormatSeconds) {
		layout = auth.TimestampFormatSeconds
	}
	ts, err := time.Parse(layout, v.timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (v vector) signedHeaders() []string {
	if v.contentType == "" {
		return []string{}
	}
	return auth.DefaultSignedHeaders()
}

// clientRequest builds the request as a client would before sending it.
func (v vector) clientRequest(t testing.TB) *http.Request {
	r, err := http.NewRequest(v.method, "https://"+v.host+v.target, strings.NewReader(v.body))
	if err != nil {
		t.Fatal(err)
	}
	if v.contentType != "" {
		r.Header.Set("Content-Type", v.contentType)
	}
	return r
}

// serverRequest builds the request as a server receives it.
func (v vector) serverRequest(body string, authorization string) *http.Request {
	r := httptest.NewRequest(v.method, v.target, strings.NewReader(body))
	r.Host = v.host
	r.Header.Set("Content-Length", strconv.Itoa(len(v.body)))
	if v.contentType != "" {
		r.Header.Set("Content-Type", v.contentType)
	}
	r.Header.Set("Authorization", authorization)
	return r
}

func (v vector) verifier(t testing.TB) *auth.Verifier {
	creds, err := auth.NewStatic(auth.Key{AccessKey: v.ak, SecretKey: v.sk, VDNs: []int{53}})
	if err != nil {
		t.Fatal(err)
	}
	required := v.signedHeaders()
	ts := v.time(t)
	ver, err := auth.NewVerifier(auth.VerifierOptions{
		Credentials: creds, SignedHeaders: required,
		Now: func() time.Time { return ts.Add(3 * time.Second) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

// verify runs both steps of a verification of r with body.
func verify(ver *auth.Verifier, r *http.Request, body string) error {
	x, err := ver.Begin(context.Background(), r, 53)
	if err != nil {
		return err
	}
	// Feed the body in uneven pieces, as a network read would.
	for b := []byte(body); len(b) > 0; {
		n := min(len(b), 7)
		x.Write(b[:n])
		b = b[n:]
	}
	return x.Verify(context.Background())
}

func TestVectorsSign(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			ts := v.time(t)
			prefix := strings.Join(strings.Split(v.authorization, "/")[:4], "/")
			if got := auth.SigningKey(v.sk, prefix); got != v.signingKey {
				t.Errorf("SigningKey = %s, want %s", got, v.signingKey)
			}
			s := auth.Signer{AccessKey: v.ak, SecretKey: v.sk, SignedHeaders: v.signedHeaders(),
				Now: func() time.Time { return ts }, OmitMillis: !strings.Contains(v.timestamp, ".")}
			r := v.clientRequest(t)
			if err := s.Sign(r, []byte(v.body)); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Authorization"); got != v.authorization {
				t.Errorf("Authorization =\n%s\nwant\n%s", got, v.authorization)
			}
			if v.canonical != "" {
				got, err := auth.CanonicalRequest(r, auth.DefaultSignedHeaders(), []byte(v.body))
				if err != nil {
					t.Fatal(err)
				}
				if got != v.canonical {
					t.Errorf("CanonicalRequest =\n%s\nwant\n%s", got, v.canonical)
				}
			}
		})
	}
}

func TestVectorsVerify(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if err := verify(v.verifier(t), v.serverRequest(v.body, v.authorization), v.body); err != nil {
				t.Fatalf("vector %s refused: %v", v.name, err)
			}
		})
	}
}

// TestTamper flips one byte at a time of every signed part of vector C and
// checks that verification fails.
func TestTamper(t *testing.T) {
	v := vectors[2]
	type mutation struct {
		name string
		edit func(r *http.Request, body *string)
	}
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 0x01; return string(b) }
	var ms []mutation
	for i := range v.method {
		ms = append(ms, mutation{"method/" + strconv.Itoa(i), func(r *http.Request, _ *string) { r.Method = flip(r.Method, i) }})
	}
	path := strings.SplitN(v.target, "?", 2)[0]
	for i := range path {
		ms = append(ms, mutation{"path/" + strconv.Itoa(i), func(r *http.Request, _ *string) {
			r.RequestURI = flip(path, i) + "?vdnId=53"
		}})
	}
	for _, q := range []string{"vdnId=54", "vdnid=53", "vdnId=53&x=1", "vdnId=53&vdnId=53"} {
		ms = append(ms, mutation{"query/" + q, func(r *http.Request, _ *string) {
			r.URL.RawQuery = q
			r.RequestURI = path + "?" + q
		}})
	}
	for i := range v.host {
		ms = append(ms, mutation{"host/" + strconv.Itoa(i), func(r *http.Request, _ *string) { r.Host = flip(v.host, i) }})
	}
	for i := range v.contentType {
		ms = append(ms, mutation{"content-type/" + strconv.Itoa(i), func(r *http.Request, _ *string) {
			r.Header.Set("Content-Type", flip(v.contentType, i))
		}})
	}
	ms = append(ms, mutation{"content-length", func(r *http.Request, _ *string) { r.Header.Set("Content-Length", "124") }})
	for i := range v.body {
		ms = append(ms, mutation{"body/" + strconv.Itoa(i), func(_ *http.Request, body *string) { *body = flip(*body, i) }})
	}
	ms = append(ms, mutation{"body/truncated", func(_ *http.Request, body *string) { *body = (*body)[:len(*body)-1] }})
	ms = append(ms, mutation{"body/extended", func(_ *http.Request, body *string) { *body += " " }})

	for _, m := range ms {
		body := v.body
		r := v.serverRequest(body, v.authorization)
		m.edit(r, &body)
		err := verify(v.verifier(t), r, body)
		if !errors.Is(err, auth.ErrSignatureMismatch) {
			t.Errorf("%s: err = %v, want ErrSignatureMismatch", m.name, err)
		}
	}
	if len(ms) < 150 {
		t.Fatalf("only %d mutations", len(ms))
	}
}

func TestSignatureFlip(t *testing.T) {
	v := vectors[0]
	i := strings.LastIndexByte(v.authorization, '/') + 1
	for j := i; j < len(v.authorization); j++ {
		b := []byte(v.authorization)
		if b[j] == 'f' {
			b[j] = '0'
		} else {
			b[j] = "123456789abcdef0"[strings.IndexByte("0123456789abcdef", b[j])]
		}
		err := verify(v.verifier(t), v.serverRequest(v.body, string(b)), v.body)
		if !errors.Is(err, auth.ErrSignatureMismatch) {
			t.Fatalf("signature digit %d changed: err = %v", j-i, err)
		}
	}
}

func TestCanonicalBodyEncoding(t *testing.T) {
	// Every byte value, in a body long enough to cross the encoder's buffer.
	var body bytes.Buffer
	for i := 0; i < 40; i++ {
		for c := 0; c < 256; c++ {
			body.WriteByte(byte(c))
		}
		body.WriteString("ABCDEFGHabcdefgh01234567-._~ABCDEFGH")
	}
	r, _ := http.NewRequest("POST", "http://h/p", bytes.NewReader(body.Bytes()))
	got, err := auth.CanonicalRequest(r, []string{"host"}, body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("POST\n/p\nhost\nhost:h\n")
	for _, c := range body.Bytes() {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			want.WriteByte(c)
		} else {
			want.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	if got != want.String() {
		t.Fatal("canonical body differs from the byte-by-byte reference")
	}
}

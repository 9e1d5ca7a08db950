// Package refclient is a client of the CC-FS interfaces written from the
// auth-v2 specification alone. It is a test-only kit (hence
// internal/testkit): no program links it. It shares no code with package
// auth, signs in each of the ways real clients sign (Variant), and writes
// its whole request before it reads the answer, as Python's http.client
// and Java's HttpURLConnection do (Go's http.Client reads while it
// writes, which hides an answer given before the body).
package refclient

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// A Request is an HTTP request as it goes on the wire.
type Request struct {
	Method string // default POST
	Path   string // the raw path
	Query  string // the raw query, without '?'; "" for none
	// Headers are written in this order, names exactly as given (any
	// case); Host is one of them. Content-Length is added from Body
	// unless present.
	Headers [][2]string
	Body    []byte
}

// A Variant is one way of signing.
type Variant struct {
	Name string
	// Signed names the headers to sign, in any case and order; they are
	// signed lowercase and sorted, as the specification says.
	Signed []string
	// Millis writes the timestamp with milliseconds.
	Millis bool
	// EmptyQueryLine writes the query line even when there is no query,
	// as some public ports of the signer do.
	EmptyQueryLine bool
	// AuthorizationName is the header name the signature goes in.
	// Default: "Authorization".
	AuthorizationName string
}

// The variants seen in real clients.
var (
	// Demo signs as the vendor's public Java demo: host only, to the
	// second, no query line without a query.
	Demo = Variant{Name: "demo", Signed: []string{"host"}}
	// Page signs as the CC-FS interface page's example: three headers,
	// milliseconds.
	Page = Variant{Name: "page", Signed: []string{"content-length", "content-type", "host"}, Millis: true}
	// EmptyQuery writes an empty query line when there is no query.
	EmptyQuery = Variant{Name: "empty-query-line", Signed: []string{"host", "content-type"}, Millis: true, EmptyQueryLine: true}
	// LowerCase writes every header name in lower case.
	LowerCase = Variant{Name: "lower-case-names", Signed: []string{"host", "content-type", "content-length"}, AuthorizationName: "authorization"}
)

// Norm percent-encodes b: A–Z a–z 0–9 - . _ ~ stay, every other byte is
// %XX in upper-case hex.
func Norm(b []byte) string {
	const hex = "0123456789ABCDEF"
	var s strings.Builder
	s.Grow(len(b))
	for _, c := range b {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			s.WriteByte(c)
		} else {
			s.WriteByte('%')
			s.WriteByte(hex[c>>4])
			s.WriteByte(hex[c&0xF])
		}
	}
	return s.String()
}

// header returns the value of the header named name, any case, and
// whether it is there.
func (r *Request) header(name string) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

func (r *Request) withLength() [][2]string {
	hs := r.Headers
	if _, ok := r.header("content-length"); !ok {
		hs = append(hs[:len(hs):len(hs)], [2]string{"Content-Length", fmt.Sprint(len(r.Body))})
	}
	return hs
}

// Signed is what a signature covers, as the specification builds it.
type Signed struct {
	Prefix string // auth-v2/{AK}/{timestamp}/{signedHeaders}
	Head   string // the canonical request up to the body
	Body   string // the percent-encoded body
}

// Sign returns the Authorization value for r signed with ak and sk at at,
// and what it signed.
func Sign(ak, sk string, at time.Time, r Request, v Variant) (string, Signed) {
	layout := "2006-01-02T15:04:05Z"
	if v.Millis {
		layout = "2006-01-02T15:04:05.000Z"
	}
	names := make([]string, len(v.Signed))
	for i, n := range v.Signed {
		names[i] = strings.ToLower(n)
	}
	sort.Strings(names)
	list := strings.Join(names, ";")
	var s Signed
	s.Prefix = "auth-v2/" + ak + "/" + at.UTC().Format(layout) + "/" + list

	method := r.Method
	if method == "" {
		method = "POST"
	}
	head := method + "\n" + r.Path + "\n"
	if r.Query != "" {
		values, _ := url.ParseQuery(r.Query)
		var params []string
		for name, vs := range values {
			for _, val := range vs {
				params = append(params, Norm([]byte(name))+"="+Norm([]byte(val)))
			}
		}
		sort.Strings(params)
		head += strings.Join(params, "&") + "\n"
	} else if v.EmptyQueryLine {
		head += "\n"
	}
	head += list + "\n"
	full := Request{Headers: r.withLength()}
	var lines []string
	for _, n := range names {
		val, _ := full.header(n)
		lines = append(lines, Norm([]byte(n))+":"+Norm([]byte(val)))
	}
	sort.Strings(lines)
	s.Head = head + strings.Join(lines, "\n") + "\n"
	s.Body = Norm(r.Body)

	first := hmac.New(sha256.New, []byte(sk))
	first.Write([]byte(s.Prefix))
	signingKey := hex.EncodeToString(first.Sum(nil)) // its hex text keys the second HMAC
	second := hmac.New(sha256.New, []byte(signingKey))
	second.Write([]byte(s.Head + s.Body))
	return s.Prefix + "/" + hex.EncodeToString(second.Sum(nil)), s
}

// Wire returns r as it goes on the wire, signed with authorization in the
// header named as v says.
func (r Request) Wire(v Variant, authorization string) []byte {
	method := r.Method
	if method == "" {
		method = "POST"
	}
	target := r.Path
	if r.Query != "" {
		target += "?" + r.Query
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
	for _, h := range r.withLength() {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	name := v.AuthorizationName
	if name == "" {
		name = "Authorization"
	}
	if authorization != "" {
		fmt.Fprintf(&b, "%s: %s\r\n", name, authorization)
	}
	b.WriteString("\r\n")
	return append([]byte(b.String()), r.Body...)
}

// Send writes wire to conn whole, then reads one answer and its body. As
// http.client and HttpURLConnection do, it gives up if the write fails
// (the server closed the connection while the request was being sent),
// whatever answer the server may have written before it closed.
func Send(conn net.Conn, wire []byte) (*http.Response, []byte, error) {
	if _, err := conn.Write(wire); err != nil {
		return nil, nil, fmt.Errorf("writing the request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

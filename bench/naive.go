// Package bench measures the upload path against two references, on the
// same signed bodies and in the same run:
//
//   - Naive, the way this interface is usually written: read the whole
//     body, percent-encode all of it into a string to check the signature,
//     json.Unmarshal it, base64-decode the payload, check and store the
//     bytes;
//   - Ceiling, the least any implementation must do: base64-decode the
//     payload and HMAC-SHA256 the body, nothing else.
//
// The benchmarks live in bench_test.go; report/ prints them as one table.
//
// bench and the packages under it (the naive peer's server, the load
// generator, the report, served and prompts measurements) are the
// project's measuring kit, not part of the library, and not a stable API.
// Of them, only load is linked into a program: "ccfs bench".
package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// Naive is the typical implementation of the upload interface, written
// plainly: every step takes the whole of its input at once.
type Naive struct {
	Keys  auth.Credentials
	Store store.Store
	Now   func() time.Time
}

// ServeHTTP handles one upload.
func (n *Naive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, desc, name := n.serve(r)
	resp := ccfs.Response{ResultCode: code, ResultDesc: desc}
	if code == "0" {
		resp.ResultData = &ccfs.ResultData{FileName: "/" + name}
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(resp)
}

func (n *Naive) serve(r *http.Request) (code, desc, name string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return "0300004", "cannot read the body", ""
	}
	if !n.authentic(r, body) {
		return "0300010", "authentication failed", ""
	}
	var req ccfs.UploadRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "0300004", "the format of the request body is incorrect", ""
	}
	if req.Request.Version != "2.0" {
		return "0300006", "the value of version is error", ""
	}
	wav, err := base64.StdEncoding.DecodeString(req.MsgBody.Data)
	if err != nil {
		return "0300004", "the format of data is incorrect", ""
	}
	if _, err := wavcheck.Inspect(bytes.NewReader(wav), wavcheck.Policy{}); err != nil {
		return "0300004", err.Error(), ""
	}
	name, err = pathrule.MustParse(pathrule.Default).Name(53, n.Now())
	if err != nil {
		return "0300016", "internal", ""
	}
	if _, err := n.Store.Put(context.Background(), name, bytes.NewReader(wav), int64(len(wav))); err != nil {
		return "0300016", "the file could not be stored", ""
	}
	return "0", "success", name
}

// authentic rebuilds the canonical request as one string and compares.
func (n *Naive) authentic(r *http.Request, body []byte) bool {
	parts := strings.Split(r.Header.Get("Authorization"), "/")
	if len(parts) != 5 {
		return false
	}
	k, err := n.Keys.Lookup(r.Context(), parts[1])
	if err != nil {
		return false
	}
	sk := k.SecretKey
	names := strings.Split(parts[3], ";")
	var headers []string
	for _, h := range names {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		headers = append(headers, encode(h)+":"+encode(v))
	}
	sort.Strings(headers)
	var query []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			query = append(query, encode(k)+"="+encode(v))
		}
	}
	sort.Strings(query)
	canonical := r.Method + "\n" + r.URL.Path + "\n"
	if len(query) > 0 {
		canonical += strings.Join(query, "&") + "\n"
	}
	canonical += parts[3] + "\n" + strings.Join(headers, "\n") + "\n" + encode(string(body))
	key := auth.SigningKey(sk, strings.Join(parts[:4], "/"))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(canonical))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(parts[4]))
}

// encode is the spec's norm: url.QueryEscape, with spaces as %20.
func encode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Careful stores files the way a careful plain server does: it writes a
// temporary file beside the target, syncs it, renames it into place and
// syncs the directory, so that a stored file survives a power loss.
type Careful struct{ Root string }

// Put implements store.Store.
func (c Careful) Put(_ context.Context, name string, r io.Reader, _ int64) ([]string, error) {
	target := filepath.Join(c.Root, filepath.FromSlash(name))
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name()) // fails once renamed
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return nil, errors.Join(d.Sync(), d.Close())
}

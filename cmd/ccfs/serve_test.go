package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

func TestServeUploadEndToEnd(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, "--data", data, "--root", "Y:")
	base := served.base

	// The generated dev key was printed once and saved with mode 0600.
	ak, sk := served.devKey(t)
	if fi, err := os.Stat(filepath.Join(data, "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials.json: %v %v", fi, err)
	}

	// Trust the generated certificate, as a client of a dev server would.
	pemBytes, err := os.ReadFile(filepath.Join(data, "tls-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	wav := alaw(16000)
	body, _ := json.Marshal(ccfs.UploadRequest{Request: ccfs.RequestInfo{Version: "2.0"}, MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(wav)}})
	req, _ := http.NewRequest("POST", base+ccfs.UploadPath+"?vdnId=1", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := (&auth.Signer{AccessKey: ak, SecretKey: sk}).Sign(req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var r ccfs.Response
	if err := json.Unmarshal(raw, &r); err != nil || r.ResultCode != "0" {
		t.Fatalf("response %s", raw)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatal("not TLS 1.2+")
	}
	onDisk, err := os.ReadFile(filepath.Join(data, "files", strings.TrimPrefix(r.ResultData.FileName, "Y:/")))
	if err != nil || !bytes.Equal(onDisk, wav) {
		t.Fatalf("file on disk: %v (%d bytes, want %d)", err, len(onDisk), len(wav))
	}
}

// TestServeCapsConnections: with --max-conns 2 and two connections open
// (and silent), a third is not served until one of them closes.
func TestServeCapsConnections(t *testing.T) {
	base := startServe(t, "--data", t.TempDir(), "--plain-http", "--max-conns", "2").base
	addr := strings.TrimPrefix(base, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + ccfs.UploadPath)
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a third connection was served (%v) while --max-conns 2 were open", err)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the third connection was not served after one closed")
	}
}

func TestServeRefusesTLS11(t *testing.T) {
	base := startServe(t, "--data", t.TempDir()).base
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}}}
	if resp, err := c.Get(base + ccfs.UploadPath); err == nil {
		resp.Body.Close()
		t.Fatal("TLS 1.1 handshake succeeded")
	}
}

func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--codecs", "mp3"},
		{"serve", "--path-rule", "relative/"},
		{"serve", "--tls-cert", "x.pem"},
		{"serve", "--log-format", "xml"},
		{"serve", "--no-such-flag"},
		{"serve", "extra"},
		{"serve", "--quota", "53"},
		{"serve", "--retain", "10s"},
		{"serve", "--retain", "30d", "--retain-every", "1s"},
		{"serve", "--quota", "*=1GiB", "--redis", "redis://127.0.0.1:1"},
		{"nonsense"},
		{},
	} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), append(args, "--data", t.TempDir()), &out, &errs); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if errs.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errs); code != 0 || !strings.Contains(errs.String(), "Example") {
		t.Errorf("--help: %d %s", code, errs.String())
	}
}

// TestServeQuota: with --quota a VDN stores up to its limit and is
// refused past it, with 0300024; after a restart, which counts the files
// again, it is still refused.
func TestServeQuota(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	limit := "--quota=1=" + strconv.Itoa(2*len(wav)) + ",*=none"
	served := startServe(t, "--data", data, limit)
	base := served.base
	ak, sk := served.devKey(t)
	hc := insecureClient() // the dev server's own certificate
	upload := func(base string) error {
		c := &ccfs.Client{BaseURL: base, AccessKey: ak, SecretKey: sk, HTTPClient: hc, Retries: -1}
		_, err := c.Upload(context.Background(), 1, wav)
		return err
	}
	for i := range 3 {
		if err := upload(base); i < 2 && err != nil || i == 2 && !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("upload %d of 2 allowed: %v", i+1, err)
		}
	}
	if err := upload(base); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("again: %v", err)
	}
	base2 := startServe(t, "--data", data, limit).base
	if err := upload(base2); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("after a restart: %v", err)
	}
	if err := upload(base2); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("after a restart, once more: %v", err)
	}
}

// TestServeQuotaFile: --quota-file is reloaded when it changes (polled
// at --credentials-poll); a file that no longer parses keeps the limits
// in use, and says so in the log; --quota and --quota-file together are
// refused.
func TestServeQuotaFile(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	file := filepath.Join(t.TempDir(), "quota")
	os.WriteFile(file, []byte("# one prompt each\n*=none/1\n"), 0o600)
	n := startNode(t, nil, "--data", data, "--quota-file", file, "--credentials-poll", "20ms")
	c := n.client(n.ak, n.sk)
	c.Retries = -1
	ctx := context.Background()
	if _, err := c.Upload(ctx, 1, wav); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("past the file's quota: %v", err)
	}
	os.WriteFile(file, []byte("*=none/2\n"), 0o600)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := c.Upload(ctx, 1, wav)
		if err == nil {
			break
		}
		if !errors.Is(err, ccfs.ErrQuota) || time.Now().After(deadline) {
			t.Fatalf("after the file raised the quota: %v", err)
		}
	}
	os.WriteFile(file, []byte("*=lots\n"), 0o600)
	n.waitLog(t, "quota file not reloaded")
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("with a file that does not parse, the limits before stay: %v", err)
	}
	if code, _, errs := runCmd(t, "serve", "--data", data, "--quota", "*=1GiB", "--quota-file", file); code != 2 || !strings.Contains(errs, "do not go together") {
		t.Fatalf("--quota and --quota-file: %d %s", code, errs)
	}
}

// TestServePoolQuota: with --pool, --quota and --retain start; a prompt
// is one file to its quota however many copies, and deleting one copy
// gives nothing back, the last one its size.
func TestServePoolQuota(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	pool := "0=" + filepath.Join(data, "a") + ",256=" + filepath.Join(data, "b")
	served := startServe(t, "--data", data, "--pool", pool, "--quota=1="+strconv.Itoa(2*len(wav)), "--retain", "30d")
	ak, sk := served.devKey(t)
	c := &ccfs.Client{BaseURL: served.base, AccessKey: ak, SecretKey: sk, HTTPClient: insecureClient(), Retries: -1} // the dev server's own certificate
	ctx := context.Background()
	var first *ccfs.ResultData
	for i := range 3 {
		res, err := c.Upload(ctx, 1, wav)
		if i < 2 && (err != nil || len(res.LocationID) != 2) || i == 2 && !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("upload %d of 2 allowed, to a pool of two: %+v %v", i+1, res, err)
		}
		if i == 0 {
			first = res
		}
	}
	if err := c.Delete(ctx, first.FileName, "256"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("with one copy of a file deleted, the other kept: %v, want %s", err, ccfs.ErrQuota.Code())
	}
	if err := c.Delete(ctx, first.FileName, "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); err != nil {
		t.Fatalf("with both copies deleted: %v", err)
	}
}

// TestServeRetain: with --retain, the prompts older than the age go at
// start; a younger prompt and an old recording stay.
func TestServeRetain(t *testing.T) {
	data := t.TempDir()
	files := filepath.Join(data, "files")
	old := time.Now().Add(-40 * 24 * time.Hour)
	for name, mod := range map[string]time.Time{
		"3rdfile/1/thirdvoicebotfile/old.wav":   old,
		"3rdfile/1/thirdvoicebotfile/young.wav": time.Now(),
		"voice/1/IVRrecordFile/old.wav":         old,
	} {
		p := filepath.Join(files, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, alaw(800), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mod, mod)
	}
	startServe(t, "--data", data, "--retain", "30d")
	gone := filepath.Join(files, "3rdfile/1/thirdvoicebotfile/old.wav")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(gone); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired prompt is still there")
		}
	}
	for _, kept := range []string{"3rdfile/1/thirdvoicebotfile/young.wav", "voice/1/IVRrecordFile/old.wav"} {
		if _, err := os.Stat(filepath.Join(files, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
}

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
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/wavcheck"
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
	if code := run(context.Background(), nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "serve") {
		t.Errorf("no command: exit %d, %s", code, errs.String())
	}
	out.Reset()
	errs.Reset()
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errs); code != 0 || !strings.Contains(errs.String(), "Example") {
		t.Errorf("--help: %d %s", code, errs.String())
	}
}

// TestServeConvertsUploads: with --convert, a 16-bit 22.05 kHz stereo WAV
// upload is stored as 8 kHz A-law mono, and the answer says what it was.
func TestServeConvertsUploads(t *testing.T) {
	data := t.TempDir()
	served := startServe(t, "--data", data, "--convert")
	if want := "ccfs: converting uploads of every VDN to 8000 Hz A-law mono (reads WAV"; !strings.Contains(served.printed, want) {
		t.Errorf("serve --convert printed no %q:\n%s", want, served.printed)
	}
	ak, sk := served.devKey(t)
	c := &ccfs.Client{BaseURL: served.base, AccessKey: ak, SecretKey: sk, HTTPClient: insecureClient()}
	rd, err := c.Upload(context.Background(), 1, tts(22050, 2, 1.5))
	if err != nil {
		t.Fatalf("upload of a 16-bit 22.05 kHz stereo file: %v", err)
	}
	if rd.Converted == nil || rd.Converted.From != "PCM 16-bit 22050 Hz stereo" || rd.Converted.Seconds != 1.5 {
		t.Errorf("the answer's converted: %+v; want from PCM 16-bit 22050 Hz stereo, 1.5 s", rd.Converted)
	}
	stored := readFile(t, filepath.Join(data, "files", filepath.FromSlash(strings.TrimPrefix(rd.FileName, "/"))))
	f, err := wavcheck.Inspect(bytes.NewReader(stored), wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw}})
	if err != nil {
		t.Fatalf("the stored file: %v", err)
	}
	if f.Codec != wavcheck.ALaw || f.SampleRate != 8000 || f.Channels != 1 || f.DataSize != 12000 {
		t.Errorf("the stored file is %v; want A-law, 8000 Hz, mono, 12000 bytes of audio", f)
	}

	// An upload already as CC-FS takes it is stored byte for byte, with no
	// "converted" in the answer.
	prompt := alaw(8000)
	rd, err = c.Upload(context.Background(), 1, prompt)
	if err != nil || rd.Converted != nil {
		t.Fatalf("upload of an A-law prompt: %+v %v", rd, err)
	}
	if got := readFile(t, filepath.Join(data, "files", filepath.FromSlash(strings.TrimPrefix(rd.FileName, "/")))); !bytes.Equal(got, prompt) {
		t.Error("an A-law prompt was not stored byte for byte")
	}
}

// TestServeConvertsOnlyTheVDNsNamed: with --convert=53, VDN 53's upload is
// converted and VDN 54's (the same key's) is refused as without
// --convert, every reason in one answer.
func TestServeConvertsOnlyTheVDNsNamed(t *testing.T) {
	data := t.TempDir()
	creds := writeKeys(t, 0o600, auth.Key{AccessKey: "chatbot-a", SecretKey: "convert-test-secret", VDNs: []int{53, 54}})
	served := startServe(t, "--data", data, "--credentials", creds, "--convert=53")
	if want := "ccfs: converting uploads of VDN 53 to 8000 Hz A-law mono"; !strings.Contains(served.printed, want) {
		t.Errorf("serve --convert=53 printed no %q:\n%s", want, served.printed)
	}
	c := &ccfs.Client{BaseURL: served.base, AccessKey: "chatbot-a", SecretKey: "convert-test-secret", HTTPClient: insecureClient()}
	wav := tts(22050, 2, 1)
	rd, err := c.Upload(context.Background(), 53, wav)
	if err != nil || rd.Converted == nil || rd.Converted.From != "PCM 16-bit 22050 Hz stereo" {
		t.Fatalf("VDN 53: %+v %v; want converted", rd, err)
	}
	if _, err := wavcheck.Inspect(bytes.NewReader(readFile(t, filepath.Join(data, "files", filepath.FromSlash(strings.TrimPrefix(rd.FileName, "/"))))), wavcheck.Policy{}); err != nil {
		t.Errorf("VDN 53's stored file: %v", err)
	}
	_, err = c.Upload(context.Background(), 54, wav)
	if !errors.Is(err, ccfs.ErrFormat) {
		t.Fatalf("VDN 54: %v; want %s", err, ccfs.ErrFormat.Code())
	}
	for _, reason := range []string{"16-bit PCM; need 8-bit A-law", "2 channels (stereo); need mono", "22050 Hz; need 8000 Hz"} {
		if !strings.Contains(err.Error(), reason) {
			t.Errorf("VDN 54's refusal %q does not say %q", err, reason)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(data, "files", "3rdfile", "54", "*", "*")); len(files) != 0 {
		t.Errorf("VDN 54 has files: %v", files)
	}
}

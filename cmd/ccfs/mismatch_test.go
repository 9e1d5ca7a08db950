package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// TestClientCommandsShowWhatWasSigned: refused for a wrong secret,
// upload, delete and download print what the server signed and what they
// signed, each as `ccfs explain` lays it out, and say the secret differs;
// against a terse server they print the result code alone.
func TestClientCommandsShowWhatWasSigned(t *testing.T) {
	base, _, ak, _ := devServer(t)
	key := []string{"--url", base, "--ak", ak, "--sk", "not-the-secret", "--insecure"}
	prompt := writeFile(t, "prompt.wav", alaw(4000))
	for _, args := range [][]string{
		{"upload", "--vdn", "1", prompt},
		{"delete", "/3rdfile/1/thirdvoicebotfile/x.wav"},
		{"download", "-o", "-", "/3rdfile/1/thirdvoicebotfile/x.wav"},
	} {
		code, _, errs := runCmd(t, append(append(args[:1:1], key...), args[1:]...)...)
		if code != 1 {
			t.Fatalf("%s with a wrong secret: %d %s", args[0], code, errs)
		}
		server, client, ok := strings.Cut(errs, "what this command signed:\n")
		if !ok || !strings.Contains(server, "refused: "+ccfs.ErrAuth.Code()) || !strings.Contains(server, "what the server signed:\nauthStringPrefix: auth-v2/"+ak+"/") {
			t.Fatalf("%s: no server side laid out:\n%s", args[0], errs)
		}
		client, verdict, _ := strings.Cut(client, "both signed the same text")
		// Both sides as `ccfs explain` lays them out, the same lines (one
		// request), but the server's note on an empty query line.
		_, serverLaidOut, _ := strings.Cut(server, "what the server signed:\n")
		serverLaidOut = strings.Replace(serverLaidOut, "(also accepted: an empty query line after the path)\n", "", 1)
		if serverLaidOut != client {
			t.Errorf("%s: the two sides differ although only the secret does:\nserver:\n%s\ncommand:\n%s", args[0], serverLaidOut, client)
		}
		if !strings.Contains(verdict, "secret key differs") {
			t.Errorf("%s: no verdict on the secret: %s", args[0], errs)
		}
		if strings.Contains(errs, "not-the-secret") {
			t.Errorf("%s: the secret is printed: %s", args[0], errs)
		}
	}

	terse := startServe(t, "--data", t.TempDir(), "--terse-signature-errors").base
	code, _, errs := runCmd(t, "delete", "--url", terse, "--ak", ak, "--sk", "x", "--insecure", "/3rdfile/1/thirdvoicebotfile/x.wav")
	if code != 1 || !strings.Contains(errs, "refused: 0300") || strings.Contains(errs, "signed:") {
		t.Errorf("against a terse server: %d %q", code, errs)
	}
}

// TestWriteMismatch: the lines that differ are shown one under the other.
func TestWriteMismatch(t *testing.T) {
	server := &auth.Explanation{AuthStringPrefix: "auth-v2/ak/2026-01-01T00:00:00Z/host", CanonicalRequest: "POST\n/a\nhost\nhost:h\n", BodyLength: 2, BodyStart: "{}"}
	client := *server
	client.CanonicalRequest = "POST\n/b\nhost\nhost:h\n"
	var b strings.Builder
	writeMismatch(&b, server, &client)
	out := b.String()
	if !strings.Contains(out, "where they differ:\n  server:  |/a|\n  command: |/b|\n") || strings.Contains(out, "secret key differs") {
		t.Errorf("writeMismatch:\n%s", out)
	}
	// A line missing on one side shifts no other into the difference.
	client.CanonicalRequest = "POST\n/a\nq=1\nhost\nhost:h\n"
	client.EmptyQueryLineAlsoAccepted = true
	b.Reset()
	writeMismatch(&b, server, &client)
	if _, diff, _ := strings.Cut(b.String(), "where they differ:\n"); diff != "  command: |q=1|\n" {
		t.Errorf("a line only the client signed: %q", diff)
	}
	var explained strings.Builder
	layOut(&explained, server)
	if !strings.Contains(out, "what the server signed:\n"+explained.String()) {
		t.Errorf("the server side is not laid out as ccfs explain does:\n%s", out)
	}
}

// TestSigningPageDiffRecipe: the recipe in docs/signing.md, "lay both
// sides out the same way and diff them", shows no difference for a
// request whose only fault is the secret: the client side is signed at
// the refused request's timestamp (--timestamp), and the server's note on
// an empty query line, which a client never prints, is left out.
func TestSigningPageDiffRecipe(t *testing.T) {
	raw, err := os.ReadFile("../../docs/signing.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	for _, step := range []string{"ccfs explain answer.json | grep -v '^(also accepted' > server.txt",
		"ccfs sign --explain --timestamp TIMESTAMP --ak AK --sk SK --body body.json"} {
		if !strings.Contains(page, step) {
			t.Errorf("docs/signing.md's recipe lacks %q", step)
		}
	}

	if _, _, help := runCmd(t, "explain", "-h"); !strings.Contains(help, "grep -v '^(also accepted'") || !strings.Contains(help, "--timestamp TIMESTAMP") {
		t.Errorf("ccfs explain's example diff does not follow the recipe:\n%s", help)
	}

	base, _, ak, _ := devServer(t)
	url := base + ccfs.DeletePath
	body := writeFile(t, "body.json", []byte(`{"request":{"version":"2.0"},"msgBody":{"fileName":"/3rdfile/1/thirdvoicebotfile/x.wav"}}`))
	code, out, errs := runCmd(t, "sign", "--seconds", "--ak", ak, "--sk", "not-the-secret", "--body", body, "--url", url)
	if code != 0 {
		t.Fatalf("sign: %d %s", code, errs)
	}
	authz := strings.TrimSpace(out)
	timestamp := strings.Split(authz, "/")[2]
	data, _ := os.ReadFile(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	insecure := insecureClient()
	resp, err := insecure.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, server, errs := runCmd(t, "explain", writeFile(t, "answer.json", answer))
	if code != 0 {
		t.Fatalf("explain: %d %s", code, errs)
	}
	server = strings.Replace(server, "(also accepted: an empty query line after the path)\n", "", 1) // grep -v
	time.Sleep(1100 * time.Millisecond)                                                              // the recipe's sign runs later
	code, client, errs := runCmd(t, "sign", "--explain", "--timestamp", timestamp, "--ak", ak, "--sk", "the-right-secret", "--body", body, "--url", url)
	if code != 0 {
		t.Fatalf("sign --explain: %d %s", code, errs)
	}
	// sed -n '/^authStringPrefix: /,/^bodyStart: /p'
	start := strings.Index(client, "authStringPrefix: ")
	end := strings.Index(client, "bodyStart: ")
	if start < 0 || end < start {
		t.Fatalf("sign --explain:\n%s", client)
	}
	client = client[start:]
	client = client[:strings.Index(client, "bodyStart: ")+strings.Index(client[strings.Index(client, "bodyStart: "):], "\n")+1]
	if client != server {
		t.Errorf("the recipe shows a difference where only the secret differs:\nclient:\n%s\nserver:\n%s", client, server)
	}
}

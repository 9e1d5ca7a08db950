package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonClient is the reference client docs/signing.md gives vendors.
var pythonClient = filepath.Join("..", "..", "examples", "python", "ccfs_client.py")

// TestPythonReferenceClient runs the Python reference client against a
// real "ccfs serve" with its generated dev key and self-signed certificate
// (verified, not skipped): it reproduces the three worked vectors, then
// uploads a WAV, downloads it back unchanged, deletes it and is refused
// the download of the deleted file. .ci/run installs python3, and its
// report fails the run if this test skips.
func TestPythonReferenceClient(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the Python reference client cannot be run (.ci/run installs it)")
	}
	var secret string // given as $CCFS_SK, so that no failure shows it
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(python, append([]string{pythonClient}, args...)...)
		cmd.Env = append(os.Environ(), "CCFS_SK="+secret)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python3 ccfs_client.py %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := run("vectors")
	for _, v := range []string{"A", "B", "C"} {
		if !strings.Contains(out, "vector "+v+": agrees") {
			t.Errorf("vector %s not reproduced:\n%s", v, out)
		}
	}
	// The script checks itself against its own copy of the vectors; its
	// signing keys and headers must also be the page's, which
	// TestSigningPageCarriesTheVectors (auth) holds to the Go signer.
	page, err := os.ReadFile("../../docs/signing.md")
	if err != nil {
		t.Fatal(err)
	}
	var checked int
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "Authorization: ") || strings.HasPrefix(line, "signingKey ") {
			checked++
			if v := strings.Join(strings.Fields(line)[1:], " "); !strings.Contains(string(page), v) {
				t.Errorf("the Python client's %s is not in docs/signing.md", line)
			}
		}
	}
	if checked != 6 {
		t.Errorf("%d signing keys and Authorization headers in the vectors' output, want 6:\n%s", checked, out)
	}

	data := t.TempDir()
	n := startNode(t, nil, "--data", data, "--rate", "0")
	secret = n.sk
	out = run("--url", n.base, "--ak", n.ak, "--vdn", "1",
		"--ca", filepath.Join(data, "tls-cert.pem"), "selftest")
	for _, step := range []string{"uploaded  /3rdfile/1/thirdvoicebotfile/", "downloaded the same", "deleted", "resultCode 0300021", "selftest passed"} {
		if !strings.Contains(out, step) {
			t.Errorf("the selftest's output lacks %q:\n%s", step, out)
		}
	}
	// The server logged each request as accepted (the signature held).
	n.waitLog(t, "msg=delete")
	if logs := n.stderr.String(); strings.Contains(logs, "0300010") {
		t.Errorf("the server refused a signature:\n%s", logs)
	}
}

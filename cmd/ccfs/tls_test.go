package main

import (
	"crypto/tls"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClientCA: a client command refuses the development server's
// self-signed certificate, saying to pass --ca; with --ca naming that
// certificate it uploads, and delete, download and bench take the flag too.
func TestClientCA(t *testing.T) {
	base, data, ak, sk := devServer(t)
	prompt := writeFile(t, "prompt.wav", alaw(4000))
	key := []string{"--url", base, "--ak", ak, "--sk", sk}
	up := func(extra ...string) (int, string, string) {
		return runCmd(t, append(append(append([]string{"upload"}, key...), extra...), "--vdn", "1", prompt)...)
	}
	code, _, errs := up()
	if code != 1 || !strings.Contains(errs, "--ca FILE") || !strings.Contains(errs, "not signed by an authority") {
		t.Fatalf("upload without --ca: %d %q; want a refusal naming --ca", code, errs)
	}
	ca := filepath.Join(data, "tls-cert.pem")
	code, out, errs := up("--ca", ca)
	if code != 0 {
		t.Fatalf("upload --ca %s: %d %s", ca, code, errs)
	}
	fileName := strings.TrimSpace(strings.TrimPrefix(out, "fileName: "))
	back := filepath.Join(t.TempDir(), "back.wav")
	if code, _, errs := runCmd(t, append(append([]string{"download"}, key...), "--ca", ca, "-o", back, fileName)...); code != 0 {
		t.Fatalf("download --ca: %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, append(append([]string{"delete"}, key...), "--ca", ca, fileName)...); code != 0 {
		t.Fatalf("delete --ca: %d %s", code, errs)
	}
	if code, out, errs := runCmd(t, append(append([]string{"bench"}, key...), "--vdn", "1", "--size", "2KiB", "--concurrency", "1", "--duration", "300ms")...); code != 1 || !strings.Contains(out, "--ca FILE") {
		t.Fatalf("bench without --ca: %d %q %s; want the result naming --ca", code, out, errs)
	}

	// $SSL_CERT_FILE, read once by a process: the built command.
	cmd := exec.Command(buildCommand(t), append(append([]string{"upload"}, key...), "--vdn", "1", prompt)...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+ca)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "fileName: ") {
		t.Fatalf("upload with SSL_CERT_FILE: %v %s", err, out)
	}

	other, _, _ := makePair(t, "some other server")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--ca", writeFile(t, "other.pem", other)}, 1, "not signed by an authority"},
		{[]string{"--ca", ca, "--insecure"}, 2, "--ca and --insecure do not go together"},
		{[]string{"--ca", writeFile(t, "empty.pem", []byte("nothing"))}, 2, "no PEM certificate"},
		{[]string{"--ca", filepath.Join(data, "absent.pem")}, 2, "--ca: open"},
	} {
		if code, _, errs := up(tc.args...); code != tc.code || !strings.Contains(errs, tc.says) {
			t.Errorf("upload %v: %d %q; want %d saying %q", tc.args, code, errs, tc.code, tc.says)
		}
	}
}

// makePair returns a new self-signed certificate (selfSigned's) and its
// key, in PEM, and its serial.
func makePair(t *testing.T, name string) (certPEM, keyPEM []byte, serial *big.Int) {
	t.Helper()
	certPEM, keyPEM, err := selfSigned(name, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair.Leaf.SerialNumber
}

// servedSerial returns the serial of the certificate a new connection to
// the node gets.
func servedSerial(t *testing.T, n *node) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(n.base, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// replace writes data to name as a renewal tool does: a new file renamed
// over the old.
func replace(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name+".new", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(name+".new", name); err != nil {
		t.Fatal(err)
	}
}

// TestTLSCertReload: serve picks up a renewed certificate and key, when
// the poll sees the files change and on SIGHUP, for the connections that
// follow, without a restart; a new pair that does not load (a key that is
// not the certificate's, a file that is not PEM) leaves the pair in use
// and is logged at ERROR, without the key.
func TestTLSCertReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certA, keyA, serialA := makePair(t, "a")
	replace(t, certFile, certA)
	replace(t, keyFile, keyA)
	n := startNode(t, nil, "--data", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile, "--credentials-poll", "50ms")
	if got := servedSerial(t, n); got.Cmp(serialA) != 0 {
		t.Fatalf("served serial %x, want %x", got, serialA)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s; log:\n%s", what, n.stderr)
			}
		}
	}

	certB, keyB, serialB := makePair(t, "b")
	replace(t, keyFile, keyB)
	replace(t, certFile, certB)
	eventually("the renewed certificate served", func() bool { return servedSerial(t, n).Cmp(serialB) == 0 })
	n.waitLog(t, "TLS certificate reloaded")

	certC, _, _ := makePair(t, "c")
	replace(t, certFile, certC) // with key B: not its key
	n.waitLog(t, "TLS certificate not reloaded")
	n.waitLog(t, "private key does not match public key")
	replace(t, certFile, []byte("not a certificate"))
	n.waitLog(t, "failed to find any PEM data in certificate input")
	time.Sleep(200 * time.Millisecond) // four polls
	if got := servedSerial(t, n); got.Cmp(serialB) != 0 {
		t.Fatalf("after broken pairs the server serves %x, want the pair in use, %x", got, serialB)
	}
	log := n.stderr.String()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "not reloaded") && !strings.Contains(line, "level=ERROR") {
			t.Errorf("a pair not reloaded is not logged at ERROR: %s", line)
		}
	}
	if strings.Contains(log, "PRIVATE KEY") || strings.Contains(log, string(keyB[30:60])) {
		t.Errorf("the log shows key material:\n%s", log)
	}

	// With the poll off, SIGHUP reloads.
	replace(t, certFile, certA)
	replace(t, keyFile, keyA)
	n2 := startNode(t, nil, "--data", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile, "--credentials-poll", "0")
	replace(t, certFile, certB)
	replace(t, keyFile, keyB)
	n = n2
	if got := servedSerial(t, n2); got.Cmp(serialA) != 0 {
		t.Fatalf("before SIGHUP: served %x, want %x", got, serialA)
	}
	n2.cmd.Process.Signal(syscall.SIGHUP)
	eventually("the renewed certificate served after SIGHUP", func() bool { return servedSerial(t, n2).Cmp(serialB) == 0 })
	n2.waitLog(t, "TLS certificate reloaded")
}

// TestOperatingPageOnRenewalOrder: a renewal that writes either file of
// the pair first is refused until the other follows (a new key does not
// match the old certificate any more than a new certificate matches the
// old key: TestTLSCertReload sees it), so operating.md must not tell the
// operator that writing the key first avoids the ERROR.
func TestOperatingPageOnRenewalOrder(t *testing.T) {
	raw, err := os.ReadFile("../../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(raw)), " ")
	if strings.Contains(text, "write the key first") {
		t.Error("docs/operating.md says writing the key first avoids the ERROR; either order is logged for one poll")
	}
	if want := "whichever comes first"; !strings.Contains(text, want) {
		t.Errorf("docs/operating.md does not say %q of the pair's files", want)
	}
}

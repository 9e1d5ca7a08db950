package ccfs_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// TestGoWebhookReceiver runs examples/webhook-receiver, built, against
// the deliveries of checkReceiver.
func TestGoWebhookReceiver(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "webhook-receiver")
	if out, err := exec.Command("go", "build", "-o", bin, "./examples/webhook-receiver").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	checkReceiver(t, func(secretFile string) *exec.Cmd {
		return exec.Command(bin, "-addr", "127.0.0.1:0", "-secret-file", secretFile)
	}, func(secret string) *exec.Cmd {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
		return cmd
	})
}

// TestPythonWebhookReceiver runs examples/python/webhook_receiver.py
// against the deliveries of checkReceiver.
func TestPythonWebhookReceiver(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the Python webhook receiver cannot be run (.ci/run installs it)")
	}
	script := filepath.Join("examples", "python", "webhook_receiver.py")
	checkReceiver(t, func(secretFile string) *exec.Cmd {
		return exec.Command(python, script, "--addr", "127.0.0.1:0", "--secret-file", secretFile)
	}, func(secret string) *exec.Cmd {
		cmd := exec.Command(python, script, "--addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
		return cmd
	})
}

// checkReceiver starts a receiver with withFile (given a file holding its
// secret) and sends it deliveries signed with events.Headers: an event
// (204, printed), the same event again (204, not printed), one signed
// with another secret (401), one signed 10 minutes ago or 10 minutes
// ahead (401), a body changed after signing (401), its signature under
// another version's label (401), and one signed with two secrets as
// during a rotation, the receiver's second (204, printed).
// Its output must be the two printed lines, nothing else. Then it starts
// the receiver with withEnv (given the secret for $WEBHOOK_SECRET): it
// takes the same event, and refuses to start with a secret that is not
// one, without printing it.
func checkReceiver(t *testing.T, withFile func(secretFile string) *exec.Cmd, withEnv func(secret string) *exec.Cmd) {
	secret, other := events.NewSecret(), events.NewSecret()
	secretFile := filepath.Join(t.TempDir(), "receiver.secret")
	if err := os.WriteFile(secretFile, []byte(secret.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startReceiver(t, withFile(secretFile))

	uploaded := events.New(events.PromptUploaded, time.Now())
	uploaded.VDN, uploaded.FileName, uploaded.LocationIDs = 53, "Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav", []string{"0"}
	uploaded.Size, uploaded.Codec, uploaded.AccessKey, uploaded.RequestID = 16044, "alaw", "chatbot-a", "req-1"
	deleted := events.New(events.PromptDeleted, time.Now())
	deleted.VDN, deleted.FileName, deleted.Size, deleted.Codec, deleted.AccessKey = 54, "Y:/3rdfile/54/thirdvoicebotfile/b.wav", 8044, "mulaw", "chatbot-b"
	stray := events.New(events.PromptExpired, time.Now())
	stray.VDN, stray.FileName, stray.Size, stray.Codec = 53, "Y:/3rdfile/53/thirdvoicebotfile/never.wav", 1, "alaw"

	now := time.Now()
	for _, d := range []struct {
		name    string
		ev      events.Event
		ts      time.Time
		sign    []events.Secret
		edit    func([]byte) []byte // the body after signing
		relabel bool                // the signature's "v1," made "v2,"
		want    int
	}{
		{"an event", uploaded, now, []events.Secret{secret}, nil, false, http.StatusNoContent},
		{"the same event again", uploaded, now.Add(time.Second), []events.Secret{secret}, nil, false, http.StatusNoContent},
		{"signed with another secret", stray, now, []events.Secret{other}, nil, false, http.StatusUnauthorized},
		{"signed 10 minutes ago", stray, now.Add(-10 * time.Minute), []events.Secret{secret}, nil, false, http.StatusUnauthorized},
		{"signed 10 minutes ahead", stray, now.Add(10 * time.Minute), []events.Secret{secret}, nil, false, http.StatusUnauthorized},
		{"changed after signing", stray, now, []events.Secret{secret}, func(b []byte) []byte { return bytes.Replace(b, []byte(`"vdn":53`), []byte(`"vdn":54`), 1) }, false, http.StatusUnauthorized},
		{"its own signature labelled v2", stray, now, []events.Secret{secret}, nil, true, http.StatusUnauthorized},
		{"signed with two secrets, its own second", deleted, now, []events.Secret{other, secret}, nil, false, http.StatusNoContent},
	} {
		body, err := json.Marshal(d.ev)
		if err != nil {
			t.Fatal(err)
		}
		h := events.Headers(d.ev.ID, d.ts, body, d.sign...)
		if d.relabel {
			h.Set(events.HeaderSignature, "v2,"+strings.TrimPrefix(h.Get(events.HeaderSignature), "v1,"))
		}
		if d.edit != nil {
			body = d.edit(body)
		}
		if got := r.deliver(t, body, h); got != d.want {
			t.Errorf("%s: answered %d, want %d", d.name, got, d.want)
		}
	}
	want := "prompt.uploaded 53 " + uploaded.FileName + "\nprompt.deleted 54 " + deleted.FileName + "\n"
	if got := r.waitOutput(t, "prompt.deleted"); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}

	// The secret from the environment.
	r = startReceiver(t, withEnv(secret.Text()))
	body, _ := json.Marshal(uploaded)
	if got := r.deliver(t, body, events.Headers(uploaded.ID, time.Now(), body, secret)); got != http.StatusNoContent {
		t.Errorf("with $WEBHOOK_SECRET: answered %d, want 204", got)
	}
	if got := r.waitOutput(t, "prompt.uploaded"); got != want[:strings.Index(want, "\n")+1] {
		t.Errorf("with $WEBHOOK_SECRET: printed %q", got)
	}

	// A rotation: a file of two secrets (a comment, a blank line); a
	// delivery signed with the second alone is taken.
	rotated := filepath.Join(t.TempDir(), "rotated.secret")
	if err := os.WriteFile(rotated, []byte("# old, then new\n"+other.Text()+"\n\n"+secret.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = startReceiver(t, withFile(rotated))
	if got := r.deliver(t, body, events.Headers(uploaded.ID, time.Now(), body, secret)); got != http.StatusNoContent {
		t.Errorf("with two secrets in the file, signed with the second: answered %d, want 204", got)
	}

	// No secret at all: a line that says what to give.
	if out, err := withEnv("").CombinedOutput(); err == nil || !bytes.Contains(out, []byte("no secret")) || bytes.Contains(out, []byte("Traceback")) {
		t.Errorf("without a secret: %v\n%s", err, out)
	}

	// A secret that is not one: its key 16 bytes, too short.
	bad := "whsec_" + base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	cmd := withEnv(bad)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("with a 16-byte secret: %v, want an exit status\n%s", err, out)
	}
	if bytes.Contains(out, []byte(bad[len("whsec_"):])) {
		t.Errorf("with a bad secret, the output shows it:\n%s", out)
	}
}

// A running receiver.
type runningReceiver struct {
	url    string
	stdout *lockedBuffer
}

// startReceiver starts cmd, which prints "listening on HOST:PORT" on its
// standard error once it listens, and kills it when the test ends.
func startReceiver(t *testing.T, cmd *exec.Cmd) *runningReceiver {
	t.Helper()
	stdout := &lockedBuffer{}
	cmd.Stdout = stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	var logged lockedBuffer // the rest of its standard error, for a failure
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if _, a, ok := strings.Cut(line, "listening on "); ok {
				select {
				case addr <- a:
				default:
				}
			}
			logged.Write([]byte(line + "\n"))
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("%s exited without listening:\n%s", cmd.Path, logged.String())
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the receiver's standard error:\n%s", logged.String())
			}
		})
		return &runningReceiver{url: "http://" + a + "/", stdout: stdout}
	case <-time.After(time.Minute):
		t.Fatalf("%s did not say it listens within a minute:\n%s", cmd.Path, logged.String())
	}
	return nil
}

// deliver POSTs body with h, as ccfs's deliverer does, and returns the
// answer's status.
func (r *runningReceiver) deliver(t *testing.T, body []byte, h http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode
}

// waitOutput returns the receiver's standard output once it holds a
// whole line beginning with prefix, or fails after a minute.
func (r *runningReceiver) waitOutput(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out := r.stdout.String()
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, "\n") {
				return out
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line beginning %q printed within a minute; printed:\n%s", prefix, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and readers at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

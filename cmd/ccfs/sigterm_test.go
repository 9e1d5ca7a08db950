package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// TestSIGTERMLetsUploadsFinish builds the command, starts uploads that
// trickle in, sends SIGTERM, and checks: the uploads in flight succeed
// with their files whole on disk, new connections are refused, and the
// process exits 0.
func TestSIGTERMLetsUploadsFinish(t *testing.T) {
	data := t.TempDir()
	n := startNode(t, nil, "--data", data)
	ak, sk, base, client := n.ak, n.sk, n.base, n.insecureHTTP
	if ak == "" {
		t.Fatalf("no development key printed: %s", n.stderr)
	}

	const uploads = 4
	wavs := make([][]byte, uploads)
	results := make([]ccfs.Response, uploads)
	errs := make([]error, uploads)
	started := make(chan struct{}, uploads)
	var wg sync.WaitGroup
	for i := range uploads {
		wavs[i] = alaw(20_000 + i)
		b, _ := json.Marshal(ccfs.UploadRequest{Request: ccfs.RequestInfo{Version: "2.0"}, MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(wavs[i])}})
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", base+ccfs.UploadPath+"?vdnId=1", pr)
		req.ContentLength = int64(len(b))
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		if err := (&auth.Signer{AccessKey: ak, SecretKey: sk}).Sign(req, b); err != nil {
			t.Fatal(err)
		}
		go func() { // the body trickles in over about a second
			for j := 0; j < len(b); j += len(b) / 10 {
				pw.Write(b[j:min(len(b), j+len(b)/10)])
				if j == 0 {
					started <- struct{}{}
				}
				time.Sleep(100 * time.Millisecond)
			}
			pw.Close()
		}()
		wg.Go(func() {
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			errs[i] = json.NewDecoder(resp.Body).Decode(&results[i])
		})
	}
	for range uploads {
		<-started
	}
	time.Sleep(150 * time.Millisecond)
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener is closed.
	host := strings.TrimPrefix(base, "https://")
	refused := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", host)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("new connections were still accepted after SIGTERM")
	}
	wg.Wait()
	<-n.exited
	if !n.cmd.ProcessState.Success() {
		t.Fatalf("serve exited with %v: %s", n.cmd.ProcessState, n.stderr)
	}
	for i := range uploads {
		if errs[i] != nil || results[i].ResultCode != "0" {
			t.Fatalf("upload %d in flight at SIGTERM: %v %+v", i, errs[i], results[i])
		}
		got, err := os.ReadFile(filepath.Join(data, "files", strings.TrimPrefix(results[i].ResultData.FileName, "/")))
		if err != nil || !bytes.Equal(got, wavs[i]) {
			t.Fatalf("upload %d: file on disk: %v", i, err)
		}
	}
	// Nothing else, no temporary files.
	files := 0
	filepath.WalkDir(filepath.Join(data, "files"), func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files != uploads {
		t.Fatalf("%d files under the data directory, want %d", files, uploads)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
)

// TestNewcomerPath follows docs/operating.md's "Trying it": serve, check a TTS file, convert it,
// check again, upload it, find it on disk.
func TestNewcomerPath(t *testing.T) {
	base, data, ak, sk := devServer(t)
	tts := writeFile(t, "tts.wav", tts16k())

	code, out, _ := runCmd(t, "check", tts)
	if code != 1 || !strings.Contains(out, "16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 16000 Hz; need 8000 Hz") {
		t.Fatalf("check of the TTS file: %d %q", code, out)
	}
	prompt := filepath.Join(t.TempDir(), "prompt.wav")
	if code, _, errs := runCmd(t, "convert", tts, prompt); code != 0 {
		t.Fatalf("convert: %d %s", code, errs)
	}
	if code, out, _ := runCmd(t, "check", prompt); code != 0 || !strings.Contains(out, "OK, 8-bit A-law, 8000 Hz, mono, 8000 bytes of audio (1s)") {
		t.Fatalf("check of the converted file: %d %q", code, out)
	}
	code, out, errs := runCmd(t, "upload", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--insecure", prompt)
	if code != 0 {
		t.Fatalf("upload: %d %s", code, errs)
	}
	m := regexp.MustCompile(`fileName: /(3rdfile/1/thirdvoicebotfile/\S+\.wav)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("upload printed %q", out)
	}
	want, _ := os.ReadFile(prompt)
	got, err := os.ReadFile(filepath.Join(data, "files", m[1]))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stored file: %v", err)
	}

	// A refused file: exit 1 with the code and the reason.
	code, _, errs = runCmd(t, "upload", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--insecure", tts)
	if code != 1 || !strings.Contains(errs, ccfs.ErrFormat.Code()) || !strings.Contains(errs, "16-bit PCM; need 8-bit A-law") {
		t.Fatalf("upload of the TTS file: %d %q", code, errs)
	}
	// A wrong key: 0300010.
	code, _, errs = runCmd(t, "upload", "--url", base, "--ak", ak, "--sk", "wrong", "--vdn", "1", "--insecure", prompt)
	if code != 1 || !strings.Contains(errs, ccfs.ErrAuth.Code()) {
		t.Fatalf("upload with a wrong key: %d %q", code, errs)
	}
}

// TestSignWithCurlStyleRequest signs with "ccfs sign" and sends the request
// as curl would, with exactly those headers and bytes.
func TestSignWithCurlStyleRequest(t *testing.T) {
	base, _, ak, sk := devServer(t)
	wav := alaw(800)
	body, _ := json.Marshal(ccfs.UploadRequest{Request: ccfs.RequestInfo{Version: "2.0"}, MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(wav)}})
	bodyFile := writeFile(t, "body.json", body)
	url := base + ccfs.UploadPath + "?vdnId=1"
	code, out, errs := runCmd(t, "sign", "--ak", ak, "--sk", sk, "--url", url, "--body", bodyFile,
		"--header", "Content-Type: application/json;charset=UTF-8")
	if code != 0 {
		t.Fatalf("sign: %d %s", code, errs)
	}
	authz := strings.TrimSpace(out)
	// By default it signs host and the header given.
	if !regexp.MustCompile(`^auth-v2/` + ak + `/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/content-type;host/[0-9a-f]{64}$`).MatchString(authz) {
		t.Fatalf("header %q", authz)
	}
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("Authorization", authz)
	c := insecureClient()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"resultCode":"0"`) {
		t.Fatalf("response %s", raw)
	}
}

func TestCommandsHelpAndBadInput(t *testing.T) {
	for _, cmd := range []string{"serve", "upload", "delete", "download", "check", "convert", "sign", "bench"} {
		code, _, errs := runCmd(t, cmd, "--help")
		if code != 0 || !strings.Contains(errs, "Example:") || !strings.Contains(errs, "usage: ccfs "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, errs)
		}
		code, _, errs = runCmd(t, cmd, "--no-such-flag")
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%s --no-such-flag: %d %q (want exit 2 and one line)", cmd, code, errs)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.wav")
	notWAV := writeFile(t, "notes.txt", []byte("these are not audio"))
	for _, args := range [][]string{
		{"upload", "--url", "https://127.0.0.1:1", "--ak", "a", "--sk", "s", "--vdn", "1", missing},
		{"upload", "x.wav"},
		{"delete", "--url", "https://127.0.0.1:1", "--ak", "a", "--sk", "s"},
		{"delete", "--url", "https://127.0.0.1:1", "--ak", "a", "--sk", "s", "/x.wav"},
		{"download", "--url", "https://127.0.0.1:1", "--ak", "a", "--sk", "s", "/x.wav"},
		{"download", "--url", "https://127.0.0.1:1", "--ak", "a", "--sk", "s", "-o", filepath.Join(t.TempDir(), "o.wav"), "/x.wav"},
		{"check"},
		{"convert", notWAV, filepath.Join(t.TempDir(), "out.wav")},
		{"convert", missing, "out.wav"},
		{"convert", "--codec", "pcm8", notWAV, "out.wav"},
		{"convert", "only-one.wav"},
		{"sign", "--ak", "a", "--sk", "s"},
		{"sign", "--ak", "a", "--sk", "s", "--url", "https://h/p", "--header", "no colon"},
	} {
		code, _, errs := runCmd(t, args...)
		if code == 0 || strings.TrimSpace(errs) == "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want non-zero and one line)", args, code, errs)
		}
	}
	code, out, _ := runCmd(t, "check", notWAV, missing)
	if code != 1 || !strings.Contains(out, "not a WAV file") || !strings.Contains(out, "cannot read") {
		t.Errorf("check of bad files: %d %q", code, out)
	}
}

// TestDeleteAndDownloadCommands: a prompt uploaded, downloaded back and
// deleted; a recording the IVR left downloaded by path and by folder; a
// failed download leaves no output file.
func TestDeleteAndDownloadCommands(t *testing.T) {
	base, data, ak, sk := devServer(t)
	key := []string{"--url", base, "--ak", ak, "--sk", sk, "--insecure"}
	cmd := func(args ...string) (int, string, string) {
		return runCmd(t, append(append(args[:1:1], key...), args[1:]...)...)
	}
	prompt := writeFile(t, "prompt.wav", alaw(4000))
	code, out, errs := cmd("upload", "--vdn", "1", prompt)
	if code != 0 {
		t.Fatalf("upload: %d %s", code, errs)
	}
	fileName := strings.TrimSpace(strings.TrimPrefix(out, "fileName: "))
	dir := t.TempDir()
	back := filepath.Join(dir, "back.wav")
	if code, out, errs := cmd("download", "-o", back, fileName); code != 0 || !strings.Contains(out, "downloaded: "+back) {
		t.Fatalf("download of the prompt: %d %q %s", code, out, errs)
	}
	if got, want := readFile(t, back), readFile(t, prompt); !bytes.Equal(got, want) {
		t.Fatalf("downloaded %d bytes, uploaded %d", len(got), len(want))
	}

	rec := alaw(16000)
	recDir := filepath.Join(data, "files", "voice", "1", "IVRrecordFile", "0042")
	os.MkdirAll(recDir, 0o750)
	os.WriteFile(filepath.Join(recDir, "call.wav"), rec, 0o640)
	for _, args := range [][]string{
		{"download", "-o", filepath.Join(dir, "a.wav"), "/voice/1/IVRrecordFile/0042/call.wav"},
		{"download", "--folder", "-o", filepath.Join(dir, "b.wav"), "/voice/1/IVRrecordFile/0042"},
	} {
		if code, _, errs := cmd(args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
		if got := readFile(t, args[len(args)-2]); !bytes.Equal(got, rec) {
			t.Fatalf("%v: %d bytes, want %d", args, len(got), len(rec))
		}
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), append([]string{"download"}, append(key, "-o", "-", "/voice/1/IVRrecordFile/0042/call.wav")...), &stdout, io.Discard); code != 0 || !bytes.Equal(stdout.Bytes(), rec) {
		t.Fatalf("download to stdout: %d, %d bytes", code, stdout.Len())
	}

	if code, out, errs := cmd("delete", fileName); code != 0 || !strings.Contains(out, "deleted: "+fileName) {
		t.Fatalf("delete: %d %q %s", code, out, errs)
	}
	missing := filepath.Join(dir, "missing.wav")
	if code, _, errs := cmd("download", "-o", missing, fileName); code != 1 || !strings.Contains(errs, ccfs.ErrNoSuchFile.Code()) {
		t.Fatalf("download after the delete: %d %q", code, errs)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a failed download left %s: %v", missing, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 { // back, a, b: no temporary file left
		t.Fatalf("files in the output directory: %v", entries)
	}
	if code, _, errs := cmd("delete", "/voice/1/IVRrecordFile/0042/call.wav"); code != 1 || !strings.Contains(errs, ccfs.ErrFormat.Code()) {
		t.Fatalf("delete of a recording: %d %q", code, errs)
	}
}

func TestBenchCommand(t *testing.T) {
	base, _, ak, sk := devServer(t)
	// A wrong secret: every request refused, counted, exit 1. (It runs
	// first: forgeries do not spend the key's rate, but the genuine run
	// below does, and a request naming a key whose rate is spent is
	// refused with 0300014 before its body is read.)
	code, out, _ := runCmd(t, "bench", "--url", base, "--ak", ak, "--sk", "wrong", "--vdn", "1", "--insecure",
		"--size", "1KiB", "--concurrency", "2", "--duration", "300ms")
	if code != 1 || !strings.Contains(out, ccfs.ErrAuth.Code()) || strings.Contains(out, ccfs.ErrRateLimited.Code()) {
		t.Fatalf("bench with a wrong key: %d\n%s", code, out)
	}
	code, out, errs := runCmd(t, "bench", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--insecure",
		"--size", "64KiB", "--concurrency", "4", "--duration", "1500ms")
	if code != 0 {
		t.Fatalf("bench: %d %s %s", code, out, errs)
	}
	for _, want := range []string{"uploads/s", "MB/s", "latency    p50", "result codes:", "  0 "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, ccfs.ErrReplay.Code()) {
		t.Errorf("bench sent replays:\n%s", out)
	}
	if !strings.Contains(errs, "uploads/s") {
		t.Errorf("no live progress on stderr: %q", errs)
	}
	if code, _, _ := runCmd(t, "bench", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--size", "5GB"); code != 2 {
		t.Fatalf("bad --size: exit %d", code)
	}
	if code, _, _ := runCmd(t, "bench", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--size", "80KiB-8KiB"); code != 2 {
		t.Fatalf("a size range backwards: exit %d", code)
	}
	// Open loop: prompts of 1–8 KiB offered at 4/s, within the key's rate.
	code, out, errs = runCmd(t, "bench", "--url", base, "--ak", ak, "--sk", sk, "--vdn", "1", "--insecure",
		"--size", "1KiB-8KiB", "--rate", "4", "--concurrency", "8", "--duration", "2s")
	if code != 0 {
		t.Fatalf("bench --rate: %d %s %s", code, out, errs)
	}
	for _, want := range []string{"offered at 4/s (open loop", "p99.9", "  0 "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench --rate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, ccfs.ErrReplay.Code()) {
		t.Errorf("bench --rate sent replays:\n%s", out)
	}
}

// TestStampedFiles: in an open loop every request's file carries its
// number over its first audio bytes, whatever pieces it is read in.
func TestStampedFiles(t *testing.T) {
	c := &benchConfig{size: 100, maxSize: 300}
	files := c.files(3)
	if len(files[0]) != 100 || len(files[1]) != 200 || len(files[2]) != 300 {
		t.Fatalf("sizes %d %d %d", len(files[0]), len(files[1]), len(files[2]))
	}
	s := &stamped{wav: files[1], stamp: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}
	want := append(append(append([]byte(nil), files[1][:44]...), s.stamp[:]...), files[1][52:]...)
	for _, step := range []int{1, 3, 7, 44, 50, 1000} {
		var got []byte
		buf := make([]byte, step)
		for off := 0; ; {
			n, err := s.ReadAt(buf, int64(off))
			got, off = append(got, buf[:n]...), off+n
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d at a time: differs", step)
		}
	}
}

// TestServePool keeps a copy of every upload in each pool directory and
// answers with their location IDs.
func TestServePool(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	data := t.TempDir()
	served := startServe(t, "--data", data, "--pool", "0="+a+",256="+b)
	ak, sk := served.devKey(t)
	prompt := writeFile(t, "prompt.wav", alaw(4000))
	code, stdout, errs := runCmd(t, "upload", "--url", served.base, "--ak", ak, "--sk", sk, "--vdn", "1", "--insecure", prompt)
	if code != 0 || !strings.Contains(stdout, "locationId: 0, 256") {
		t.Fatalf("upload: %d %q %q", code, stdout, errs)
	}
	name := regexp.MustCompile(`fileName: /(\S+)`).FindStringSubmatch(stdout)[1]
	want, _ := os.ReadFile(prompt)
	for _, dir := range []string{a, b} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("copy in %s: %v", dir, err)
		}
	}
	if code, _, _ := runCmd(t, "serve", "--data", t.TempDir(), "--pool", "nonsense"); code == 0 {
		t.Fatal("a bad --pool was accepted")
	}
}

// The ccfs binary links no test package: testing and net/http/httptest
// would come with ccfstest.
func TestBinaryLinksNoTestPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || pkg == "net/http/httptest" || strings.HasSuffix(pkg, "/ccfstest") {
			t.Errorf("the command links %s", pkg)
		}
	}
}

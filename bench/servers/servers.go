// Package servers runs the benchmarks' server processes: "ccfs serve" and
// the naive peer (bench/naiveserve), each built from this
// checkout, serving HTTPS on 127.0.0.1, with its CPU time read from
// /proc so that the load client, which shares the machine, is not counted.
// Linux only. Part of the project's measuring kit (bench/); not a stable
// API.
package servers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// Binaries are the built server programs.
type Binaries struct {
	CCFS  string // ccfs
	Naive string // naiveserve
}

// build builds both programs into dir.
func build(dir string) (Binaries, error) {
	b := Binaries{CCFS: filepath.Join(dir, "ccfs"), Naive: filepath.Join(dir, "naiveserve")}
	for bin, pkg := range map[string]string{b.CCFS: "./cmd/ccfs", b.Naive: "./bench/naiveserve"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return b, nil
}

// A Workspace is a temporary directory holding both built programs (Bins)
// and a data directory for ccfs serve (Data) whose credentials file holds
// the benchmark's keys.
type Workspace struct {
	Dir  string
	Data string
	Bins Binaries
}

// NewWorkspace builds the programs into a new temporary directory named
// after prefix and writes keys to its data directory's credentials.json.
func NewWorkspace(prefix string, keys ...auth.Key) (*Workspace, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, Data: filepath.Join(dir, "data")}
	if w.Bins, err = build(dir); err == nil {
		if err = os.MkdirAll(w.Data, 0o750); err == nil {
			err = WriteCredentials(filepath.Join(w.Data, "credentials.json"), keys...)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return w, nil
}

// Remove removes the workspace and everything in it.
func (w *Workspace) Remove() error { return os.RemoveAll(w.Dir) }

// WriteCredentials writes keys to file, readable by its owner only (ccfs
// serve refuses a credentials file others may read).
func WriteCredentials(file string, keys ...auth.Key) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return errors.Join(auth.WriteCredentials(f, keys...), f.Close())
}

// A Process is a started server.
type Process struct {
	Name string
	Addr string // host:port it listens on
	cmd  *exec.Cmd
	log  string // file holding its standard output and error
}

// StartCCFS starts "ccfs serve" from bin on addr with data as its data
// directory (credentials.json must be there; its TLS certificate is
// generated there) and the extra flags.
func StartCCFS(bin, addr, data string, flags ...string) (*Process, error) {
	args := append([]string{"serve", "--addr", addr, "--data", data, "--log-format", "json"}, flags...)
	return start("ccfs serve", addr, data, exec.Command(bin, args...))
}

// StartNaive starts naiveserve from bin on addr, storing under dir, with
// the credentials and the certificate ccfs serve generated in the data
// directory data.
func StartNaive(bin, addr, dir, data string) (*Process, error) {
	return start("naive", addr, dir, exec.Command(bin, "-addr", addr, "-dir", dir, "-credentials", filepath.Join(data, "credentials.json"),
		"-tls-cert", filepath.Join(data, "tls-cert.pem"), "-tls-key", filepath.Join(data, "tls-key.pem")))
}

func start(name, addr, dir string, cmd *exec.Cmd) (*Process, error) {
	if c, err := net.Dial("tcp", addr); err == nil { // another server (one a killed run left?) would take the load
		c.Close()
		return nil, fmt.Errorf("%s: %s is already in use", name, addr)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	p := &Process{Name: name, Addr: addr, cmd: cmd, log: filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".log")}
	// A file, not a pipe: the server's log lines cost this process nothing.
	out, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // a killed run leaves no server behind
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitListening(addr); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%s: %v\n%s", name, err, p.Logs())
	}
	return p, nil
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs returns what the process has written so far.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// LogSize is how many bytes of log the process has written so far.
func (p *Process) LogSize() int64 {
	info, err := os.Stat(p.log)
	if err != nil {
		return 0
	}
	return info.Size()
}

// LoggedDurations are the durations "ccfs serve --log-format json" logged
// for the requests named msg (such as "upload") after the first from
// bytes of its log: the time each took inside the server.
func (p *Process) LoggedDurations(from int64, msg string) ([]time.Duration, error) {
	f, err := os.Open(p.log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	var out []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string        `json:"msg"`
			Duration time.Duration `json:"duration"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == msg {
			out = append(out, line.Duration)
		}
	}
	return out, sc.Err()
}

// Stop interrupts the process and waits for it.
func (p *Process) Stop() {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// CPU is the processor time a process has used, from /proc/PID/stat, in
// clock ticks of 10 ms.
type CPU struct{ User, Sys time.Duration }

// Total is user plus system time.
func (c CPU) Total() time.Duration { return c.User + c.Sys }

// Sub is the time used between o and c.
func (c CPU) Sub(o CPU) CPU { return CPU{User: c.User - o.User, Sys: c.Sys - o.Sys} }

// clkTck is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clkTck = 100

// CPU reads the process's user and system time so far.
func (p *Process) CPU() (CPU, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/stat")
	if err != nil {
		return CPU{}, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'. utime and stime are fields 14 and 15 of the line,
	// 12 and 13 after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, errors.New("unexpected /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return CPU{}, errors.New("unexpected /proc/PID/stat")
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return CPU{}, fmt.Errorf("unexpected /proc/PID/stat: %w", err)
	}
	tick := time.Second / clkTck
	return CPU{User: time.Duration(user) * tick, Sys: time.Duration(sys) * tick}, nil
}

// waitListening waits for addr to accept connections.
func waitListening(addr string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
	}
	return errors.New("did not start listening")
}

// Record starts perf(1) recording the process's call stacks into file;
// stop ends the recording.
func (p *Process) Record(file string) (stop func(), err error) {
	rec := exec.Command("perf", "record", "-F", "999", "-g", "-o", file, "-p", strconv.Itoa(p.Pid()))
	rec.Stderr = os.Stderr
	if err := rec.Start(); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // perf attaches
	return func() { rec.Process.Signal(os.Interrupt); rec.Wait() }, nil
}

// Report is perf's summary of a recording: the functions where the most
// samples were taken, kernel and user, down to limit percent.
func Report(file string, limit float64) (string, error) {
	out, err := exec.Command("perf", "report", "-i", file, "--no-children", "--sort", "symbol",
		"--stdio", "-g", "none", "--percent-limit", strconv.FormatFloat(limit, 'f', -1, 64)).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("perf report: %v\n%s", err, out)
	}
	return string(out), nil
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal: the side a program reads as its
// terminal, and the side that types into it and sees its echo.
func openPty(t *testing.T) (tty, typist *os.File) {
	t.Helper()
	// Non-blocking, so that the runtime polls it and reads can time out.
	pfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	typist = os.NewFile(uintptr(pfd), "/dev/ptmx")
	t.Cleanup(func() { typist.Close() })
	fd := int(typist.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty, typist
}

// TestConsoleUserAsksTwiceOnATerminal: on a terminal, add asks for the
// password, echo off, then for it again; two different answers change
// nothing.
func TestConsoleUserAsksTwiceOnATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	for _, c := range []struct {
		second string
		code   int
	}{{"typed on a terminal", 0}, {"typed on a terminal, differently", 1}} {
		tty, typist := openPty(t)
		var out, errs syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- consoleUserCmd(context.Background(), []string{"add", "--file", path, "alice"}, tty, &out, &errs)
		}()
		// Type each answer once the prompt is shown and echo is off.
		for i, answer := range []string{"typed on a terminal", c.second} {
			prompt := []string{"New password for alice", "The same again"}[i]
			deadline := time.Now().Add(30 * time.Second)
			for {
				tios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(errs.String(), prompt) && tios.Lflag&unix.ECHO == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no prompt %q with echo off; stderr %q", prompt, errs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := typist.WriteString(answer + "\n"); err != nil {
				t.Fatal(err)
			}
		}
		var code int
		select {
		case code = <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("add did not return")
		}
		if code != c.code || c.code != 0 && !strings.Contains(errs.String(), "the two passwords differ; nothing was changed") {
			t.Fatalf("exit %d, want %d: %s%s", code, c.code, out.String(), errs.String())
		}
		// What the terminal showed: no password. Echo is back on, so a
		// line typed now shows, and marks the end of what there is to read.
		if _, err := typist.WriteString("END\n"); err != nil {
			t.Fatal(err)
		}
		typist.SetReadDeadline(time.Now().Add(30 * time.Second))
		var shown []byte
		for !strings.Contains(string(shown), "END") {
			buf := make([]byte, 4096)
			n, err := typist.Read(buf)
			if err != nil {
				t.Fatalf("reading what the terminal showed (%q so far): %v", shown, err)
			}
			shown = append(shown, buf[:n]...)
		}
		if strings.Contains(string(shown), "typed") {
			t.Fatalf("the terminal echoed %q", shown)
		}
	}
	if !signsIn(t, path, "alice", "typed on a terminal") {
		t.Fatal("the password typed twice does not sign in")
	}
}

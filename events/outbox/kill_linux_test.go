//go:build linux

package outbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const helperDirEnv = "OUTBOX_HELPER_DIR"

// killSegmentSize is small so that the kills land in rotations and
// compactions too.
const killSegmentSize = 16 << 10

// killRecord is record n as the helper appends it: the number, then
// filler of a length that varies with it.
func killRecord(n int) []byte {
	return fmt.Appendf(nil, "n=%d;%s", n, bytes.Repeat([]byte{'a' + byte(n%26)}, n%700))
}

func parseKillRecord(b []byte) (int, bool) {
	head, fill, ok := bytes.Cut(b, []byte{';'})
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(head), "n="))
	return n, err == nil && bytes.Equal(b, killRecord(n)) && len(fill) == n%700
}

// TestHelperAppender is the child of TestKill9, not a test: it appends
// numbered records from 8 goroutines forever, printing "A seq n" once
// Append has returned seq for record n, and acknowledges every third
// record, printing "K seq" once Ack has returned, and moves aside every
// fifth of the others as dead, printing "D seq" once Dead has returned.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		return // run as a test, it has nothing to do: TestKill9 runs it as its child
	}
	base, _ := strconv.Atoi(os.Getenv(helperDirEnv + "_BASE"))
	o, err := Open(dir, Options{SegmentSize: killSegmentSize})
	if err != nil {
		fmt.Println("E", err)
		os.Exit(2)
	}
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		fmt.Fprintf(os.Stdout, format, args...) // unbuffered: one write per line
		out.Unlock()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				n := base + i*8 + g
				seq, err := o.Append(context.Background(), killRecord(n))
				if err != nil {
					say("E %v\n", err)
					os.Exit(2)
				}
				say("A %d %d\n", seq, n)
				if n%5 == 0 && n%3 != 0 {
					if err := o.Dead(seq, "fives"); err != nil {
						say("E %v\n", err)
						os.Exit(2)
					}
					say("D %d\n", seq)
				}
				if n%3 == 0 {
					if err := o.Ack(seq); err != nil {
						say("E %v\n", err)
						os.Exit(2)
					}
					say("K %d\n", seq)
				}
			}
		})
	}
	wg.Wait()
}

// TestKill9 runs TestHelperAppender in a child process, kills it with
// SIGKILL at a random moment after it has acknowledged a few hundred
// records, and reopens the outbox: every record the child was told was
// appended is there, intact, in order, and nothing else is served but
// whole records; every record it was told was acknowledged is not
// pending. Several rounds share the directory, so each restart also
// recovers from the kill before.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process several times")
	}
	dir := t.TempDir()
	appended := map[Seq]int{} // seq: record number, over all rounds
	acked := map[Seq]bool{}
	dead := map[Seq]bool{}
	for round := range 6 {
		want := 100 + rand.IntN(400)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperDirEnv+"_BASE="+strconv.Itoa(round*1_000_000))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		lines, killed := 0, false
		var extra time.Duration
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 3 && f[0] == "A":
				seq, _ := strconv.ParseUint(f[1], 10, 64)
				n, _ := strconv.Atoi(f[2])
				if _, dup := appended[Seq(seq)]; dup {
					t.Fatalf("round %d: seq %d handed out twice", round, seq)
				}
				appended[Seq(seq)] = n
				lines++
			case len(f) == 2 && f[0] == "D":
				seq, _ := strconv.ParseUint(f[1], 10, 64)
				dead[Seq(seq)] = true
			case len(f) == 2 && f[0] == "K":
				seq, _ := strconv.ParseUint(f[1], 10, 64)
				acked[Seq(seq)] = true
			case len(f) > 0 && f[0] == "E":
				t.Fatalf("round %d: the child failed: %s", round, sc.Text())
			}
			if lines >= want && !killed {
				// A random moment a little later: the child keeps
				// writing while the parent sleeps.
				extra = time.Duration(rand.IntN(3000)) * time.Microsecond
				time.Sleep(extra)
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		cmd.Wait() // the lock goes with the process
		if !killed {
			t.Fatalf("round %d: the child ended after %d records without being killed", round, lines)
		}

		o, err := Open(dir, Options{SegmentSize: killSegmentSize})
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		var all []Record
		var after Seq
		for {
			recs, err := o.Pending(after, 100)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if len(recs) == 0 {
				break
			}
			all = append(all, recs...)
			after = recs[len(recs)-1].Seq
		}
		pending := map[Seq]bool{}
		for i, r := range all {
			if i > 0 && r.Seq <= all[i-1].Seq {
				t.Fatalf("round %d: pending out of order: %d after %d", round, r.Seq, all[i-1].Seq)
			}
			n, ok := parseKillRecord(r.Data)
			if !ok {
				t.Fatalf("round %d: seq %d served damaged: %.40q", round, r.Seq, r.Data)
			}
			if want, ok := appended[r.Seq]; ok && want != n {
				t.Fatalf("round %d: seq %d holds record %d, was appended as %d", round, r.Seq, n, want)
			}
			if acked[r.Seq] {
				t.Fatalf("round %d: seq %d pending after its Ack returned", round, r.Seq)
			}
			if dead[r.Seq] {
				t.Fatalf("round %d: seq %d pending after its Dead returned", round, r.Seq)
			}
			pending[r.Seq] = true
		}
		letters, err := o.DeadLetters()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		inDead := map[Seq]bool{}
		for _, d := range letters {
			n, ok := parseKillRecord(d.Data)
			if !ok || n%5 != 0 || d.Reason != "fives" {
				t.Fatalf("round %d: dead letter %d: %q %.40q", round, d.Seq, d.Reason, d.Data)
			}
			if want, ok := appended[d.Seq]; ok && want != n {
				t.Fatalf("round %d: dead letter %d holds record %d, was appended as %d", round, d.Seq, n, want)
			}
			if pending[d.Seq] {
				t.Fatalf("round %d: seq %d both pending and dead (Open settles a dead letter's record)", round, d.Seq)
			}
			inDead[d.Seq] = true
		}
		lost := 0
		for seq, n := range appended {
			if dead[seq] && !inDead[seq] {
				lost++
				t.Errorf("round %d: seq %d (record %d) was moved aside but is not a dead letter", round, seq, n)
			}
			// The child acknowledges every third record after printing
			// it: one killed between its Ack and printing "K" is rightly
			// gone. Every other is pending, acknowledged or dead.
			if !acked[seq] && !pending[seq] && !inDead[seq] && n%3 != 0 {
				lost++
				t.Errorf("round %d: seq %d (record %d) gone", round, seq, appended[seq])
			}
		}
		if lost > 0 {
			t.Fatalf("round %d: %d records acknowledged as appended are gone", round, lost)
		}
		// Settle what the child was told was appended but did not
		// acknowledge, half of it, so later rounds compact across kills.
		var settle []Seq
		for _, r := range all {
			if _, ok := appended[r.Seq]; ok && r.Seq%2 == 0 {
				settle = append(settle, r.Seq)
				acked[r.Seq] = true
			}
		}
		if err := o.Ack(settle...); err != nil {
			t.Fatal(err)
		}
		segs, _ := segments(t, dir)
		t.Logf("round %d: killed after %d appends (+%v), %d pending, %d dead, %d segment files", round, lines, extra, len(all), len(letters), len(segs))
		o.Close()
	}
}

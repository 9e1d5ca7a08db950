//go:build linux

package journal_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
)

const helperDirEnv = "JOURNAL_HELPER_DIR"

// killKeys are the endpoints of the kill -9 test.
var killKeys = []string{"crm", "audit"}

// killSegmentSize is small so that the kills land in rotations and
// compactions too.
const killSegmentSize = 16 << 10

// fileResolver settles an intent by the file the change makes: the
// change was made if files/<id> is there.
func fileResolver(dir string) events.Resolver {
	return func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		_, err := os.Stat(filepath.Join(dir, "files", ev.ID))
		if errors.Is(err, os.ErrNotExist) {
			return ev, false, nil
		}
		return ev, err == nil, err
	}
}

// makeFile is the change: files/<id>, written, fsynced and renamed into
// place, as a store commits an upload.
func makeFile(dir, id string) error {
	tmp := filepath.Join(dir, "files.tmp", id)
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(id); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "files", id))
}

// TestHelperJournal is the child of TestKill9, not a test: from 8
// goroutines, forever, it prepares an event, makes its file and commits
// it, printing "OK id" once Commit has returned; a random third of the
// time it makes no file and abandons the event instead.
func TestHelperJournal(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		return // run as a test, it has nothing to do: TestKill9 runs it as its child
	}
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(dir, "journal"), journal.Options{
		Endpoints: killKeys, Resolve: fileResolver(dir), SegmentSize: killSegmentSize,
	})
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
	fail := func(err error) {
		say("E %v\n", err)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				ev := newEvent(g*1_000_000 + i)
				in, err := j.Prepare(ctx, ev)
				if err != nil {
					fail(err)
				}
				if rand.IntN(3) == 0 {
					if err := in.Abandon(ctx); err != nil {
						fail(err)
					}
					continue
				}
				if err := makeFile(dir, ev.ID); err != nil {
					fail(err)
				}
				ev.LocationIDs = []string{"loc1"}
				if err := in.Commit(ctx, ev); err != nil {
					fail(err)
				}
				say("OK %s\n", ev.ID)
			}
		})
	}
	wg.Wait()
}

// TestKill9 runs TestHelperJournal in a child process, kills it with
// SIGKILL at a random moment once it has committed some events, and
// reopens the journal with a Resolver that looks for each event's file:
// every event the child was told was committed is in every endpoint's
// queue; every event in a queue has its file (no abandoned event is
// delivered); every file has its event in every queue (a change made
// just before the kill is settled by Resolve). Duplicates, the price of
// at least once, are counted. Several rounds share the directory, the
// parent delivering (acknowledging) everything after each.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process several times")
	}
	dir := t.TempDir()
	for _, d := range []string{"files", "files.tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	ok := map[string]bool{}             // "OK id" printed, over all rounds
	seen := map[string]map[string]int{} // key → id → times handed out, over all rounds
	for _, k := range killKeys {
		seen[k] = map[string]int{}
	}
	for round := range 5 {
		want := 50 + rand.IntN(200)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperJournal$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
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
			case len(f) == 2 && f[0] == "OK":
				ok[f[1]] = true
				lines++
			case len(f) > 0 && f[0] == "E":
				t.Fatalf("round %d: the child failed: %s", round, sc.Text())
			}
			if lines >= want && !killed {
				extra = time.Duration(rand.IntN(5000)) * time.Microsecond
				time.Sleep(extra)
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		cmd.Wait() // the lock goes with the process
		if !killed {
			t.Fatalf("round %d: the child ended after %d commits without being killed", round, lines)
		}

		j, err := journal.Open(context.Background(), filepath.Join(dir, "journal"), journal.Options{
			Endpoints: killKeys, Resolve: fileResolver(dir), SegmentSize: killSegmentSize,
		})
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		if n := j.Unresolved(); n != 0 {
			t.Errorf("round %d: %d intents unresolved", round, n)
		}
		files := map[string]bool{}
		entries, err := os.ReadDir(filepath.Join(dir, "files"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files[e.Name()] = true
		}
		dups := 0
		for _, k := range killKeys {
			q, _ := j.Queue(k)
			var items []events.Item
			for {
				got, err := q.Next(context.Background(), journal.MaxBatch, 0)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if len(got) == 0 {
					break
				}
				items = append(items, got...)
			}
			for _, id := range ids(t, items) {
				if !files[id] {
					t.Errorf("round %d: queue %s holds event %s, whose file is not there", round, k, id)
				}
				seen[k][id]++
			}
			if err := q.Ack(context.Background(), items...); err != nil {
				t.Fatal(err)
			}
			for id := range ok {
				if seen[k][id] == 0 {
					t.Errorf("round %d: event %s committed (OK) is not in queue %s", round, id, k)
				}
			}
			for id := range files {
				if seen[k][id] == 0 {
					t.Errorf("round %d: file %s has no event in queue %s", round, id, k)
				}
			}
			for _, n := range seen[k] {
				dups += n - 1
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if n := intentsPending(t, filepath.Join(dir, "journal")); n != 0 {
			t.Errorf("round %d: %d intents pending after Close", round, n)
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("round %d: killed after %d commits (+%v); %d files, %d events delivered per queue so far, %d duplicates over %d queues so far",
			round, lines, extra, len(files), len(seen[killKeys[0]]), dups, len(killKeys))
	}
}

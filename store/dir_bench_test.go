//go:build unix

package store_test

import (
	"bytes"
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

// BenchmarkDirPut stores 40 KB prompts, fsyncs included, the way the
// handler does (a new name in one of 16 VDN directories), alternating
// between a Dir that stages unnamed files and one that stages named files
// (the fallback, and what every Dir did before). It reports each one's
// processor time per Put, user and system, from getrusage, and the
// unnamed one's as a multiple of the named one's (x-named, below 1 when
// it costs less).
func BenchmarkDirPut(b *testing.B) {
	unnamed, err := store.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer unnamed.Close()
	named, err := store.NewDir(b.TempDir(), store.NamedStaging())
	if err != nil {
		b.Fatal(err)
	}
	defer named.Close()
	if !unnamed.StagesUnnamed() {
		b.Skip("this system stages named files only")
	}
	file := make([]byte, 40_000)
	ctx := context.Background()
	var cpu [2]time.Duration
	for i := 0; b.Loop(); i++ {
		for j, d := range []*store.Dir{unnamed, named} {
			name := "3rdfile/" + strconv.Itoa(i%16) + "/thirdvoicebotfile/" + strconv.Itoa(i) + ".wav"
			t0 := processCPU()
			if _, err := d.Put(ctx, name, bytes.NewReader(file), int64(len(file))); err != nil {
				b.Fatal(err)
			}
			cpu[j] += processCPU() - t0
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(per(cpu[0]), "cpu-µs/put")
	b.ReportMetric(per(cpu[1]), "named-cpu-µs/put")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "x-named")
}

// processCPU is the process's user and system time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

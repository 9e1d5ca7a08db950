// Command report runs the upload benchmarks and prints them as one table,
// with the ratios the project's targets are stated in:
//
//	go run ./bench/report            # sizes, then 64 concurrent clients
//	go run ./bench/report -concurrent=false
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/ccfs-go/ccfs/bench"
)

func main() {
	concurrent := flag.Bool("concurrent", true, "also run 64 concurrent 5 MiB uploads over HTTPS")
	flag.Parse()
	testing.Init()

	fmt.Printf("Go %s, %s/%s, %d CPUs\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Println("| size | Naive MB/s | Ceiling MB/s | Handler MB/s | HandlerDir MB/s | Handler B/op | Handler/Ceiling | Handler/Naive | Handler ns/byte |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	var nsPerByte = map[int]float64{}
	for _, size := range bench.Sizes {
		res := map[string]testing.BenchmarkResult{}
		for _, kind := range bench.Kinds {
			res[kind] = testing.Benchmark(bench.Benchmark(kind, size))
		}
		mbs := func(k string) float64 {
			r := res[k]
			return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
		}
		h := res["Handler"]
		nsPerByte[size] = float64(h.NsPerOp()) / float64(size)
		fmt.Printf("| %s | %.0f | %.0f | %.0f | %.0f | %d | %.2f× | %.1f× | %.2f |\n", bench.SizeName(size),
			mbs("Naive"), mbs("Ceiling"), mbs("Handler"), mbs("HandlerDir"), h.AllocedBytesPerOp(),
			mbs("Handler")/mbs("Ceiling"), mbs("Handler")/mbs("Naive"), nsPerByte[size])
	}
	fmt.Printf("\nHandler ns/byte, 5 MiB over 64 KiB: %.2f (target <= 1.5)\n", nsPerByte[5<<20]/nsPerByte[64<<10])

	if !*concurrent {
		return
	}
	fmt.Println("\n64 clients at once, 5 MiB each, over loopback HTTPS:")
	fmt.Println()
	fmt.Println("| server | uploads/s | p50 | p99 | peak heap |")
	fmt.Println("|---|---|---|---|---|")
	for _, kind := range []string{"Handler", "Naive"} {
		r := bench.Concurrent(kind, 64, 2, 5<<20)
		if r.Failed > 0 {
			fmt.Fprintf(os.Stderr, "%s: %d uploads failed\n", kind, r.Failed)
			os.Exit(1)
		}
		fmt.Printf("| %s | %.1f | %v | %v | %.0f MiB |\n", kind, r.UploadsPerSecond(), r.P50.Round(1e6), r.P99.Round(1e6), float64(r.PeakHeap)/(1<<20))
	}
}

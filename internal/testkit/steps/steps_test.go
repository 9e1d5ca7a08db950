package steps_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ccfs-go/ccfs/internal/testkit/steps"
)

func TestReader(t *testing.T) {
	data := []byte("0123456789")
	for _, n := range []int{0, 1, 3, 10, 100} {
		r := steps.Reader(data, n)
		var got []byte
		buf := make([]byte, 4)
		for {
			k, err := r.Read(buf)
			if k > max(1, n) {
				t.Fatalf("step %d: a read of %d bytes", n, k)
			}
			got = append(got, buf[:k]...)
			if err == io.EOF {
				break
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("step %d: %q", n, got)
		}
	}
}

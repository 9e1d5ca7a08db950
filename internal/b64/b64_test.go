package b64_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"

	"github.com/ccfs-go/ccfs/internal/b64"
	"github.com/ccfs-go/ccfs/internal/testkit/steps"
)

// decode reads in, step characters at a time, into buffers of out bytes.
func decode(in []byte, step, out int) ([]byte, error) {
	r := b64.NewReader(steps.Reader(in, step))
	var got []byte
	buf := make([]byte, out)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func TestReader(t *testing.T) {
	good := map[string]string{"": "", "UklGRg==": "RIFF", "UklGRiw=": "RIFF,", "UklGRiwA": "RIFF,\x00", "+/+/": "\xfb\xff\xbf"}
	for in, want := range good {
		for _, step := range []int{1, 3, 4, 5, 100} {
			for _, out := range []int{1, 2, 3, 5, 32 << 10} {
				got, err := decode([]byte(in), step, out)
				if err != nil || string(got) != want {
					t.Errorf("%q in steps of %d, reads of %d: %q, %v", in, step, out, got, err)
				}
			}
		}
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 20000)
	for _, out := range []int{7, 4096, 32 << 10, 1 << 20} {
		got, err := decode([]byte(base64.StdEncoding.EncodeToString(big)), 7777, out)
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("100 KB in reads of %d: %v", out, err)
		}
	}
	for _, in := range []string{"UklGRg", "UklGRg=", "UklGR===", "UklGRg==UklG", "UklGRg==\n", "Ukl\nGRg=", "Ukl\rGRg=", "UklGRg-_", "Ukl GRg=", "UklGRh==", "=AAA", "UklGRg==A"} {
		for _, step := range []int{1, 4, 100} {
			if _, err := decode([]byte(in), step, 32<<10); err == nil {
				t.Errorf("%q in steps of %d accepted", in, step)
			}
		}
	}
}

// TestReaderPassesReadErrors: an error from the underlying reader comes
// back as it is.
func TestReaderPassesReadErrors(t *testing.T) {
	boom := io.ErrClosedPipe
	r := b64.NewReader(io.MultiReader(bytes.NewReader([]byte("UklG")), &failing{boom}))
	buf := make([]byte, 100)
	var err error
	for err == nil {
		_, err = r.Read(buf)
	}
	if err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

func FuzzReader(f *testing.F) {
	f.Add([]byte("UklGRg=="), uint8(3), uint8(2))
	f.Add([]byte("UklGRg==UklG"), uint8(4), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, step, out uint8) {
		want, werr := base64.StdEncoding.Strict().DecodeString(string(in))
		if bytes.ContainsAny(in, "\r\n") {
			werr = base64.CorruptInputError(0)
		}
		got, err := decode(in, int(step)+1, int(out)+1)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: streaming %v, encoding/base64 %v", in, err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: %x, want %x", in, got, want)
		}
	})
}

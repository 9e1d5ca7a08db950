package mp3

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds Open any bytes and reads the Stream to its end, or to
// 1 MiB of samples, through a small buffer: it must not panic or hang,
// and whatever it returns must be whole 16-bit stereo samples, with an
// Info that holds together.
func FuzzOpen(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.mp3")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		// Short seeds, as a whole fixture (1.5 ms to decode) would make
		// every execution slow: the ID3 tag, the Xing frame and a few
		// more, then the same without the tag.
		f.Add(data[:min(len(data), 700)])
		f.Add(data[45:min(len(data), 45+500)])
	}
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x02ab\xff\xfb\x50\xc0"))
	f.Add([]byte("\xff\xf3\x40\xc0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decoder.Open(bytes.NewReader(data))
		if err != nil {
			return
		}
		info := s.Info()
		if info.Channels != 2 || info.Rate < 8000 || info.Rate > 48000 || info.Skip < 0 || info.Frames < -1 || info.From == "" {
			t.Fatalf("Info %+v", info)
		}
		buf := make([]byte, 1000)
		total := 0
		for total < 1<<20 {
			n, err := s.Read(buf)
			total += n
			if err == io.EOF {
				break
			}
			if err != nil {
				if n != 0 {
					t.Fatalf("%d bytes with %v", n, err)
				}
				return
			}
		}
		if total%4 != 0 && total < 1<<20 {
			t.Fatalf("%d bytes of samples, not whole stereo 16-bit frames", total)
		}
	})
}

package b64_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/ccfs-go/ccfs/internal/b64"
)

func decode(in []byte, step int) ([]byte, error) {
	var out bytes.Buffer
	d := &b64.Decoder{W: &out}
	for len(in) > 0 {
		n := min(step, len(in))
		if _, err := d.Write(in[:n]); err != nil {
			return nil, err
		}
		in = in[n:]
	}
	return out.Bytes(), d.Close()
}

func TestDecoder(t *testing.T) {
	good := map[string]string{"": "", "UklGRg==": "RIFF", "UklGRiw=": "RIFF,", "UklGRiwA": "RIFF,\x00", "+/+/": "\xfb\xff\xbf"}
	for in, want := range good {
		for _, step := range []int{1, 3, 4, 5, 100} {
			got, err := decode([]byte(in), step)
			if err != nil || string(got) != want {
				t.Errorf("%q in steps of %d: %q, %v", in, step, got, err)
			}
		}
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 20000)
	got, err := decode([]byte(base64.StdEncoding.EncodeToString(big)), 7777)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("100 KB: %v", err)
	}
	for _, in := range []string{"UklGRg", "UklGRg=", "UklGR===", "UklGRg==UklG", "UklGRg==\n", "Ukl\nGRg=", "Ukl\rGRg=", "UklGRg-_", "Ukl GRg=", "UklGRh==", "=AAA", "UklGRg==A"} {
		for _, step := range []int{1, 4, 100} {
			if _, err := decode([]byte(in), step); err == nil {
				t.Errorf("%q in steps of %d accepted", in, step)
			}
		}
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte("UklGRg=="), uint8(3))
	f.Add([]byte("UklGRg==UklG"), uint8(4))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		want, werr := base64.StdEncoding.Strict().DecodeString(string(in))
		if bytes.ContainsAny(in, "\r\n") {
			werr = base64.CorruptInputError(0)
		}
		got, err := decode(in, int(step)+1)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: streaming %v, encoding/base64 %v", in, err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: %x, want %x", in, got, want)
		}
	})
}

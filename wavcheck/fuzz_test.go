package wavcheck_test

import (
	"bytes"
	"testing"

	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// FuzzChecker feeds arbitrary bytes to the Checker whole and in pieces and
// to Inspect, and requires the three to agree and anything accepted to be
// in the accepted format.
func FuzzChecker(f *testing.F) {
	f.Add(wavfile.File(alaw, 64), uint8(3))
	f.Add(wavfile.Build(wavfile.Chunk{ID: "LIST", Data: []byte("INFO")}, alaw.Chunk(), wavfile.Chunk{ID: "fact", Data: []byte{1, 0, 0, 0}}, wavfile.Data(alaw, 33)), uint8(7))
	f.Add(wavfile.Build(with(alaw, func(f *wavfile.Fmt) { f.Size = 40; f.Tag = wavfile.TagExtensible; f.SubTag = wavfile.TagALaw }).Chunk(), wavfile.Data(alaw, 9)), uint8(1))
	f.Add(wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 16000, Bits: 16}, 64), uint8(5))
	for _, b := range hostile() {
		f.Add(b[:200], uint8(11))
	}
	policy := wavcheck.Policy{MaxSize: 1 << 16, Codecs: []wavcheck.Codec{wavcheck.ALaw, wavcheck.PCM8}}
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		whole := wavcheck.NewChecker(policy)
		_, err := whole.Write(b)
		if err == nil {
			err = whole.Close()
		}
		pieces := wavcheck.NewChecker(policy)
		var perr error
		n := int(step%16) + 1
		for rest := b; len(rest) > 0 && perr == nil; rest = rest[min(n, len(rest)):] {
			_, perr = pieces.Write(rest[:min(n, len(rest))])
		}
		if perr == nil {
			perr = pieces.Close()
		}
		if (err == nil) != (perr == nil) || err != nil && err.Error() != perr.Error() {
			t.Fatalf("whole: %v; in %d-byte pieces: %v", err, n, perr)
		}
		format, ierr := wavcheck.Inspect(bytes.NewReader(b), policy)
		if (err == nil) != (ierr == nil) {
			t.Fatalf("Checker: %v; Inspect: %v", err, ierr)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if format.Channels != 1 || format.SampleRate != 8000 || format.BitsPerSample != 8 ||
			format.ByteRate != 8000 || format.BlockAlign != 1 || format.DataSize <= 0 ||
			!policy.Accepts(format.Codec) || int64(len(b)) > policy.MaxSize {
			t.Fatalf("accepted %+v", format)
		}
	})
}

package wavfile

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// New's file is what Build writes for the same format and audio, the pad
// byte of an odd length included, and audio is its data chunk's bytes.
func TestNewIsBuild(t *testing.T) {
	for _, n := range []int{0, 1, 2, 999, 1000} {
		file, audio, err := New(ALaw8k, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(audio) != n {
			t.Fatalf("n %d: %d bytes of audio", n, len(audio))
		}
		for i := range audio {
			audio[i] = byte(i)
		}
		data := Data(ALaw8k, n)
		for i := range data.Data {
			data.Data[i] = byte(i)
		}
		if want := Build(ALaw8k.Chunk(), data); !bytes.Equal(file, want) {
			t.Errorf("n %d:\n%x\nwant\n%x", n, file, want)
		}
	}
}

// New refuses audio whose file a 32-bit RIFF size cannot describe, and a
// negative length, before it allocates.
func TestNewRefusesWhatRIFFCannotSay(t *testing.T) {
	for _, n := range []int{-1, math.MaxUint32 - 36, math.MaxUint32} {
		if _, _, err := New(ALaw8k, n); err == nil {
			t.Errorf("n %d: no error", n)
		}
	}
}

// Build allocates once, the file's size, and its RIFF size is the file's
// length less 8.
func TestBuildAllocatesOnce(t *testing.T) {
	fmtChunk, data := ALaw8k.Chunk(), Data(ALaw8k, 4001)
	var file []byte
	if a := testing.AllocsPerRun(10, func() { file = Build(fmtChunk, data) }); a != 1 {
		t.Errorf("%v allocations, want 1", a)
	}
	if len(file) != cap(file) || binary.LittleEndian.Uint32(file[4:]) != uint32(len(file)-8) || len(file) != 12+24+8+4002 {
		t.Errorf("len %d, cap %d, RIFF size %d", len(file), cap(file), binary.LittleEndian.Uint32(file[4:]))
	}
}

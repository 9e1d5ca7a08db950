package wavfile

import (
	"encoding/binary"
	"testing"
)

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

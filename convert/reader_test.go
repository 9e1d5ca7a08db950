package convert_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A file already in the Policy's format whose header a streaming writer
// left unfinished (data size 0xFFFFFFFF, RIFF size 0 or 0xFFFFFFFF) was
// passed through as it was, and then refused by the WAV checks — for an
// 8 KB upload, 0300003 "file is 4294967303 bytes" — while the same audio
// in 16-bit PCM was converted. It is converted (its audio as it is, its
// header written), as any other file the converter can read.
func TestAcceptedFormatWithUnfinishedHeaderIsConverted(t *testing.T) {
	audio := wavfile.Data(wavfile.ALaw8k, 8001)
	for name, edit := range map[string]func(b []byte){
		"data size unknown": func(b []byte) { binary.LittleEndian.PutUint32(b[40:], 0xFFFFFFFF) },
		"both sizes unknown": func(b []byte) {
			binary.LittleEndian.PutUint32(b[40:], 0xFFFFFFFF)
			binary.LittleEndian.PutUint32(b[4:], 0xFFFFFFFF)
		},
		"RIFF size 0":             func(b []byte) { binary.LittleEndian.PutUint32(b[4:], 0) },
		"RIFF size short of data": func(b []byte) { binary.LittleEndian.PutUint32(b[4:], 36) },
		"RIFF size unknown alone": func(b []byte) { binary.LittleEndian.PutUint32(b[4:], 0xFFFFFFFF) },
	} {
		in := wavfile.Build(wavfile.ALaw8k.Chunk(), audio)
		if len(in) != 44+8002 {
			t.Fatalf("a %d-byte fixture", len(in))
		}
		edit(in)
		r := convert.NewReader(bytes.NewReader(in), convert.Options{})
		out, err := io.ReadAll(r)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := wavcheck.Inspect(bytes.NewReader(out), wavcheck.Policy{}); err != nil {
			t.Errorf("%s: the output is refused: %v", name, err)
			continue
		}
		if !bytes.Equal(out[44:44+8001], audio.Data) {
			t.Errorf("%s: the audio changed", name)
		}
	}
}

// An input that does not say its length is held until its end, up to
// MaxHeld: that bound is what an upload in flight holds. append's growth
// (a quarter at a time for a large slice) allocated over 6 MB to hold
// 1 MB, and the end copied the held audio after the header, holding it
// twice. Growing by doubling and returning the held audio as it is
// allocates at most about twice the bound.
func TestHeldAudioAllocatesLittle(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 2*8000*130), Size: wavfile.U32(0xFFFFFFFF)})
	const held = 1 << 20
	r := convert.NewReader(bytes.NewReader(in), convert.Options{MaxHeld: held})
	buf := make([]byte, 32<<10)
	before := heapAlloc()
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
	alloc := heapAlloc() - before
	if err != nil || n != 44+8000*130 {
		t.Fatalf("%d bytes, %v", n, err)
	}
	if alloc > 2*held+held/2 {
		t.Fatalf("holding %d bytes allocated %d", 8000*130, alloc)
	}
}

// The largest file a Reader lets through must fit its own header: with
// MaxSize 1<<32+8 (Convert's, and ccfs convert's), a file of 2^32-36
// samples was let through with a RIFF size of 2^32, written as 0.
func TestLargestOutputFitsItsHeader(t *testing.T) {
	n := uint32(1<<32 - 36)
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 8}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Size: wavfile.U32(n)})
	r := convert.NewReader(bytes.NewReader(in), convert.Options{
		Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw}, MaxSize: 1<<32 + 8},
	})
	head := make([]byte, 44)
	_, err := io.ReadFull(r, head)
	var se *wavcheck.SizeError
	if errors.As(err, &se) {
		return // refused before a byte is written: good
	}
	if riff, data := binary.LittleEndian.Uint32(head[4:]), binary.LittleEndian.Uint32(head[40:]); uint64(riff) != 36+uint64(data) {
		t.Fatalf("data size %d under a RIFF size of %d (%v)", data, riff, err)
	}
}

// A table is designed outside the lock that every conversion's look-up
// takes: while one upload's odd rate is designed, a conversion at a rate
// already cached does not wait for it. The design is held up until the
// other conversion has finished; under the lock, this would deadlock.
func TestOddRateDoesNotStallOthers(t *testing.T) {
	small := func(rate int) []byte {
		f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 16}
		return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 2*(rate/100))})
	}
	const rate = 97003
	convert.ForgetTables() // so rate's is not cached
	cached := small(16000)
	io.ReadAll(convert.NewReader(bytes.NewReader(cached), convert.Options{}))
	started, release := make(chan struct{}), make(chan struct{})
	defer convert.HoldDesign(rate, started, release)()
	odd := make(chan error)
	go func() {
		_, err := io.ReadAll(convert.NewReader(bytes.NewReader(small(rate)), convert.Options{}))
		odd <- err
	}()
	select {
	case <-started:
	case err := <-odd:
		t.Fatalf("the conversion at %d Hz ended (%v) without designing its table", rate, err)
	}
	cachedDone := make(chan error)
	go func() {
		_, err := io.ReadAll(convert.NewReader(bytes.NewReader(cached), convert.Options{}))
		cachedDone <- err
	}()
	select {
	case err := <-cachedDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a conversion at a cached rate waits for another rate's table to be designed")
	}
	close(release)
	if err := <-odd; err != nil {
		t.Fatal(err)
	}
}

// A Reader kept for reuse (the upload handler pools them) lets go of its
// filter table when Reset: an odd rate's table is up to 1 MB, which a
// pooled upload otherwise keeps alive after its caller has gone, beyond
// the cache's bound.
func TestResetLetsGoOfTheTable(t *testing.T) {
	small := func(rate int) []byte {
		f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 8}
		return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, rate/100)})
	}
	var kept [16]*convert.Reader
	for i := range kept {
		r := convert.NewReader(bytes.NewReader(small(96001+2*i)), convert.Options{})
		io.ReadAll(r)
		r.Reset(nil, convert.Options{})
		kept[i] = r
	}
	for i := range 13 { // empty the cache of the odd rates' tables
		io.ReadAll(convert.NewReader(bytes.NewReader(small(8001+i)), convert.Options{}))
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	withReaders := m.HeapAlloc
	for i := range kept {
		kept[i] = nil
	}
	runtime.GC()
	runtime.ReadMemStats(&m)
	if held := int64(withReaders) - int64(m.HeapAlloc); held > 4<<20 {
		t.Fatalf("16 Readers, Reset, held %d bytes", held)
	}
}

// A file in the Policy's format is passed through as it is, but not
// blindly: one whose header lies (its data chunk cut short, its RIFF size
// more than the file) made a "converted" file CC-FS refuses, with Read
// saying nothing — FuzzReader's property, broken (its seed
// testdata/fuzz/FuzzReader/7f60db5fbb5b9574: a 52-byte file whose RIFF
// size says 808 MB, refused downstream as "too long"). It is an error.
func TestPassThroughIsChecked(t *testing.T) {
	whole := wavfile.File(wavfile.ALaw8k, 1000)
	riffBig := bytes.Clone(whole)
	binary.LittleEndian.PutUint32(riffBig[4:], 0x30303030)
	for name, in := range map[string][]byte{
		"data cut short":       whole[:600],
		"RIFF size over it":    riffBig,
		"junk after the chunk": append(bytes.Clone(whole), "xyz"...),
	} {
		r := convert.NewReader(bytes.NewReader(in), convert.Options{})
		out, err := io.ReadAll(r)
		if err == nil {
			_, ierr := wavcheck.Inspect(bytes.NewReader(out), wavcheck.Policy{})
			t.Errorf("%s: passed through without an error, a file the checks refuse: %v", name, ierr)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(whole), convert.Options{})); err != nil {
		t.Fatalf("a whole file: %v", err)
	}
}

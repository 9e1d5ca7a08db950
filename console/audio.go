package console

// A prompt as the browser plays it: its WAV header read (bounded), and
// its 8-bit samples decoded to 16-bit PCM as they are sent, for <audio>,
// which in Chrome and Firefox plays PCM WAV but not G.711.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A promptFormat is what a prompt's header says: its format as wavcheck
// reads a fmt chunk, and where its samples are.
type promptFormat struct {
	wavcheck.Format
	// dataOff is the offset of the data chunk's first byte; dataLen its
	// length, no more than the file holds after dataOff.
	dataOff, dataLen int64
}

// maxBeforeData bounds the bytes read before a prompt's data chunk: the
// RIFF header, the fmt chunk and any other chunk the file has first.
const maxBeforeData = 64 << 10

// readPromptHeader reads a WAV file's header from r (wavcheck.ReadHeader,
// which judges its structure as an upload's is judged), up to the data
// chunk's first byte and never more than maxBeforeData bytes; size is the
// file's size, which bounds the audio a data chunk may claim. It leaves r
// at the first sample.
func readPromptHeader(r io.Reader, size int64) (promptFormat, error) {
	f, start, err := wavcheck.ReadHeader(r, maxBeforeData)
	if err != nil {
		return promptFormat{}, err
	}
	pf := promptFormat{Format: f, dataOff: start, dataLen: min(f.DataSize, size-start)}
	if pf.dataLen <= 0 {
		return pf, errors.New("no audio in the data chunk")
	}
	pf.DataSize = pf.dataLen
	return pf, nil
}

// durationSeconds is how long the prompt plays, in seconds, or false if
// its header does not say (no byte rate).
func (pf promptFormat) durationSeconds() (float64, bool) {
	if pf.ByteRate <= 0 {
		return 0, false
	}
	return float64(pf.dataLen) / float64(pf.ByteRate), true
}

// playable says why the console cannot decode the prompt, or nil: it
// decodes one channel of A-law, µ-law or 8-bit PCM.
func (pf promptFormat) playable() error {
	switch {
	case pf.Codec == 0:
		return fmt.Errorf("it is %s, which the console does not decode (it decodes 8-bit A-law, µ-law and PCM)", pf.Encoding())
	case pf.Channels != 1:
		return fmt.Errorf("it has %d channels; the console decodes mono", pf.Channels)
	case pf.SampleRate <= 0 || pf.SampleRate > 192000:
		return fmt.Errorf("its sample rate (%d Hz) is not one a browser plays", pf.SampleRate)
	}
	return nil
}

// decodeTables map an 8-bit sample to 16-bit linear PCM, per codec.
var decodeTables = func() (t [3][256]int16) {
	for i := range 256 {
		t[wavcheck.ALaw-1][i] = g711.ALawDecode(byte(i))
		t[wavcheck.MuLaw-1][i] = g711.MuLawDecode(byte(i))
		t[wavcheck.PCM8-1][i] = int16(i-128) << 8 // 8-bit WAV PCM is unsigned
	}
	return t
}()

// table returns the decoding table of a playable prompt's codec.
func (pf promptFormat) table() *[256]int16 { return &decodeTables[pf.Codec-1] }

// pcmHeaderLen is the length of the decoded file's header.
const pcmHeaderLen = 44

// pcmHeader is the header of a 16-bit PCM mono WAV file of samples
// samples at rate Hz. A size past what 32 bits say (a prompt of more
// than 2 GiB) is written as the largest they do, not wrapped.
func pcmHeader(rate int, samples int64) [pcmHeaderLen]byte {
	var h [pcmHeaderLen]byte
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(min(36+2*samples, 1<<32-1)))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1) // PCM
	le.PutUint16(h[22:], 1) // mono
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*2))
	le.PutUint16(h[32:], 2)
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(min(2*samples, 1<<32-1)))
	return h
}

// A pcmReader is a prompt decoded to a 16-bit PCM WAV file as it is
// read: byte k of the data is half of sample k/2, so a seek costs one
// seek of the prompt. Its memory is one buffer, whatever the prompt's
// length.
type pcmReader struct {
	src     io.Reader // the prompt; an io.Seeker for Seek to work
	srcPos  int64     // where src is
	pf      promptFormat
	table   *[256]int16
	hdr     [pcmHeaderLen]byte
	size    int64 // the decoded file's length
	pos     int64 // where the next Read begins
	in, out []byte
}

// pcmBuffer is how many samples a pcmReader decodes at a time.
const pcmBuffer = 16 << 10

// newPCMReader decodes the prompt src, of format pf, whose header has
// just been read (src is at the first sample).
func newPCMReader(src io.Reader, pf promptFormat) *pcmReader {
	return &pcmReader{
		src: src, srcPos: pf.dataOff, pf: pf, table: pf.table(),
		hdr: pcmHeader(pf.SampleRate, pf.dataLen), size: pcmHeaderLen + 2*pf.dataLen,
	}
}

// Read implements io.Reader.
func (p *pcmReader) Read(b []byte) (int, error) {
	if p.pos >= p.size {
		return 0, io.EOF
	}
	if p.pos < pcmHeaderLen {
		n := copy(b, p.hdr[p.pos:])
		p.pos += int64(n)
		return n, nil
	}
	off := p.pos - pcmHeaderLen
	first := off / 2
	last := min((off+int64(len(b))+1)/2, p.pf.dataLen, first+pcmBuffer)
	if p.in == nil {
		p.in, p.out = make([]byte, pcmBuffer), make([]byte, 2*pcmBuffer)
	}
	if want := p.pf.dataOff + first; p.srcPos != want {
		s, ok := p.src.(io.Seeker)
		if !ok {
			return 0, errors.New("console: the prompt cannot be read out of order")
		}
		if _, err := s.Seek(want, io.SeekStart); err != nil {
			return 0, err
		}
		p.srcPos = want
	}
	in := p.in[:last-first]
	n, err := io.ReadFull(p.src, in)
	p.srcPos += int64(n)
	if err != nil {
		return 0, fmt.Errorf("console: the prompt ended after %d of its %d bytes of audio: %w", first+int64(n), p.pf.dataLen, io.ErrUnexpectedEOF)
	}
	for i, c := range in {
		binary.LittleEndian.PutUint16(p.out[2*i:], uint16(p.table[c]))
	}
	k := copy(b, p.out[off-2*first:2*len(in)])
	p.pos += int64(k)
	return k, nil
}

// Seek implements io.Seeker; the prompt is sought on the next Read.
func (p *pcmReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += p.pos
	case io.SeekEnd:
		offset += p.size
	}
	if offset < 0 {
		return 0, errors.New("console: seek before the start")
	}
	p.pos = offset
	return offset, nil
}

// serveAudio sends a prompt decoded to 16-bit PCM mono WAV, for <audio>:
// streamed, with its length known before the first byte (44 + 2 × the
// data's bytes), and ranges of it answered where the store's file can
// seek (Chrome asks for "bytes=0-"). A file that is no WAV the console
// decodes is a 422 page.
func (c *Console) serveAudio(w http.ResponseWriter, r *http.Request) {
	_, base, f, info, ok := c.openPrompt(w, r)
	if !ok {
		return
	}
	defer f.Close()
	pf, err := readPromptHeader(f, info.Size())
	if err == nil {
		err = pf.playable()
	}
	if err != nil {
		c.fail(w, r, http.StatusUnprocessableEntity, base+" cannot be played: "+err.Error()+".")
		return
	}
	pr := newPCMReader(f, pf)
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "private, max-age=60")
	if _, ok := f.(io.Seeker); ok {
		http.ServeContent(w, r, "", info.ModTime(), pr)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(pr.size, 10))
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, pr)
}

package ccfs

// Conversion on upload (Options.Convert): the chain's stage between
// base64 and the WAV checks, and what its failures say.

import (
	"errors"
	"fmt"
	"io"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// converting is the conversion stage of an upload's chain: the decoded
// file through a convert.Reader, whose output the WAV checks then check.
// It is kept in the pooled upload with its buffers.
type converting struct {
	r   convert.Reader
	max int64 // the converter's bound on its input
}

// reset points c at the decoded file in, converted as cfg says.
func (c *converting) reset(in io.Reader, cfg *config) {
	c.max = cfg.maxInput
	c.r.Reset(in, convert.Options{Policy: cfg.policy, MaxInput: cfg.maxInput, MaxHeld: MaxConvertHeld})
}

// MaxConvertHeld bounds the converted audio an upload holds for a file
// that does not say how long it is (a WAV with its data size unknown, an
// MP3 without a Xing header), which a store cannot be sent before its
// header: 1 MiB, 131 s of audio (convert.Options.MaxHeld). Every other
// conversion streams; with it, the uploads in flight (MaxInFlight, 64)
// hold at most 64 MiB between them, whoever sends them.
const MaxConvertHeld = 1 << 20

// free lets go of the request, and of a large file the converter held.
func (c *converting) free() {
	c.r.Reset(nil, convert.Options{})
}

func (c *converting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = c.sizeError(err)
	}
	return n, err
}

// sizeError tells the converter's two bounds apart: its input's
// (MaxInputMB) and the converted file's (MaxFileMB).
func (c *converting) sizeError(err error) error {
	var se *wavcheck.SizeError
	if !errors.As(err, &se) {
		return err
	}
	return convertSizeError{se: se, input: c.r.InputBytes() > c.max}
}

// source describes the file as uploaded, for Event.ConvertedFrom: once
// the converter has begun converting it (the upload failed or not), or
// if it failed (err) as a file the converter cannot convert, once its
// header was read. A file stored as it was sent has none.
func (c *converting) source(err error) convert.Source {
	var ce *convert.Error
	if c.r.Converted() || errors.As(err, &ce) {
		return c.r.Source()
	}
	return convert.Source{}
}

// conversion is the answer's account of a converted file, nil if it was
// stored as it was sent.
func (c *converting) conversion() *Conversion {
	if !c.r.Converted() {
		return nil
	}
	return &Conversion{From: c.r.Source().From, Seconds: c.r.Seconds()}
}

// A convertSizeError is a file too large for conversion on upload: as
// uploaded (input, MaxInputMB), or once converted (MaxFileMB).
type convertSizeError struct {
	se    *wavcheck.SizeError
	input bool
}

func (e convertSizeError) Error() string {
	if e.input {
		return fmt.Sprintf("the file to convert is over its limit: %v", e.se)
	}
	return fmt.Sprintf("the converted file is over its limit: %v", e.se)
}

func (e convertSizeError) Unwrap() error { return e.se }

// result is what the caller is told of e.
func (e convertSizeError) result(c *config) Error {
	if e.input {
		return ErrTooLong.with("the length of data is too long: the file to convert is over %d bytes as uploaded, the input limit (MaxInputMB %d)",
			e.se.Limit, max(c.MaxInputMB, c.MaxFileMB))
	}
	return ErrTooLong.with("the length of data is too long: converted, the file is %d bytes; the stored file's limit (MaxFileMB %d) is %d bytes",
		e.se.Size, c.MaxFileMB, e.se.Limit)
}

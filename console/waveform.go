package console

// A prompt's waveform as a small SVG picture: the lowest and highest
// sample of each of waveColumns columns, found in one pass over the file.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// waveColumns is how many columns a waveform has (fewer for a prompt of
// fewer samples); waveHeight is its height, the picture's units.
const (
	waveColumns = 160
	waveHeight  = 32
)

// A column is the range of the samples one column of a waveform covers.
type column struct{ lo, hi int16 }

// waveform reads pf's samples from r (just after its header) and
// returns each column's range: one pass, one buffer, whatever the
// prompt's length. done, checked between buffers, stops it early.
func waveform(r io.Reader, pf promptFormat, done func() error) ([]column, error) {
	n := pf.dataLen
	cols := int(min(int64(waveColumns), n))
	out := make([]column, cols)
	table := pf.table()
	buf := make([]byte, 32<<10)
	var i int64 // samples read
	for i < n {
		if err := done(); err != nil {
			return nil, err
		}
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), n-i)])
		for _, c := range buf[:k] {
			col := &out[i*int64(cols)/n]
			v := table[c]
			if i == 0 || i*int64(cols)/n != (i-1)*int64(cols)/n { // the column's first sample
				*col = column{v, v}
			} else {
				col.lo, col.hi = min(col.lo, v), max(col.hi, v)
			}
			i++
		}
		if err != nil {
			return nil, fmt.Errorf("the file ended after %d of its %d bytes of audio", i, n)
		}
	}
	return out, nil
}

// waveSVG draws columns as an SVG picture: one vertical stroke per
// column, from its lowest sample to its highest, on a faint mid line.
// Presentation attributes, not style, so the console's CSP allows it.
func waveSVG(cols []column, title string) []byte {
	var b bytes.Buffer
	w := strconv.Itoa(max(len(cols), 1))
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + w + ` 32" width="` + w + `" height="32" preserveAspectRatio="none" role="img">`)
	b.WriteString("<title>")
	xml.EscapeText(&b, []byte(title))
	b.WriteString("</title>")
	fmt.Fprintf(&b, `<path d="M0 16H%s" stroke="#c8ccd0" stroke-width="0.5" fill="none"/>`, w)
	b.WriteString(`<path class="wave" stroke="#2d6a9f" stroke-width="1" fill="none" d="`)
	const mid = waveHeight / 2
	for x, c := range cols {
		top := mid - float64(c.hi)*mid/32768
		bottom := mid - float64(c.lo)*mid/32768
		if bottom-top < 0.5 { // a silent column still shows
			top, bottom = top-0.25, bottom+0.25
		}
		fmt.Fprintf(&b, "M%d.5 %.2fV%.2f", x, top, bottom)
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

// serveWaveform draws a prompt's waveform as SVG, for an <img>.
func (c *Console) serveWaveform(w http.ResponseWriter, r *http.Request) {
	_, base, f, info, ok := c.openPrompt(w, r)
	if !ok {
		return
	}
	defer f.Close()
	pf, err := readPromptHeader(f, info.Size())
	if err == nil {
		err = pf.playable()
	}
	var cols []column
	if err == nil {
		cols, err = waveform(f, pf, r.Context().Err)
	}
	if err != nil {
		c.fail(w, r, http.StatusUnprocessableEntity, "No waveform of "+base+" can be drawn: "+err.Error()+".")
		return
	}
	svg := waveSVG(cols, "Waveform of "+base)
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("Content-Length", strconv.Itoa(len(svg)))
	w.Write(svg)
}

package console_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// svgWave is what a test reads of the console's waveform.
type svgWave struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Title   string   `xml:"title"`
	Paths   []struct {
		Class string `xml:"class,attr"`
		D     string `xml:"d,attr"`
	} `xml:"path"`
}

// waveStrokes returns each column's stroke in a waveform: its x, top and
// bottom.
func waveStrokes(t *testing.T, svg []byte) (svgWave, [][3]float64) {
	t.Helper()
	var w svgWave
	if err := xml.Unmarshal(svg, &w); err != nil {
		t.Fatalf("not SVG: %v: %.300s", err, svg)
	}
	var d string
	for _, p := range w.Paths {
		if p.Class == "wave" {
			d = p.D
		}
	}
	var out [][3]float64
	for _, m := range regexp.MustCompile(`M([0-9.]+) ([-0-9.]+)V([-0-9.]+)`).FindAllStringSubmatch(d, -1) {
		var s [3]float64
		for i := range s {
			s[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		out = append(out, s)
	}
	if n := strings.Count(d, "M"); n != len(out) {
		t.Fatalf("%d strokes, %d read: %s", n, len(out), d)
	}
	return w, out
}

func TestWaveformIsSVGOfEachColumnsRange(t *testing.T) {
	e := newPromptsEnv(t, nil)
	// 16000 samples: silence for the first half, then a full-scale square
	// wave, so the left 80 columns are flat and the right 80 tall.
	audio := make([]byte, 16000)
	for i := range audio {
		switch {
		case i < 8000:
			audio[i] = g711.ALaw(0)
		case i%2 == 0:
			audio[i] = g711.ALaw(32000)
		default:
			audio[i] = g711.ALaw(-32000)
		}
	}
	e.put(53, "half.wav", wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "data", Data: audio}))
	res := e.do(http.MethodGet, "/console/vdn/53/prompt/half.wav/waveform.svg", nil)
	svg, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" || res.Header.Get("Cache-Control") != "private, max-age=300" {
		t.Fatalf("%d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	w, cols := waveStrokes(t, svg)
	if len(cols) != 160 || w.ViewBox != "0 0 160 32" || w.Title != "Waveform of half.wav" {
		t.Fatalf("%d columns, viewBox %q, title %q", len(cols), w.ViewBox, w.Title)
	}
	for x, c := range cols {
		if c[0] != float64(x)+0.5 || c[1] > c[2] || c[1] < 0 || c[2] > 32 {
			t.Fatalf("column %d: %v", x, c)
		}
		if tall := c[2] - c[1]; x < 80 && tall > 1 || x >= 80 && tall < 30 {
			t.Errorf("column %d is %.2f tall", x, tall)
		}
	}
}

func TestWaveformOfAShortPromptHasAColumnPerSample(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "short.wav", wavfile.File(wavfile.ALaw8k, 10))
	status, svg := e.get("/console/vdn/53/prompt/" + "short.wav/waveform.svg")
	if status != http.StatusOK {
		t.Fatalf("%d", status)
	}
	if w, cols := waveStrokes(t, []byte(svg)); len(cols) != 10 || w.ViewBox != "0 0 10 32" {
		t.Errorf("%d columns, viewBox %q", len(cols), w.ViewBox)
	}
}

func TestWaveformTitleIsEscaped(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "<b>&.wav", wavfile.File(wavfile.ALaw8k, 400))
	status, svg := e.get("/console/vdn/53/prompt/%3Cb%3E&.wav/waveform.svg")
	if status != http.StatusOK {
		t.Fatalf("%d %.300s", status, svg)
	}
	if w, _ := waveStrokes(t, []byte(svg)); w.Title != "Waveform of <b>&.wav" {
		t.Errorf("title %q", w.Title)
	}
}

//go:build unix

package ccfs_test

import (
	"encoding/binary"
	"math"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/bench"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// BenchmarkConvertUpload uploads a minute of TTS output (22.05 kHz 16-bit
// mono, 2.6 MB) to a handler that converts, and in the same run the same
// prompt already converted (8 kHz A-law, 480 KB), each to a discarding
// store. It reports the process's CPU time (user and system, all
// threads: the garbage collector's included) per upload of each,
// cpu-ms/upload and preconverted-cpu-ms/upload, and their ratio,
// x-preconverted: what converting on the server costs, as a multiple of
// storing a prompt the chatbot converted itself.
func BenchmarkConvertUpload(b *testing.B) {
	tts := ttsMinute()
	pre, err := convert.Convert(tts, wavcheck.ALaw)
	if err != nil {
		b.Fatal(err)
	}
	conv, plain := bench.NewUploadOf(tts), bench.NewUploadOf(pre)
	h := bench.NewHandlerWith(bench.Discard{}, func(o *ccfs.Options) { o.Convert = ccfs.ConvertEvery })
	send := func(u *bench.Upload, converted bool) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, u.Request())
		body := w.Body.String()
		if w.Code != 200 || body[:16] != `{"resultCode":"0` || converted != (len(body) > 0 && contains(body, `"converted":{"from":"PCM 16-bit 22050 Hz mono","seconds":60}`)) {
			b.Fatalf("%d %s", w.Code, body)
		}
	}
	var cpuConv, cpuPlain time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := cpu()
		send(plain, false)
		t1 := cpu()
		send(conv, true)
		cpuPlain += t1 - t0
		cpuConv += cpu() - t1
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(cpuConv), "cpu-ms/upload")
	b.ReportMetric(per(cpuPlain), "preconverted-cpu-ms/upload")
	b.ReportMetric(float64(cpuConv)/float64(cpuPlain), "x-preconverted")
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// cpu returns the process's CPU time so far, user and system.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ttsMinute is a minute of 22.05 kHz 16-bit mono, as a TTS engine writes
// it: a voice-like mix of harmonics of a gliding pitch, syllables of
// sound and short pauses.
func ttsMinute() []byte {
	const rate = 22050
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 16}
	data := make([]byte, 2*60*rate)
	phase := 0.0
	for i := range 60 * rate {
		t := float64(i) / rate
		pitch := 120 + 40*math.Sin(2*math.Pi*0.7*t)
		phase += 2 * math.Pi * pitch / rate
		env := math.Max(0, math.Sin(2*math.Pi*3*t)) // syllables, with pauses
		var v float64
		for k := 1; k <= 12; k++ {
			v += math.Sin(float64(k)*phase) / float64(k)
		}
		binary.LittleEndian.PutUint16(data[2*i:], uint16(int16(6000*env*v)))
	}
	return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: data})
}

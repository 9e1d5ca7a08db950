package mp3

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlignmentSweep encodes the chirp with FFmpeg's libmp3lame at the
// MPEG-1 and MPEG-2 rates, mono and stereo, constant and variable
// bitrate, with and without an ID3v2 tag, at lengths that leave LAME
// different padding, and checks each decodes, Skip dropped and Frames
// kept, to the original: exactly as long, lined up within ±2 samples.
// Files without a Xing header must decode, with Frames -1. It needs
// ffmpeg and skips without it; the committed fixtures check the same
// without.
func TestAlignmentSweep(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (apt-get install ffmpeg): the alignment sweep needs it to encode MP3 files; TestFixturesLineUp checks the committed ones")
	}
	dir := t.TempDir()
	encode := func(t *testing.T, name string, rate, channels, n int, args ...string) []byte {
		t.Helper()
		src := fmt.Sprintf("aevalsrc=0.5*sin(2*PI*(100+3000*t)*t):s=%d", rate)
		if channels == 2 {
			src = fmt.Sprintf("aevalsrc=0.5*sin(2*PI*(100+3000*t)*t)|0.4*sin(2*PI*(2000-1500*t)*t):s=%d", rate)
		}
		out := filepath.Join(dir, name+".mp3")
		cmd := exec.Command(ffmpeg, append(append([]string{"-hide_banner", "-loglevel", "error", "-y",
			"-f", "lavfi", "-i", src, "-af", fmt.Sprintf("atrim=end_sample=%d", n), "-c:a", "libmp3lame"}, args...), out)...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, rate := range []int{48000, 44100, 32000, 24000, 22050, 16000} {
		for _, channels := range []int{1, 2} {
			for _, mode := range []struct {
				name string
				args []string
			}{
				{"cbr", []string{"-b:a", "64k"}},
				{"cbr-low", []string{"-b:a", "32k"}},
				{"vbr", []string{"-q:a", "4"}},
				{"no-id3", []string{"-b:a", "64k", "-id3v2_version", "0"}},
			} {
				lengths := []int{rate / 3, rate/2 + 577}
				if mode.name != "cbr" {
					lengths = lengths[1:]
				}
				for _, n := range lengths {
					name := fmt.Sprintf("%d-%dch-%s-%d", rate, channels, mode.name, n)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						data := encode(t, name, rate, channels, n, mode.args...)
						if rate == 22050 && mode.name == "cbr-low" {
							// go-mp3 misreads padded 22050 Hz frames at 32 kbit/s.
							_, _, err := decodeAll(t, data)
							if err == nil || !strings.Contains(err.Error(), "a byte short") {
								t.Fatalf("%v, want the error that says go-mp3 misreads the file", err)
							}
							return
						}
						lag, corr := aligned(t, data, rate, chirp(rate, channels, n))
						t.Logf("lag %d, correlation %.4f", lag, corr)
						if corr < 0.99 {
							t.Errorf("correlation %.3f with the original", corr)
						}
					})
				}
			}
			t.Run(fmt.Sprintf("%d-%dch-no-xing", rate, channels), func(t *testing.T) {
				t.Parallel()
				n := rate / 3
				data := encode(t, fmt.Sprintf("%d-%d-no-xing", rate, channels), rate, channels, n, "-b:a", "64k", "-write_xing", "0")
				info, pcm, err := decodeAll(t, data)
				if err != nil {
					t.Fatal(err)
				}
				if info.Skip != DecoderDelay || info.Frames != -1 || info.Rate != rate {
					t.Fatalf("Info %+v, want %d Hz, Skip %d, Frames -1", info, rate, DecoderDelay)
				}
				lag, corr := bestLag(chirp(rate, channels, n)[0], channel(pcm[2*info.Skip:], 2, 0), 1200)
				t.Logf("after Skip the audio is %d samples in (LAME's delay is 576), correlation %.4f", lag, corr)
				if lag < 574 || lag > 578 {
					t.Errorf("after Skip the audio is %d samples in, want LAME's delay, 576", lag)
				}
			})
		}
	}
}

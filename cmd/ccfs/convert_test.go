package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// stereo48k returns a WAV file of seconds of 16-bit PCM at 48 kHz,
// stereo: a 1 kHz tone on the left, 300 Hz on the right.
func stereo48k(seconds int) []byte {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 48000, Bits: 16}
	file, audio, err := wavfile.New(f, 48000*seconds*4)
	if err != nil {
		panic(err)
	}
	for i := range 48000 * seconds {
		l := 10000 * math.Sin(2*math.Pi*1000*float64(i)/48000)
		r := 10000 * math.Sin(2*math.Pi*300*float64(i)/48000)
		binary.LittleEndian.PutUint16(audio[i*4:], uint16(int16(l)))
		binary.LittleEndian.PutUint16(audio[i*4+2:], uint16(int16(r)))
	}
	return file
}

// dirNames returns the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestConvertCommandStereo48k: a stereo 48 kHz file converted to A-law
// and µ-law, each as the converter makes it, with the line that says what
// it was; an existing OUT replaced; nothing else left in the directory; a
// file already in the form wanted copied as it is.
func TestConvertCommandStereo48k(t *testing.T) {
	tts := stereo48k(3)
	in := writeFile(t, "tts.wav", tts)
	dir := t.TempDir()
	out := filepath.Join(dir, "prompt.wav")
	if err := os.WriteFile(out, []byte("an old prompt"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  []string
		codec wavcheck.Codec
		name  string
	}{
		{nil, wavcheck.ALaw, "A-law"},
		{[]string{"--codec", "mulaw"}, wavcheck.MuLaw, "µ-law"},
	} {
		code, stdout, stderr := runCmd(t, append(append([]string{"convert"}, c.args...), in, out)...)
		if code != 0 {
			t.Fatalf("convert %v: exit %d, %s", c.args, code, stderr)
		}
		want, err := convert.Convert(tts, c.codec)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, out); !bytes.Equal(got, want) {
			t.Fatalf("convert %v: %d bytes written, want the converter's %d", c.args, len(got), len(want))
		}
		if len(want) != 44+24000 {
			t.Fatalf("%d bytes for 3 s; want 24044", len(want))
		}
		line := out + ": 24044 bytes, 8-bit " + c.name + ", 8000 Hz, mono, 3 s, from PCM 16-bit 48000 Hz stereo\n"
		if stdout != line {
			t.Errorf("convert %v printed %q; want %q", c.args, stdout, line)
		}
		if names := dirNames(t, dir); len(names) != 1 || names[0] != "prompt.wav" {
			t.Errorf("the output's directory holds %q; want prompt.wav alone", names)
		}
		if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("the output: %v, mode %v; want 0644", err, st.Mode())
		}
	}

	// A WAV streamed with an unknown data size: its header written over
	// at the end (convert.Options.Rewrite; that the audio streams before
	// it is TestRewriteStreamsWhatIsHeld's), the same file as held whole.
	unsized := append([]byte(nil), tts...)
	binary.LittleEndian.PutUint32(unsized[40:], 0xFFFFFFFF)
	code, _, stderr := runCmd(t, "convert", writeFile(t, "unsized.wav", unsized), out)
	if want, _ := convert.Convert(unsized, wavcheck.ALaw); code != 0 || !bytes.Equal(readFile(t, out), want) || len(want) != 44+24000 {
		t.Fatalf("convert of a WAV of unknown length: exit %d %s; the file differs from the converter's", code, stderr)
	}

	// An A-law prompt to A-law: copied byte for byte.
	prompt := writeFile(t, "alaw.wav", alaw(4001))
	again := filepath.Join(dir, "again.wav")
	code, stdout, stderr := runCmd(t, "convert", prompt, again)
	if code != 0 || !bytes.Equal(readFile(t, again), readFile(t, prompt)) {
		t.Fatalf("convert of an A-law prompt: exit %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "from A-law 8-bit 8000 Hz mono, already in that form: copied as it is") {
		t.Errorf("convert of an A-law prompt printed %q", stdout)
	}
}

// TestConvertCommandUnreadable: a file the converter cannot read leaves
// no OUT (and no temporary file) behind, or leaves an existing OUT as it
// was, and says why in one line.
func TestConvertCommandUnreadable(t *testing.T) {
	whole := stereo48k(1)
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"cut short", "ends", whole[:len(whole)/2]},
		{"not audio", "not a WAV file", []byte("these are not audio, but long enough to look at")},
		{"empty", "empty", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := writeFile(t, "in.wav", c.data)
			dir := t.TempDir()
			out := filepath.Join(dir, "out.wav")
			code, stdout, stderr := runCmd(t, "convert", in, out)
			if code != 1 || stdout != "" || !strings.Contains(stderr, in+": ") || !strings.Contains(stderr, c.want) ||
				strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line naming the input and saying %q", code, stdout, stderr, c.want)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("the output's directory holds %q; want nothing", names)
			}

			// An OUT that exists is left as it was.
			if err := os.WriteFile(out, []byte("the old prompt"), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, _ := runCmd(t, "convert", in, out); code != 1 {
				t.Errorf("exit %d; want 1", code)
			}
			if got := string(readFile(t, out)); got != "the old prompt" {
				t.Errorf("the existing OUT became %q", got)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("the output's directory holds %q; want out.wav alone", names)
			}
		})
	}

	// An output directory that does not exist: a clear error, nothing made.
	in := writeFile(t, "in.wav", whole)
	if code, _, stderr := runCmd(t, "convert", in, filepath.Join(t.TempDir(), "no", "out.wav")); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("convert into a missing directory: exit %d, %q", code, stderr)
	}
}

// TestConvertCommandMP3: the command reads MP3 (convert/mp3, imported by
// main.go): the chirp fixture, 0.3 s at 44.1 kHz, becomes 0.3 s at 8 kHz.
func TestConvertCommandMP3(t *testing.T) {
	in, err := filepath.Abs("../../convert/mp3/testdata/chirp-44100-mono.mp3")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "prompt.wav")
	code, stdout, stderr := runCmd(t, "convert", in, out)
	if code != 0 || !strings.Contains(stdout, "2444 bytes, 8-bit A-law, 8000 Hz, mono, 0.3 s, from MP3 44100 Hz mono") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if f, err := wavcheck.Inspect(bytes.NewReader(readFile(t, out)), wavcheck.Policy{}); err != nil || f.DataSize != 2400 {
		t.Fatalf("the converted MP3: %v, %v", f, err)
	}
}

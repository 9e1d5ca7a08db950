package main

import (
	"strings"
	"testing"
)

// TestCheckConvert: with --convert, a file the checks refuse but the
// converter reads is one a server with --convert would take, said with
// what it is and how long it lasts (exit 0); one the converter cannot
// read is refused with the converter's reason (exit 1); a file CC-FS
// takes as it is stays OK.
func TestCheckConvert(t *testing.T) {
	stereo := writeFile(t, "tts.wav", tts(22050, 2, 1.5))
	file := tts16k()
	truncated := writeFile(t, "cut.wav", file[:len(file)/2])
	prompt := writeFile(t, "prompt.wav", alaw(8000))

	code, out, errs := runCmd(t, "check", "--convert", stereo, prompt)
	if want := stereo + ": would be converted: PCM 16-bit 22050 Hz stereo → 8 kHz A-law mono, 1.5 s\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("check --convert of a 16-bit file: %d %q %s; want %q", code, out, errs, want)
	}
	if want := prompt + ": OK, 8-bit A-law"; !strings.Contains(out, want) {
		t.Errorf("check --convert of an A-law prompt: %q; want %q", out, want)
	}
	code, out, _ = runCmd(t, "check", "--convert", "--codecs", "mulaw", stereo)
	if want := "→ 8 kHz µ-law mono, 1.5 s"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("check --convert --codecs mulaw: %d %q; want %q", code, out, want)
	}

	code, out, _ = runCmd(t, "check", "--convert", truncated, stereo)
	if want := truncated + ": refused, cannot be converted: "; code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "end") {
		t.Errorf("check --convert of a truncated file: %d %q; want exit 1 and %q with the converter's reason", code, out, want)
	}
	if !strings.Contains(out, stereo+": would be converted") {
		t.Errorf("check --convert stopped at the truncated file: %q", out)
	}

	// Without --convert, the same 16-bit file is refused, as before.
	if code, out, _ := runCmd(t, "check", stereo); code != 1 || !strings.Contains(out, "refused: 16-bit PCM; need 8-bit A-law") {
		t.Errorf("check without --convert: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "check", "--convert", "--max-input-mb", "1", writeFile(t, "long.wav", tts(48000, 2, 6)))
	if code != 1 || !strings.Contains(out, "too large to convert") {
		t.Errorf("check --convert --max-input-mb 1 of a 1.1 MB file: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "check", "--convert", "--max-file-mb", "1", writeFile(t, "long.wav", tts(8000, 1, 140)))
	if code != 1 || !strings.Contains(out, "too large even converted") {
		t.Errorf("check --convert --max-file-mb 1 of 140 s: %d %q", code, out)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--max-input-mb", "10", stereo}, "--max-input-mb needs --convert"},
		{[]string{"--convert", "--max-input-mb", "0", stereo}, "--max-input-mb 0: want 1 to 1024"},
		{[]string{"--convert=53", stereo}, "check takes --convert alone"},
	} {
		if code, _, errs := runCmd(t, append([]string{"check"}, c.args...)...); code != 2 || !strings.Contains(errs, c.says) {
			t.Errorf("check %q: %d %q; want 2 saying %q", c.args, code, errs, c.says)
		}
	}
}

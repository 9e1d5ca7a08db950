package mp3

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// convertServer is a server whose handler converts every upload
// (Options.Convert), with this package's Decoder registered.
func convertServer(t *testing.T) *ccfstest.Server {
	return ccfstest.NewServer(t, ccfstest.WithOptions(func(o *ccfs.Options) { o.Convert = ccfs.ConvertEvery }))
}

// An MP3 uploaded through the handler with conversion on is stored as an
// 8 kHz A-law mono prompt as long as the MP3, and the answer says what it
// was.
func TestUploadMP3(t *testing.T) {
	srv := convertServer(t)
	got, err := srv.Client().Upload(context.Background(), srv.VDN, fixture(t, "tone-1013-44100-stereo-128k.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Converted == nil || !strings.HasPrefix(got.Converted.From, "MP3 44100 Hz") || got.Converted.Seconds != 1 {
		t.Fatalf("converted %+v; want from \"MP3 44100 Hz …\", 1 second", got.Converted)
	}
	if got.Converted.From != "MP3 44100 Hz stereo, 128 kbit/s" {
		t.Errorf("from %q", got.Converted.From)
	}
	// The store's names have no root prefix, nor the "/" after it.
	file, ok := srv.Store.Get(strings.TrimPrefix(got.FileName, srv.RootPrefix+"/"))
	if !ok {
		t.Fatalf("%s is not in the store (%v)", got.FileName, srv.Store.Names())
	}
	format, err := wavcheck.Inspect(bytes.NewReader(file), wavcheck.Policy{})
	if err != nil {
		t.Fatalf("the stored file: %v", err)
	}
	if format.Codec != wavcheck.ALaw || format.SampleRate != 8000 || format.Channels != 1 || format.DataSize != 8000 {
		t.Fatalf("stored %v; want A-law 8000 Hz mono, 8000 samples", format)
	}
}

// An MP3 the converter cannot read is refused with 0300004 and the reason,
// and nothing is stored: one cut short, and one go-mp3 would misread.
func TestUploadMP3Refused(t *testing.T) {
	tone := fixture(t, "tone-1013-44100-stereo-128k.mp3")
	for _, c := range []struct {
		name string
		file []byte
		want []string // in the description
	}{
		{"truncated", tone[:len(tone)/2], []string{"MP3 file ends early", "20 of the 41 frames the Xing header counts"}},
		{"22050 Hz at 32 kbit/s", fixture(t, "chirp-22050-mono-32k.mp3"), []string{"go-mp3", "22050 Hz and 32 kbit/s", "a byte short"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := convertServer(t)
			_, err := srv.Client().Upload(context.Background(), srv.VDN, c.file)
			var e ccfs.Error
			if !errors.As(err, &e) || e.Code() != ccfs.ErrFormat.Code() {
				t.Fatalf("%v; want %s", err, ccfs.ErrFormat.Code())
			}
			for _, w := range c.want {
				if !strings.Contains(e.Desc(), w) {
					t.Errorf("the description %q lacks %q", e.Desc(), w)
				}
			}
			t.Logf("%s: %s", e.Code(), e.Desc())
			if names := srv.Store.Names(); len(names) != 0 {
				t.Errorf("stored %v", names)
			}
		})
	}
}

package ccfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
)

// FuzzRequestPath feeds arbitrary downloadFile bodies through the parse
// and the path checks, and holds every path that gets through to what
// they promise: a valid store name, written in the request exactly as it
// is used (nothing decoded or cleaned), inside the directory of a rule
// for the VDN that is then checked against the key.
func FuzzRequestPath(f *testing.F) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "a", SecretKey: "s", AnyVDN: true})
	cfg, err := Options{Credentials: creds, Store: store.NewMemory(), RootPrefix: "Y:"}.resolve()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/a.wav"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/","mode":1}}`,
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/53/IVRrecordFile/../../54/IVRrecordFile/a.wav"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/3rdfile/53/thirdvoicebotfile/%2e%2e/a","mode":0}}`,
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:\\voice\\53\\IVRrecordFile\\a.wav"}}`,
		`{"request":{"version":"2.0"},"msgBody":{"filePath":"Y:/voice/053/IVRrecordFile/\u002e\u002e/a"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := parseSmall(body, "filePath", "mode")
		if err != nil {
			if !errors.As(err, new(Error)) {
				t.Fatalf("parseSmall: %v is not an Error", err)
			}
			return
		}
		p, err := stringField("filePath", fields[0], true, cfg.maxPathLen())
		if err != nil {
			return
		}
		folder, err := modeField(fields[1])
		if err != nil {
			return
		}
		name, err := cfg.storeName("filePath", p, folder)
		if err != nil {
			return
		}
		if err := store.CheckName(name); err != nil {
			t.Fatalf("%q became the invalid store name %q", p, name)
		}
		if literal := "Y:/" + name; p != literal && (!folder || p != literal+"/") {
			t.Fatalf("%q became %q: not literal", p, name)
		}
		vdn, rest, ok := match(cfg.download, name, !folder)
		if !ok {
			return
		}
		if vdn <= 0 || !folder && rest == "" {
			t.Fatalf("%q matched VDN %d, rest %q", name, vdn, rest)
		}
		inside := false
		for _, r := range cfg.download {
			dir := r.Dir(vdn)
			inside = inside || name == dir+"/"+rest || rest == "" && name == dir
		}
		if !inside {
			t.Fatalf("%q (VDN %d) is outside every rule's directory for its VDN", name, vdn)
		}
		if strings.Contains("/"+name+"/", "/../") {
			t.Fatalf("%q has a dot-dot segment", name)
		}
	})
}

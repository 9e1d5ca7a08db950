package ccfs_test

// Options resolved by NewHandler (options.go): what it refuses.

import (
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

func TestNewHandlerRefusesBadOptions(t *testing.T) {
	creds, _ := auth.NewStatic()
	mem := store.NewMemory()
	for name, o := range map[string]ccfs.Options{
		"no credentials": {Store: mem},
		"no store":       {Credentials: creds},
		"bad rule":       {Credentials: creds, Store: mem, PathRule: "/a/../b"},
		"negative size":  {Credentials: creds, Store: mem, MaxFileMB: -1},
		"bad root":       {Credentials: creds, Store: mem, RootPrefix: "Y:/"},
		"bad codec":      {Credentials: creds, Store: mem, Codecs: []wavcheck.Codec{42}},
		"negative rate":  {Credentials: creds, Store: mem, RatePerKey: -1},
		"bad window":     {Credentials: creds, Store: mem, Window: -time.Second},
		"negative input": {Credentials: creds, Store: mem, MaxInputMB: -1},
		"huge input":     {Credentials: creds, Store: mem, MaxInputMB: 1025},
	} {
		if _, err := ccfs.NewHandler(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

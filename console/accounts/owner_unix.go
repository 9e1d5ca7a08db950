//go:build unix

package accounts

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of the file old describes, when
// they are not already the process's.
func keepOwner(f *os.File, old os.FileInfo) error {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}

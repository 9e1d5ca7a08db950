package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccfs-go/ccfs/auth"
)

// loadOrCreateCredentials loads path, or <data>/credentials.json; when
// neither names an existing file it writes a dev key for VDN 1 there (mode
// 0600) and prints it once.
func loadOrCreateCredentials(path, data string, stdout io.Writer) (*auth.FileCredentials, error) {
	if path != "" {
		return auth.NewFileCredentials(path)
	}
	path = filepath.Join(data, "credentials.json")
	if _, err := os.Stat(path); err == nil {
		return auth.NewFileCredentials(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key := auth.Key{AccessKey: "dev-" + strings.ToLower(rand.Text()[:8]), SecretKey: rand.Text(), VDNs: []int{1}}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := auth.WriteCredentials(f, key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "ccfs: generated a development key for VDN 1 in %s (shown once):\n  access key  %s\n  secret key  %s\n",
		path, key.AccessKey, key.SecretKey)
	return auth.NewFileCredentials(path)
}

// checkSecretFile refuses a file of secret keys that every local user may
// read (unless allowed), and warns about one its group may read.
func checkSecretFile(path string, allowReadable bool, logger *slog.Logger) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	switch mode := info.Mode().Perm(); {
	case mode&0o007 != 0 && !allowReadable:
		return fmt.Errorf("the credentials file %s holds secret keys and is open to every user (mode %04o): chmod o-rwx it (0600, or 0640 for a service group), or pass --allow-readable-credentials", path, mode)
	case mode&0o007 != 0:
		logger.Warn("the credentials file is open to every user (--allow-readable-credentials)", "file", path, "mode", fmt.Sprintf("%04o", mode))
	case mode&0o070 != 0:
		logger.Warn("the credentials file may be read by its group: keep that group to the service", "file", path, "mode", fmt.Sprintf("%04o", mode))
	}
	return nil
}

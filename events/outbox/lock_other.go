//go:build !unix

package outbox

import (
	"fmt"
	"io"
	"os"
)

// lockDir creates the file at path and holds it open. Where there is no
// flock, a second Outbox on the same directory is not refused.
func lockDir(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return f, nil
}

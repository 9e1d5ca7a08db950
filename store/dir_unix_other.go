//go:build unix && !linux

package store

import (
	"errors"
	"os"
)

// openBeneath is Linux's one-call resolution; elsewhere names are walked
// element by element.
func openBeneath(rootfd int, dir string) (fd int, ok bool) { return -1, false }

// Unnamed files are Linux's O_TMPFILE; elsewhere Put writes under a name
// in the staging directory.
func canCreateUnnamed(*os.File) bool { return false }

func createUnnamed(*os.File) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkUnnamed(*os.File, int, string) error { return errors.ErrUnsupported }

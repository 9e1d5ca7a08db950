//go:build !unix

package ccfstest

import "errors"

func mkfifo(string) error { return errors.New("no named pipes here") }

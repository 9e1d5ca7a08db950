package ccfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/ccfs-go/ccfs"
)

// The result codes are the wire contract: every other test names them by
// their sentinel, and this one pins each sentinel's code and status.
func TestResultCodeLiterals(t *testing.T) {
	want := []struct {
		e      ccfs.Error
		code   string
		status int
	}{
		{ccfs.ErrNull, "0300001", 200}, {ccfs.ErrEmpty, "0300002", 200}, {ccfs.ErrTooLong, "0300003", 200},
		{ccfs.ErrFormat, "0300004", 200}, {ccfs.ErrTooShort, "0300005", 200}, {ccfs.ErrVersion, "0300006", 200},
		{ccfs.ErrBodyNull, "0300007", 200},
		{ccfs.ErrAuth, "0300010", 401}, {ccfs.ErrTimestamp, "0300011", 401}, {ccfs.ErrReplay, "0300012", 401},
		{ccfs.ErrVDNForbidden, "0300013", 401}, {ccfs.ErrRateLimited, "0300014", 200}, {ccfs.ErrBusy, "0300015", 200},
		{ccfs.ErrStorage, "0300016", 200}, {ccfs.ErrReplayUnavailable, "0300017", 200},
		{ccfs.ErrMethod, "0300018", http.StatusMethodNotAllowed}, {ccfs.ErrNotFound, "0300019", http.StatusNotFound},
		{ccfs.ErrSlowBody, "0300020", 200}, {ccfs.ErrNoSuchFile, "0300021", 200}, {ccfs.ErrNotOneFile, "0300022", 200},
		{ccfs.ErrCutShort, "0300023", 200},
		{ccfs.ErrQuota, "0300024", 200},
		{ccfs.ErrIdempotencyMismatch, "0300025", 200},
	}
	all := ccfs.ResultCodes()
	if len(all) != len(want) {
		t.Fatalf("ResultCodes lists %d codes, this test %d", len(all), len(want))
	}
	for i, w := range want {
		if w.e.Code() != w.code || w.e.Status() != w.status || all[i].Code() != w.code {
			t.Errorf("%s: code %s status %d, ResultCodes()[%d] %s; want %s and %d", w.e.Desc(), w.e.Code(), w.e.Status(), i, all[i].Code(), w.code, w.status)
		}
	}
	if ccfs.SuccessCode != "0" {
		t.Errorf("SuccessCode %q", ccfs.SuccessCode)
	}
}

func TestErrorsIs(t *testing.T) {
	err := error(ccfs.ErrFormat)
	if !errors.Is(err, ccfs.ErrFormat) || errors.Is(err, ccfs.ErrNull) {
		t.Fatal("errors.Is by code")
	}
	seen := map[string]bool{}
	for _, c := range ccfs.ResultCodes() {
		if seen[c.Code()] || !regexp.MustCompile(`^03000\d\d$`).MatchString(c.Code()) {
			t.Fatalf("code %s", c.Code())
		}
		seen[c.Code()] = true
	}
}

// TestResultCodesDocumented keeps the table of docs/result-codes.md in step
// with the code.
func TestResultCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("docs/result-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ccfs.ResultCodes() {
		row := fmt.Sprintf("| %s | %d | ", c.Code(), c.Status())
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("docs/result-codes.md has no row %q", row)
		}
	}
}

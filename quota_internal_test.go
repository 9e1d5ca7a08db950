package ccfs

import (
	"testing"

	"github.com/ccfs-go/ccfs/quota"
)

// TestQuotaRefusalWords: the quota refusal's sizes read as a person
// writes them, and a ledger that refused without a limit passed still
// gets an answer that names the file and the limit.
func TestQuotaRefusalWords(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 9.5 * (1 << 20): "9.5 MiB", 10 << 20: "10 MiB",
		1_258_291: "1.2 MiB", 3 << 40: "3 TiB", 1<<63 - 1: "8 EiB",
	} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
	lim := quota.Limit{Bytes: 10 << 20, Files: 1000}
	for _, tt := range []struct {
		found quota.Usage
		size  int64
		want  string
	}{
		{quota.Usage{Bytes: 9.5 * (1 << 20), Files: 20}, 1_258_291,
			"quota reached for VDN 123: 9.5 MiB of 10 MiB stored; this file needs 1.2 MiB; delete files to make room"},
		{quota.Usage{Bytes: 1 << 20, Files: 1000}, 100,
			"quota reached for VDN 123: 1000 of 1000 files stored; delete files to make room"},
		{quota.Usage{}, 100,
			"quota reached for VDN 123: this file of 100 bytes would pass its limit of 10MiB/1000; delete files to make room"},
	} {
		e := quotaRefusal(123, tt.size, lim, tt.found)
		if e.Code() != ErrQuota.Code() || e.Desc() != tt.want {
			t.Errorf("%+v, %d: %s %q\nwant %q", tt.found, tt.size, e.Code(), e.Desc(), tt.want)
		}
	}
}

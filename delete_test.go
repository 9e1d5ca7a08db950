package ccfs_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/store"
)

// TestDeleteTable is deleteFile's hostile-input table.
func TestDeleteTable(t *testing.T) {
	del := func(name string, msgBody string, status int, code string, gone ...string) smallCase {
		return smallCase{name: name, r: req{path: ccfs.DeletePath, body: deleteBody(msgBody)}, status: status, code: code, gone: gone}
	}
	file := func(name, fileName string, status int, code string, gone ...string) smallCase {
		return del(name, `{"fileName":`+jsonString(fileName)+`}`, status, code, gone...)
	}
	cases := commonCases(ccfs.DeletePath, `{"fileName":"Y:/`+prompt53+`"}`)
	for i := range cases {
		if cases[i].code == "0" {
			cases[i].gone = []string{prompt53}
		}
	}
	cases = append(cases,
		file("deleted", "Y:/"+prompt53, 200, "0", prompt53),
		del("with a locationId outside a pool (ignored)", `{"fileName":"Y:/`+prompt53+`","locationId":"0"}`, 200, "0", prompt53),
		del("with an empty locationId", `{"fileName":"Y:/`+prompt53+`","locationId":""}`, 200, "0", prompt53),
		del("fileName missing", `{}`, 200, ccfs.ErrNull.Code()),
		del("msgBody missing", `null`, 200, ccfs.ErrNull.Code()),
		del("fileName null", `{"fileName":null}`, 200, ccfs.ErrNull.Code()),
		del("fileName empty", `{"fileName":""}`, 200, ccfs.ErrEmpty.Code()),
		del("fileName a number", `{"fileName":53}`, 200, ccfs.ErrFormat.Code()),
		del("fileName an array", `{"fileName":["Y:/`+prompt53+`"]}`, 200, ccfs.ErrFormat.Code()),
		del("fileName twice", `{"fileName":"Y:/`+prompt53+`","fileName":"Y:/`+prompt53b+`"}`, 200, ccfs.ErrFormat.Code()),
		file("fileName too long", "Y:/3rdfile/53/thirdvoicebotfile/"+strings.Repeat("a", 1100), 200, ccfs.ErrTooLong.Code()),
		del("locationId a number", `{"fileName":"Y:/`+prompt53+`","locationId":0}`, 200, ccfs.ErrFormat.Code()),
		del("locationId too long", `{"fileName":"Y:/`+prompt53+`","locationId":"`+strings.Repeat("1", 65)+`"}`, 200, ccfs.ErrTooLong.Code()),
		// Another tenant's file: refused as not the key's VDN, and kept.
		file("another tenant's VDN", "Y:/"+prompt99, 401, ccfs.ErrVDNForbidden.Code()),
		file("does not exist", "Y:/3rdfile/53/thirdvoicebotfile/nothere.wav", 200, ccfs.ErrNoSuchFile.Code()),
		file("a VDN with no files", "Y:/3rdfile/54/thirdvoicebotfile/nothere.wav", 200, ccfs.ErrNoSuchFile.Code()),
		// Paths that are not a file in the upload rule's directory.
		file("a recording", "Y:/"+recording53, 200, ccfs.ErrFormat.Code()),
		file("the rule's directory", "Y:/3rdfile/53/thirdvoicebotfile", 200, ccfs.ErrFormat.Code()),
		file("a subdirectory", "Y:/3rdfile/53/thirdvoicebotfile/sub/x.wav", 200, ccfs.ErrFormat.Code()),
		file("no root prefix", "/"+prompt53, 200, ccfs.ErrFormat.Code()),
		file("another drive", "Z:/"+prompt53, 200, ccfs.ErrFormat.Code()),
		file("lower-case drive", "y:/"+prompt53, 200, ccfs.ErrFormat.Code()),
		file("backslashes", `Y:\3rdfile\53\thirdvoicebotfile\aaaaaaaa_1.wav`, 200, ccfs.ErrFormat.Code()),
		file("a backslash inside", `Y:/3rdfile/53/thirdvoicebotfile\aaaaaaaa_1.wav`, 200, ccfs.ErrFormat.Code()),
		file("dot-dot to another tenant", "Y:/3rdfile/53/thirdvoicebotfile/../../99/thirdvoicebotfile/cccccccc_3.wav", 200, ccfs.ErrFormat.Code()),
		file("dot-dot at the top", "Y:/../3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("encoded dot-dot", "Y:/3rdfile/53/thirdvoicebotfile/%2e%2e/%2e%2e/99/thirdvoicebotfile/cccccccc_3.wav", 200, ccfs.ErrFormat.Code()),
		file("encoded slash", "Y:/3rdfile/99%2fthirdvoicebotfile/cccccccc_3.wav", 200, ccfs.ErrFormat.Code()),
		file("a dot segment", "Y:/3rdfile/53/./thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("doubled slash", "Y:/3rdfile/53//thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("leading doubled slash", "Y://3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("trailing slash", "Y:/"+prompt53+"/", 200, ccfs.ErrFormat.Code()),
		file("a NUL byte", "Y:/"+prompt53+"\x00.txt", 200, ccfs.ErrFormat.Code()),
		file("a colon inside", "Y:/3rdfile/53/thirdvoicebotfile/C:aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("VDN with a leading zero", "Y:/3rdfile/053/thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("VDN with a sign", "Y:/3rdfile/+53/thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("VDN too large", "Y:/3rdfile/4294967349/thirdvoicebotfile/aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
		file("a full-width slash", "Y:/3rdfile/53/thirdvoicebotfile／aaaaaaaa_1.wav", 200, ccfs.ErrFormat.Code()),
	)
	runSmallCases(t, cases)
}

// TestDeleteReplay: a deleteFile request cannot be sent twice.
func TestDeleteReplay(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	r := req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`), signedAt: e.clock()}
	if _, resp, _ := e.do(r); resp.ResultCode != "0" {
		t.Fatalf("first: %+v", resp)
	}
	if ev := e.event; ev.Interface != ccfs.InterfaceDelete || !ev.KeyVerified || ev.VDN != 53 || ev.FileName != "Y:/"+prompt53 {
		t.Fatalf("event %+v", ev)
	}
	if status, resp, _ := e.do(r); status != 401 || resp.ResultCode != ccfs.ErrReplay.Code() {
		t.Fatalf("replayed: %d %+v", status, resp)
	}
}

// TestDeleteAtOneLocation: in a CTI pool, locationId deletes the copy at
// that location only; without it, every copy goes.
func TestDeleteAtOneLocation(t *testing.T) {
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: b})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *ccfs.Options) { o.Store = p })
	seed(t, p)
	del := func(msgBody string) string {
		_, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(msgBody)})
		return resp.ResultCode
	}
	has := func() [2]bool {
		_, inA := a.Get(prompt53)
		_, inB := b.Get(prompt53)
		return [2]bool{inA, inB}
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"512"}`); code != ccfs.ErrFormat.Code() || has() != [2]bool{true, true} {
		t.Fatalf("unknown location: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"256"}`); code != "0" || has() != [2]bool{true, false} {
		t.Fatalf("at 256: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `","locationId":"256"}`); code != ccfs.ErrNoSuchFile.Code() {
		t.Fatalf("at 256 again: %s", code)
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `"}`); code != "0" || has() != [2]bool{false, false} {
		t.Fatalf("everywhere: %s, copies %v", code, has())
	}
	if code := del(`{"fileName":"Y:/` + prompt53 + `"}`); code != ccfs.ErrNoSuchFile.Code() {
		t.Fatalf("everywhere again: %s", code)
	}
	if _, ok := a.Get(prompt53b); !ok {
		t.Fatal("another file went too")
	}
}

// flakyRemover is a Memory whose Remove fails while down is set.
type flakyRemover struct {
	*store.Memory
	down *atomic.Bool
}

func (f flakyRemover) Remove(ctx context.Context, name string) error {
	if f.down.Load() {
		return errors.New("location unreachable")
	}
	return f.Memory.Remove(ctx, name)
}

// TestDeleteWithALocationDown: a delete while one pool location is down
// removes the other copies and answers 0300016; once it is back, the same
// delete (signed anew) removes the last copy.
func TestDeleteWithALocationDown(t *testing.T) {
	var down atomic.Bool
	a, b := store.NewMemory(), store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: flakyRemover{b, &down}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *ccfs.Options) { o.Store = p })
	seed(t, p)
	del := req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`)}
	down.Store(true)
	if _, resp, _ := e.do(del); resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Fatalf("with 256 down: %+v", resp)
	}
	_, inA := a.Get(prompt53)
	_, inB := b.Get(prompt53)
	if inA || !inB {
		t.Fatalf("after the partial delete: at 0 %v, at 256 %v", inA, inB)
	}
	if !strings.Contains(e.logs.String(), "location 256: location unreachable") {
		t.Fatalf("the cause is not logged:\n%s", e.logs.String())
	}
	down.Store(false)
	if _, resp, _ := e.do(del); resp.ResultCode != "0" {
		t.Fatalf("the retry: %+v", resp)
	}
	if _, inB := b.Get(prompt53); inB {
		t.Fatal("the retry left the copy at 256")
	}
}

// TestRuleWithoutVDNWarns: a path rule with no %VDNNO% says of no file
// whose it is, so deleteFile and downloadFile refuse its files to every
// key without anyVdn; NewHandler says so once, naming the rule.
func TestRuleWithoutVDNWarns(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) {
		o.PathRule = "/3rdfile/prompts/"
		o.DownloadPathRule = "/voice/%VDNNO%/IVRrecordFile;/shared/recordings"
	})
	logs := e.logs.String()
	for _, want := range []string{`"option":"PathRule","rule":"/3rdfile/prompts/"`, `"option":"DownloadPathRule","rule":"/shared/recordings"`} {
		if !strings.Contains(logs, want) || strings.Count(logs, `"level":"WARN"`) != 2 {
			t.Errorf("no WARN with %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "/voice/") {
		t.Errorf("a rule with %%VDNNO%% warned of:\n%s", logs)
	}
	// Each WARN says what its own rule turns off: a download rule's files
	// are neither deleted nor counted against a quota.
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"option":"DownloadPathRule"`) &&
			(!strings.Contains(line, "downloadFile refuses its files to every key without anyVdn") || strings.Contains(line, "deleteFile") || strings.Contains(line, "quota")) {
			t.Errorf("the download rule's WARN does not say what it turns off:\n%s", line)
		}
	}
	if _, err := e.mem.Put(context.Background(), "3rdfile/prompts/a.wav", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/3rdfile/prompts/a.wav"}`)}); resp.ResultCode != ccfs.ErrVDNForbidden.Code() {
		t.Errorf("delete under a rule without a VDN: %+v", resp)
	}
	if logs := newEnv(t, nil).logs.String(); strings.Contains(logs, "WARN") {
		t.Errorf("the default rules warned:\n%s", logs)
	}
}

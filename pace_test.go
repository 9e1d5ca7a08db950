package ccfs_test

// The minimum rate (pace.go): a stalled body is dropped, and stalled
// downloads are cut off and free their slots.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/testkit/refclient"
	"github.com/ccfs-go/ccfs/store"
)

// Sixty-four downloads from four tenants whose clients stop reading (or
// read a byte a second) take every slot, at the default minimum rate: the
// kernel's buffers take megabytes of each file at once, but every write is
// held to the rate on its own, so each is cut off within seconds, and
// another tenant's upload gets in well within 15 s.
func TestStalledDownloadsFreeTheirSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the minimum rate to cut 64 downloads off")
	}
	keys := []auth.Key{{AccessKey: "other-tenant", SecretKey: "sk-5", VDNs: []int{5}}}
	mem := store.NewMemory()
	recording := bytes.Repeat([]byte("RIFF"), 4<<20) // 16 MiB: more than the buffers take
	for i := 1; i <= 4; i++ {
		keys = append(keys, auth.Key{AccessKey: fmt.Sprintf("tenant-%d", i), SecretKey: fmt.Sprintf("sk-%d", i), VDNs: []int{i}})
		mem.Put(context.Background(), fmt.Sprintf("voice/%d/IVRrecordFile/r.wav", i), bytes.NewReader(recording), -1)
	}
	creds, _ := auth.NewStatic(keys...)
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: mem, RatePerKey: rate.Inf, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	for i := range ccfs.DefaultMaxInFlight {
		k := keys[1+i%4]
		r := refclient.Request{Path: ccfs.DownloadPath, Headers: [][2]string{{"Host", u.Host}, {"Content-Type", "application/json"}},
			Body: fmt.Appendf(nil, `{"request":{"version":"2.0"},"msgBody":{"filePath":"/voice/%d/IVRrecordFile/r.wav"}}`, k.VDNs[0])}
		authz, _ := refclient.Sign(k.AccessKey, k.SecretKey, time.Now().Add(time.Duration(i)*time.Millisecond), r, refclient.Page)
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write(r.Wire(refclient.Page, authz)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // a byte a second
			go func() {
				var b [1]byte
				for {
					if _, err := conn.Read(b[:]); err != nil {
						return
					}
					time.Sleep(time.Second)
				}
			}()
		}
	}
	waitFor(t, "64 downloads in progress", func() bool { return h.InFlight() == ccfs.DefaultMaxInFlight })
	start := time.Now()
	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "other-tenant", SecretKey: "sk-5", Retries: -1}
	for {
		_, err := c.Upload(context.Background(), 5, validWAV)
		if err == nil {
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("another tenant still refused after %v: %v (in flight %d)", time.Since(start), err, h.InFlight())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("another tenant's upload got in after %v", time.Since(start).Round(100*time.Millisecond))
	waitUntil(t, 10*time.Second, "every stalled download cut off", func() bool { return h.InFlight() == 0 })
}

// TestStalledBodyIsDropped: a body that stops arriving is answered with
// 0300020 soon after its grace period, over a real connection (read
// deadlines) and through a ResponseWriter without deadlines (checked
// between reads), and nothing is stored.
func TestStalledBodyIsDropped(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.MinBodyRate, o.BodyRateGrace = 1<<20, 300*time.Millisecond })
	expectStallCutOff(t, e, "a stalled body")

	// Through ServeHTTP with a recorder, which cannot set deadlines: a
	// body that trickles below the rate is cut between reads.
	b := body(b64(validWAV))
	hr := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", bytes.NewReader(b))
	hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	hr.Header.Set("Content-Length", strconv.Itoa(len(b)))
	(&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).Sign(hr, b)
	hr.Body = io.NopCloser(&trickle{data: b, every: 50 * time.Millisecond})
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	if !strings.Contains(w.Body.String(), ccfs.ErrSlowBody.Code()) {
		t.Fatalf("a trickling body through a recorder: %s", w.Body.String())
	}
	if names := e.mem.Names(); len(names) != 0 {
		t.Fatalf("stored %v", names)
	}
}

// trickle hands out 16 bytes per read, waiting before each.
type trickle struct {
	data  []byte
	every time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	n := copy(p[:min(len(p), 16)], r.data)
	r.data = r.data[n:]
	return n, nil
}

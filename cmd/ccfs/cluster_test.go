package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store/s3store"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// TestTwoNodesShareBucketAndReplayCache starts two serve processes on one
// versitygw bucket and one redis-server, as two nodes behind a balancer:
// uploads through either land in the bucket with the right bytes, and a
// request accepted by node A and replayed to node B is refused.
func TestTwoNodesShareBucketAndReplayCache(t *testing.T) {
	cl := startCluster(t)
	gw, rd, key := cl.gw, cl.rd, cl.key
	nodes := []string{cl.node(t, "--root", "Y:").base, cl.node(t, "--root", "Y:").base}
	httpClient := insecureClient()
	bucket := gw.Store(t, s3store.Options{Prefix: "ccfs/"})
	ctx := context.Background()

	// Uploads through both nodes, concurrently, land whole in the bucket.
	const uploads = 8
	var wg sync.WaitGroup
	names := make([]string, uploads)
	errs := make([]error, uploads)
	for i := range uploads {
		wg.Go(func() {
			c := &ccfs.Client{BaseURL: nodes[i%2], AccessKey: key.AccessKey, SecretKey: key.SecretKey, HTTPClient: httpClient}
			res, err := c.Upload(ctx, 53, alaw(8000+i*100))
			if err == nil {
				names[i] = res.FileName
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, name := range names {
		if errs[i] != nil {
			t.Fatalf("upload %d through node %d: %v", i, i%2, errs[i])
		}
		f, err := bucket.Open(strings.TrimPrefix(name, "Y:/"))
		if err != nil {
			t.Fatalf("upload %d (%s) is not in the bucket: %v", i, name, err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, alaw(8000+i*100)) {
			t.Fatalf("upload %d (%s): the bucket holds different bytes", i, name)
		}
	}

	// One signed request, sent as a client behind the balancer sends it
	// (the balancer's Host), to node A and then, replayed, to node B.
	body, _ := json.Marshal(ccfs.UploadRequest{Request: ccfs.RequestInfo{Version: "2.0"},
		MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(alaw(4000))}})
	signed, _ := http.NewRequest("POST", nodes[0]+ccfs.UploadPath+"?vdnId=53", nil)
	signed.Host = "nslb.example:28443"
	signed.Header.Set("Content-Type", "application/json;charset=UTF-8")
	signed.ContentLength = int64(len(body))
	if err := (&auth.Signer{AccessKey: key.AccessKey, SecretKey: key.SecretKey}).Sign(signed, body); err != nil {
		t.Fatal(err)
	}
	send := func(base string) ccfs.Response {
		req, _ := http.NewRequest("POST", base+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(body))
		req.Host, req.Header = signed.Host, signed.Header.Clone()
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ccfs.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := send(nodes[0]); r.ResultCode != "0" {
		t.Fatalf("node A refused a fresh request: %+v", r)
	}
	if r := send(nodes[1]); r.ResultCode != ccfs.ErrReplay.Code() {
		t.Fatalf("node B answered a replay of node A's request with %+v; want %s", r, ccfs.ErrReplay.Code())
	}
	if r := send(nodes[0]); r.ResultCode != ccfs.ErrReplay.Code() {
		t.Fatalf("node A answered its own replay with %+v", r)
	}

	// Exactly the accepted uploads are in the bucket: nothing from the
	// refused replays, no temporary object, no abandoned multipart upload.
	list, err := gw.Client(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(gw.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Contents); n != uploads+1 {
		t.Errorf("%d objects in the bucket, want %d", n, uploads+1)
	}
	for _, o := range list.Contents {
		if !strings.HasPrefix(aws.ToString(o.Key), "ccfs/3rdfile/53/") {
			t.Errorf("unexpected object %s", aws.ToString(o.Key))
		}
	}

	// With Redis gone, both nodes fail closed with the documented code.
	rd.Stop()
	for i, base := range nodes {
		c := &ccfs.Client{BaseURL: base, AccessKey: key.AccessKey, SecretKey: key.SecretKey, HTTPClient: httpClient}
		_, err := c.Upload(ctx, 53, alaw(2000))
		if !errors.Is(err, ccfs.ErrReplayUnavailable) {
			t.Errorf("node %d with Redis down: %v, want %s", i, err, ccfs.ErrReplayUnavailable.Code())
		}
	}
}

// TestClusterFlagsRefuse: bad cluster flags stop serve at start with a
// message that says what is wrong, before it listens.
func TestClusterFlagsRefuse(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	dead := "127.0.0.1:1" // nothing listens on port 1
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pool", "0=" + t.TempDir(), "--store", t.TempDir()}, "do not go together"},
		{[]string{"--pool", "nodir"}, "want ID=LOCATION"},
		{[]string{"--pool", "0="}, "want ID=LOCATION"},
		{[]string{"--store", "s3://bucket/"}, "AWS_SECRET_ACCESS_KEY"},
		{[]string{"--redis", "mongodb://x"}, "--redis"},
		{[]string{"--redis", "redis://" + dead}, "does not answer"},
	} {
		var out, errs bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, c.args...), &out, &errs)
		cancel()
		if code == 0 || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want an error containing %q", c.args, code, errs.String(), c.want)
		}
		if strings.Contains(out.String(), "serving") {
			t.Errorf("%v: started serving", c.args)
		}
	}
}

// TestClusterFlagsS3 covers the s3:// checks against a real gateway: a
// missing bucket stops serve at start; a CTI pool of a directory and a
// bucket keeps a copy in each.
func TestClusterFlagsS3(t *testing.T) {
	gw := s3test.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", gw.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", gw.SecretKey)
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--store", "s3://no-such-bucket/", "--s3-endpoint", gw.Endpoint}, &out, &errs)
	if code == 0 || !strings.Contains(errs.String(), `bucket "no-such-bucket" is not reachable`) {
		t.Errorf("missing bucket: exit %d, %q", code, errs.String())
	}

	dir := t.TempDir()
	data := t.TempDir()
	b := startServe(t, "--data", data, "--root", "Y:", "--s3-endpoint", gw.Endpoint,
		"--pool", "0="+dir+",256=s3://"+gw.Bucket+"/pool/")
	ak, sk := b.devKey(t)
	c := &ccfs.Client{BaseURL: b.base, AccessKey: ak, SecretKey: sk, HTTPClient: insecureClient()}
	wav := alaw(12000)
	res, err := c.Upload(context.Background(), 1, wav)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.LocationID, ",") != "0,256" {
		t.Errorf("locationId %v, want [0 256]", res.LocationID)
	}
	name := strings.TrimPrefix(res.FileName, "Y:/")
	onDisk, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !bytes.Equal(onDisk, wav) {
		t.Errorf("location 0 (a directory): %v", err)
	}
	f, err := gw.Store(t, s3store.Options{Prefix: "pool/"}).Open(name)
	if err != nil {
		t.Fatalf("location 256 (a bucket): %v", err)
	}
	inBucket, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(inBucket, wav) {
		t.Error("location 256 (a bucket) holds different bytes")
	}
}

// Behind an S3-compatible server that refuses If-None-Match (as Alibaba
// OSS does), `ccfs serve` with its default flags stores a one-part and a
// multipart upload, serves them back and deletes them, and says once, at
// WARN, that it writes without overwrite protection: its probe at start
// found If-None-Match refused for s3store.DetectRefusals objects.
func TestServeWithoutConditionalWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and starts servers")
	}
	gw := s3test.Start(t)
	proxy := gw.RefusingIfNoneMatch(t)
	env := gatewayEnv(gw)
	n := startAdminNode(t, env, "--data", t.TempDir(), "--max-file-mb", "8",
		"--store", "s3://"+gw.Bucket+"/ccfs/", "--s3-endpoint", proxy.Endpoint)
	c := n.client(n.ak, n.sk)
	ctx := context.Background()
	for _, size := range []int{8000, 6 << 20} { // one PutObject; a multipart upload of two parts
		wav := alaw(size)
		res, err := c.Upload(ctx, 1, wav)
		if err != nil {
			t.Fatalf("%d bytes: upload: %v", size, err)
		}
		var back bytes.Buffer
		if _, err := c.Download(ctx, res.FileName, &back); err != nil || !bytes.Equal(back.Bytes(), wav) {
			t.Fatalf("%d bytes: download: %d bytes, %v", size, back.Len(), err)
		}
		if err := c.Delete(ctx, res.FileName, ""); err != nil {
			t.Fatalf("%d bytes: delete: %v", size, err)
		}
	}
	n.waitLog(t, "writing without overwrite protection")
	if proxy.Refused() != s3store.DetectRefusals || strings.Count(n.stderr.String(), "writing without overwrite protection") != 1 {
		t.Fatalf("%d refusals; the log:\n%s", proxy.Refused(), n.stderr)
	}
	// The mode in use, for a graph and for whoever reads /readyz.
	location := "s3://" + gw.Bucket + "/ccfs/"
	_, metrics := n.get(t, "/metrics")
	for mode, v := range map[string]string{"none": "1", "if-none-match": "0"} {
		if want := `ccfs_s3_overwrite_protection{location="` + location + `",mode="` + mode + `"} ` + v; !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, rep := n.readyz(t); !strings.HasPrefix(rep.Details["s3 overwrite protection "+location], "none (the server refused If-None-Match") {
		t.Errorf("/readyz does not say the protection is off: %+v", rep)
	}
	out, err := gw.Client(t).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(gw.Bucket)})
	if err != nil || len(out.Uploads) != 0 {
		t.Fatalf("multipart uploads left: %v %v", out, err)
	}
}

// TestTwoNodesShareQuota starts two serve processes with --quota on one
// versitygw bucket and one redis-server: uploads racing through both
// nodes stop exactly at the quota; a delete through one node makes room
// on the other; a node that starts later keeps the shared counts; when
// Redis loses them no upload gets past the quota, and the nodes count the
// store again; ccfs usage reports what the nodes count, shows a drift,
// and --reconcile corrects it.
func TestTwoNodesShareQuota(t *testing.T) {
	cl := startCluster(t)
	gw, rd, key, where, env := cl.gw, cl.rd, cl.key, cl.where, cl.env
	wav := alaw(8000)
	quotaFlag := "53=" + strconv.Itoa(3*len(wav))
	start := func() *node {
		return cl.node(t, "--quota", quotaFlag, "--quota-recount-every", "200ms")
	}
	nodes := []*node{start(), start()}
	ctx := context.Background()
	client := func(i int) *ccfs.Client {
		c := nodes[i%len(nodes)].client(key.AccessKey, key.SecretKey)
		c.Retries = -1
		return c
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var stored []string
	refused := 0
	for i := range 8 {
		wg.Go(func() {
			res, err := client(i).Upload(ctx, 53, wav)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored = append(stored, res.FileName)
			case errors.Is(err, ccfs.ErrQuota):
				refused++
			default:
				t.Errorf("upload %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(stored) != 3 || refused != 5 {
		t.Fatalf("8 uploads racing through two nodes: %d stored, %d refused for the quota; want 3 and 5", len(stored), refused)
	}
	if err := client(1).Delete(ctx, stored[0], ""); err != nil {
		t.Fatal(err)
	}
	if _, err := client(0).Upload(ctx, 53, wav); err != nil {
		t.Fatalf("after a delete through the other node: %v", err)
	}

	late := start()
	late.waitLog(t, "not counted again") // a node that started later kept the counts
	if _, err := late.client(key.AccessKey, key.SecretKey).Upload(ctx, 53, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("a node that started later, past the quota: %v", err)
	}

	// Redis loses the counts: no upload gets past the quota while they
	// are missing, and the nodes count the store again.
	rd.Client.FlushAll(ctx)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := client(0).Upload(ctx, 53, wav)
		if err == nil {
			t.Fatal("an upload past the quota was stored while the counts were lost")
		}
		if errors.Is(err, ccfs.ErrQuota) {
			break
		}
		if !errors.Is(err, ccfs.ErrStorage) || time.Now().After(deadline) {
			t.Fatalf("while the counts are lost: %v, want %s until they are counted again", err, ccfs.ErrStorage.Code())
		}
	}

	usage := func(args ...string) string {
		t.Helper()
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		code, out, errs := runCmd(t, append(append([]string{"usage", "--quota", quotaFlag}, where...), args...)...)
		if code != 0 {
			t.Fatalf("usage %v: %d %s", args, code, errs)
		}
		return out
	}
	row := regexp.MustCompile(`(?m)^\s*53\s+3\s+\d+\s+\d+\s+100\.0%\s+3\s+\d+\s*$`)
	if out := usage(); !row.MatchString(out) || !strings.Contains(out, "agree") {
		t.Fatalf("usage: the store and the nodes should agree on 3 files:\n%s", out)
	}
	// Drift: a file the nodes did not count (put straight in the bucket).
	bucket := gw.Store(t, s3store.Options{Prefix: "ccfs/"})
	extra := "3rdfile/53/thirdvoicebotfile/put-by-hand.wav"
	if _, err := bucket.Put(ctx, extra, bytes.NewReader(wav), int64(len(wav))); err != nil {
		t.Fatal(err)
	}
	if err := client(1).Delete(ctx, stored[1], ""); err != nil {
		t.Fatal(err)
	}
	if out := usage(); !strings.Contains(out, "differs") || !strings.Contains(out, "differ from it for 1 VDNs") {
		t.Fatalf("usage after a drift:\n%s", out)
	}
	if out := usage("--reconcile"); !strings.Contains(out, "reconciled") {
		t.Fatalf("usage --reconcile:\n%s", out)
	}
	if out := usage(); !row.MatchString(out) || !strings.Contains(out, "agree") {
		t.Fatalf("usage after --reconcile:\n%s", out)
	}
	if _, err := client(1).Upload(ctx, 53, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("after a reconcile counted the file put by hand: %v", err)
	}
}

// TestTwoNodesShareIdempotencyKeys: two nodes on one bucket and one Redis
// share their Idempotency-Keys: an upload stored through node A and
// retried, signed anew, through node B under the same key answers A's
// file name, marked replayed, and stores nothing more; the key with
// another file is refused; the VDN holds one file.
func TestTwoNodesShareIdempotencyKeys(t *testing.T) {
	cl := startCluster(t)
	a, b := cl.node(t, "--rate", "0", "--list-files"), cl.node(t, "--rate", "0", "--list-files")
	send := func(n *node, key string, wav []byte) (ccfs.Response, http.Header) {
		t.Helper()
		body, _ := json.Marshal(ccfs.UploadRequest{Request: ccfs.RequestInfo{Version: ccfs.Version},
			MsgBody: ccfs.UploadBody{Data: base64.StdEncoding.EncodeToString(wav)}})
		req, _ := http.NewRequest(http.MethodPost, n.base+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		req.Header.Set("Idempotency-Key", key)
		s := auth.Signer{AccessKey: cl.key.AccessKey, SecretKey: cl.key.SecretKey,
			SignedHeaders: []string{"content-length", "content-type", "host", "idempotency-key"}}
		if err := s.Sign(req, body); err != nil {
			t.Fatal(err)
		}
		resp, err := n.insecureHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ccfs.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r, resp.Header
	}
	wav := alaw(4000)
	first, h1 := send(a, "order-7781-prompt-3", wav)
	if first.ResultCode != "0" || h1.Get("Idempotency-Replayed") != "" {
		t.Fatalf("first upload: %+v %v", first, h1)
	}
	again, h2 := send(b, "order-7781-prompt-3", wav)
	if again.ResultCode != "0" || again.ResultData == nil || again.ResultData.FileName != first.ResultData.FileName || h2.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("the retry through the other node: %+v %v, want %s replayed", again, h2, first.ResultData.FileName)
	}
	other, _ := send(b, "order-7781-prompt-3", alaw(4001))
	if other.ResultCode != ccfs.ErrIdempotencyMismatch.Code() {
		t.Fatalf("the key with another file: %+v", other)
	}
	var names []string
	for f, err := range a.client(cl.key.AccessKey, cl.key.SecretKey).List(context.Background(), 53, ccfs.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.FileName)
	}
	if len(names) != 1 || names[0] != first.ResultData.FileName {
		t.Fatalf("VDN 53 holds %v, want only %s", names, first.ResultData.FileName)
	}
}

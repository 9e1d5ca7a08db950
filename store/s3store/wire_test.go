package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
)

// recorder is a minimal S3 endpoint that records what the SDK sends.
type recorder struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	status int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r)
	rec.bodies = append(rec.bodies, body)
	status := rec.status
	rec.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
		return
	}
	w.Header().Set("ETag", `"abc"`)
}

func newRecorded(t *testing.T, opts s3store.Options) (*s3store.Store, *recorder, string) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	client, err := s3store.NewClient(s3store.ClientConfig{Endpoint: srv.URL, AccessKey: "AK", SecretKey: "SK"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Bucket = "prompts"
	s, err := s3store.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, rec, strings.TrimPrefix(srv.URL, "http://")
}

// TestWire: path-style addressing, If-None-Match on the PutObject, no
// checksum headers, and the bytes unchanged.
func TestWire(t *testing.T) {
	s, rec, host := newRecorded(t, s3store.Options{Prefix: "ccfs/"})
	data := bytes.Repeat([]byte("RIFF"), 1000)
	if _, err := s.Put(context.Background(), "3rdfile/53/a.wav", bytes.NewReader(data), -1); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 {
		t.Fatalf("%d requests, want one PutObject", len(rec.reqs))
	}
	r := rec.reqs[0]
	if r.Method != http.MethodPut || r.URL.Path != "/prompts/ccfs/3rdfile/53/a.wav" || r.Host != host {
		t.Errorf("sent %s %s to host %s; want path-style PUT /prompts/ccfs/3rdfile/53/a.wav to %s", r.Method, r.URL.Path, r.Host, host)
	}
	if got := r.Header.Get("If-None-Match"); got != "*" {
		t.Errorf("If-None-Match = %q, want *", got)
	}
	if got := r.Header.Get("Content-Type"); got != "audio/wav" {
		t.Errorf("Content-Type = %q", got)
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-checksum") || l == "x-amz-sdk-checksum-algorithm" || l == "x-amz-trailer" {
			t.Errorf("sent checksum header %s: %q", name, r.Header.Get(name))
		}
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AK/") {
		t.Errorf("not SigV4-signed with the access key: %q", r.Header.Get("Authorization"))
	}
	if !bytes.Equal(rec.bodies[0], data) {
		t.Error("the body changed on the way")
	}
}

// TestPreconditionFailedIsErrExist: a 412 answer is store.ErrExist.
func TestPreconditionFailedIsErrExist(t *testing.T) {
	s, rec, _ := newRecorded(t, s3store.Options{})
	rec.status = http.StatusPreconditionFailed
	_, err := s.Put(context.Background(), "a.wav", strings.NewReader("x"), 1)
	if !errors.Is(err, store.ErrExist) {
		t.Fatalf("412: %v, want store.ErrExist", err)
	}
}

func TestNewValidates(t *testing.T) {
	client, _ := s3store.NewClient(s3store.ClientConfig{AccessKey: "a", SecretKey: "b"})
	for _, o := range []s3store.Options{
		{},
		{Bucket: "b", Prefix: "no-slash"},
		{Bucket: "b", Prefix: "../x/"},
		{Bucket: "b", Prefix: "/abs/"},
		{Bucket: "b", PartSize: 1 << 20},
		{Bucket: "b", AbortTimeout: -1},
	} {
		if _, err := s3store.New(client, o); err == nil {
			t.Errorf("New accepted %+v", o)
		}
	}
	if _, err := s3store.New(nil, s3store.Options{Bucket: "b"}); err == nil {
		t.Error("New accepted a nil API")
	}
	if _, err := s3store.NewClient(s3store.ClientConfig{AccessKey: "a"}); err == nil {
		t.Error("NewClient accepted an empty secret key")
	}
}

// TestSizeMismatch: a declared size that the stream does not match fails.
func TestSizeMismatch(t *testing.T) {
	s, rec, _ := newRecorded(t, s3store.Options{})
	if _, err := s.Put(context.Background(), "a.wav", strings.NewReader("abc"), 4); err == nil {
		t.Fatal("Put accepted 3 bytes declared as 4")
	}
	if len(rec.reqs) != 0 {
		t.Fatalf("sent %d requests for a short stream", len(rec.reqs))
	}
}

// TestChunksUnderOddReads: one-byte reads, data returned with io.EOF and
// a part size that is not a multiple of the chunk size all keep the bytes.
func TestChunksUnderOddReads(t *testing.T) {
	var got bytes.Buffer
	s, err := s3store.New(capture{&got}, s3store.Options{Bucket: "b", PartSize: s3store.MinPartSize + 1000})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2*s3store.MinPartSize+5000)
	for i := range data {
		data[i] = byte(i * 13 >> 2)
	}
	for _, c := range []struct {
		r    io.Reader
		want []byte
	}{
		{iotest.OneByteReader(bytes.NewReader(data[:200_000])), data[:200_000]},
		{iotest.DataErrReader(bytes.NewReader(data)), data},
		{iotest.HalfReader(bytes.NewReader(data)), data},
	} {
		got.Reset()
		if _, err := s.Put(context.Background(), "a.wav", c.r, -1); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), c.want) {
			t.Fatalf("%d bytes arrived, want %d, or they differ", got.Len(), len(c.want))
		}
	}
}

// capture writes every body it is sent to w, reading each twice (as the
// SDK does to hash a payload) to check the readers seek.
type capture struct{ w io.Writer }

func (c capture) take(r io.Reader) {
	rs := r.(io.ReadSeeker)
	io.Copy(io.Discard, rs)
	rs.Seek(0, io.SeekStart)
	io.Copy(c.w, rs)
}

func (c capture) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.take(in.Body)
	return &s3.PutObjectOutput{}, nil
}
func (c capture) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	c.take(in.Body)
	return &s3.UploadPartOutput{}, nil
}
func (capture) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return &s3.CreateMultipartUploadOutput{UploadId: new(string)}, nil
}
func (capture) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return &s3.CompleteMultipartUploadOutput{}, nil
}
func (capture) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, nil
}
func (capture) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return nil, errors.New("unused")
}
func (capture) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return nil, errors.New("unused")
}
func (capture) DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return nil, errors.New("unused")
}

// BenchmarkPut measures the store's own cost per upload with an API that
// discards the bytes. B/op is the figure to watch, since S3 makes a part
// wait in memory.
func BenchmarkPut(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"100KB", 100_000}, {"12MiB", 12 << 20}} {
		size := c.size
		b.Run(c.name, func(b *testing.B) {
			s, _ := s3store.New(capture{io.Discard}, s3store.Options{Bucket: "b"})
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Put(context.Background(), "a.wav", bytes.NewReader(data), -1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
func (capture) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return nil, errors.New("unused")
}
func (capture) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return nil, errors.New("unused")
}

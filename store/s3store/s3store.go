// Package s3store keeps ccfs uploads in a bucket of an S3-compatible
// object store. Which servers were tested, and what their vendors
// document, is in docs/storage-compatibility.md in the ccfs repository.
// It is a nested module, so the root ccfs module does not depend on the
// AWS SDK.
//
// Put is all or nothing and never overwrites. A file that fits in one part
// (PartSize, 5 MiB by default) is sent with one PutObject; a longer one
// streams as a multipart upload, one part at a time, and the upload is
// aborted on any error so that no object and no orphaned part remains.
// Both carry If-None-Match: *, so an existing key is never replaced, where
// the server supports conditional writes. Not every S3-compatible server
// does, and some refuse the header rather than ignore it: Options.Overwrite
// says what to do. By default (OverwriteDetect) a Store that is refused
// writes on without the condition from then on, and says so once; a
// vendor's own switch can be sent instead (OverwriteHeader). Without a
// condition an existing key can be replaced: the names the handler makes
// are random and never written twice, so that can only matter for keys
// other writers put in the same prefix. docs/storage-compatibility.md in
// the ccfs repository says which servers were tested.
//
// S3 needs each part's length before the part is sent, and the handler
// learns a file's length only at its end, so Put holds at most one part in
// memory, in pooled 64 KiB chunks: a 100 KB prompt holds two of them.
package s3store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ccfs-go/ccfs/store"
)

// API is the part of *s3.Client that a Store uses. Tests, and wrappers
// that add metrics or tracing, can provide their own.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
}

var _ API = (*s3.Client)(nil)

// Part sizes S3 allows: every part but the last is at least MinPartSize,
// and none is over MaxPartSize.
const (
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
)

// Options configures a Store.
type Options struct {
	// Bucket holds the files. Required; it must exist.
	Bucket string
	// Prefix is put before every name to make the object key, for example
	// "ccfs/". Empty, or a clean relative path ending in "/".
	Prefix string
	// PartSize is the size of a multipart upload's parts and the largest
	// file sent with a single PutObject. Zero means MinPartSize.
	PartSize int
	// AbortTimeout bounds the clean-up after a failed multipart upload,
	// which runs even when Put's context has ended. Zero means 30 seconds.
	AbortTimeout time.Duration
	// Overwrite is how Put keeps from replacing an existing object.
	// Default: OverwriteDetect.
	Overwrite Overwrite
	// ForbidOverwriteHeader names the header OverwriteHeader sends, such
	// as "x-oss-forbid-overwrite".
	ForbidOverwriteHeader string
	// Reprobe is how often, once OverwriteDetect has switched the
	// protection off, the Store probes the server again (on the next Put
	// after it, in the background) to switch it back on. Default:
	// DefaultReprobe (10 minutes).
	Reprobe time.Duration
	// Logger receives OverwriteDetect's warning when it turns the
	// protection off, and its notes. Default: slog.Default().
	Logger *slog.Logger
}

// Store is a store.Store, store.Opener, store.Remover and store.Lister on
// one bucket: it serves uploadFile, downloadFile and deleteFile.
type Store struct {
	api          API
	bucket       string
	prefix       string
	partSize     int
	abortTimeout time.Duration
	protect      protection
	removing     store.NameLocks // a Remove's HEAD and DELETE against another's of the name
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Opener  = (*Store)(nil)
	_ store.Remover = (*Store)(nil)
	_ store.Pinger  = (*Store)(nil)
	_ store.Lister  = (*Store)(nil)
	_ store.Stater  = (*Store)(nil)
)

// New returns a Store that keeps files in opts.Bucket through api.
func New(api API, opts Options) (*Store, error) {
	switch {
	case api == nil:
		return nil, errors.New("s3store: no API client")
	case opts.Bucket == "":
		return nil, errors.New("s3store: no bucket")
	case opts.Prefix != "" && (!strings.HasSuffix(opts.Prefix, "/") || store.CheckName(strings.TrimSuffix(opts.Prefix, "/")) != nil):
		return nil, fmt.Errorf("s3store: prefix %q is not a clean relative path ending in /", opts.Prefix)
	case opts.PartSize != 0 && (opts.PartSize < MinPartSize || opts.PartSize > MaxPartSize):
		return nil, fmt.Errorf("s3store: part size %d is outside [%d, %d]", opts.PartSize, MinPartSize, MaxPartSize)
	case opts.AbortTimeout < 0:
		return nil, errors.New("s3store: negative abort timeout")
	case opts.Overwrite < OverwriteDetect || opts.Overwrite > OverwriteUnprotected:
		return nil, fmt.Errorf("s3store: unknown overwrite protection %d", opts.Overwrite)
	case opts.Overwrite == OverwriteHeader && !validHeader(opts.ForbidOverwriteHeader):
		return nil, fmt.Errorf("s3store: OverwriteHeader needs ForbidOverwriteHeader, a header name (not %q)", opts.ForbidOverwriteHeader)
	}
	s := &Store{api: api, bucket: opts.Bucket, prefix: opts.Prefix, partSize: opts.PartSize, abortTimeout: opts.AbortTimeout}
	s.protect.mode.Store(int32(opts.Overwrite))
	s.protect.header, s.protect.logger = opts.ForbidOverwriteHeader, opts.Logger
	if s.protect.logger == nil {
		s.protect.logger = slog.Default()
	}
	s.protect.where = "s3://" + opts.Bucket + "/" + opts.Prefix
	s.protect.reprobe = cmp.Or(opts.Reprobe, DefaultReprobe)
	if s.partSize == 0 {
		s.partSize = MinPartSize
	}
	if s.abortTimeout == 0 {
		s.abortTimeout = 30 * time.Second
	}
	return s, nil
}

// ClientConfig says how to reach an S3-compatible server.
type ClientConfig struct {
	// Endpoint is the server's base URL, such as "http://127.0.0.1:7070".
	// Empty means AWS S3's endpoint for Region.
	Endpoint string
	// Region defaults to "us-east-1", which most S3-compatible servers
	// accept.
	Region string
	// AccessKey and SecretKey sign the requests (SigV4).
	AccessKey, SecretKey string
	// HTTPClient sends the requests; nil means the SDK's default.
	HTTPClient *http.Client
}

// NewClient returns an *s3.Client set up for S3-compatible servers:
// path-style addressing (no bucket in the host name), and checksums only
// where an operation requires them, since some servers refuse the SDK's
// default checksum headers.
func NewClient(c ClientConfig) (*s3.Client, error) {
	if c.AccessKey == "" || c.SecretKey == "" {
		return nil, errors.New("s3store: an access key and a secret key are required")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey, Source: "s3store.ClientConfig"}
	o := s3.Options{
		Region:                     c.Region,
		Credentials:                aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		o.BaseEndpoint = aws.String(c.Endpoint)
	}
	if c.HTTPClient != nil {
		o.HTTPClient = c.HTTPClient
	}
	return s3.New(o), nil
}

func (s *Store) key(name string) string { return s.prefix + name }

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (_ []string, err error) {
	if err := store.CheckName(name); err != nil {
		return nil, err
	}
	s.probeLater()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var part chunks
	defer part.release()
	eof, err := part.fill(r, s.partSize)
	if err != nil {
		return nil, fmt.Errorf("s3store: reading %s: %w", name, err)
	}
	if eof {
		if size >= 0 && int64(part.n) != size {
			return nil, fmt.Errorf("s3store: %s: read %d bytes, expected %d", name, part.n, size)
		}
		put := func(ifNoneMatch *string, header []func(*s3.Options)) error {
			_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
				Bucket:        &s.bucket,
				Key:           aws.String(s.key(name)),
				Body:          part.reader(),
				ContentLength: aws.Int64(int64(part.n)),
				ContentType:   aws.String(contentType(name)),
				IfNoneMatch:   ifNoneMatch,
			}, header...)
			return err
		}
		ifNoneMatch, header := s.protect.condition()
		err := put(ifNoneMatch, header)
		switch {
		case err != nil && ifNoneMatch != nil && s.protect.refused(name, err):
			err = put(nil, header) // refused whole: nothing was stored; again, without the condition
		case err == nil && ifNoneMatch != nil:
			s.protect.honoured()
		}
		return nil, s.wrap("putting", name, err)
	}
	return nil, s.multipart(ctx, name, r, size, &part)
}

// multipart streams the rest of r as a multipart upload whose first part
// is already in part. Any failure aborts the upload.
func (s *Store) multipart(ctx context.Context, name string, r io.Reader, size int64, part *chunks) (err error) {
	key := aws.String(s.key(name))
	up, err := s.api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: key, ContentType: aws.String(contentType(name)),
	})
	if err != nil {
		return s.wrap("starting a multipart upload of", name, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// The clean-up must run even when ctx is what ended the upload.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.abortTimeout)
		defer cancel()
		if _, aerr := s.api.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: key, UploadId: up.UploadId}); aerr != nil {
			err = errors.Join(err, s.wrap("aborting the multipart upload of", name, aerr))
		}
	}()
	var done []types.CompletedPart
	var total int64
	for eof := false; ; {
		num := aws.Int32(int32(len(done) + 1))
		out, err := s.api.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.bucket, Key: key, UploadId: up.UploadId, PartNumber: num,
			Body: part.reader(), ContentLength: aws.Int64(int64(part.n)),
		})
		if err != nil {
			return s.wrap(fmt.Sprintf("uploading part %d of", *num), name, err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: num})
		total += int64(part.n)
		if eof {
			break
		}
		if eof, err = part.fill(r, s.partSize); err != nil {
			return fmt.Errorf("s3store: reading %s: %w", name, err)
		}
		if eof && part.n == 0 {
			break
		}
	}
	if size >= 0 && total != size {
		return fmt.Errorf("s3store: %s: read %d bytes, expected %d", name, total, size)
	}
	// A context that ended while the last part went up must still fail
	// the upload, not complete it.
	if err := ctx.Err(); err != nil {
		return err
	}
	complete := func(ifNoneMatch *string, header []func(*s3.Options)) error {
		_, err := s.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &s.bucket, Key: key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
			IfNoneMatch:     ifNoneMatch,
		}, header...)
		return err
	}
	ifNoneMatch, header := s.protect.condition()
	err = complete(ifNoneMatch, header)
	switch {
	case err != nil && ifNoneMatch != nil && s.protect.refused(name, err):
		err = complete(nil, header) // the upload is still open, its parts kept: complete it without the condition
	case err == nil && ifNoneMatch != nil:
		s.protect.honoured()
	}
	return s.wrap("completing the multipart upload of", name, err)
}

// wrap turns an SDK error into one that says what failed, wrapping
// store.ErrExist for a failed If-None-Match and fs.ErrNotExist for 404.
func (s *Store) wrap(doing, name string, err error) error {
	if err == nil {
		return nil
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		var api smithy.APIError
		switch {
		case re.HTTPStatusCode() == http.StatusPreconditionFailed,
			re.HTTPStatusCode() == http.StatusConflict && errors.As(err, &api) && api.ErrorCode() == "FileAlreadyExists": // OSS's x-oss-forbid-overwrite
			return fmt.Errorf("s3store: %s %q: %w", doing, name, store.ErrExist)
		case re.HTTPStatusCode() == http.StatusNotFound:
			return fmt.Errorf("s3store: %s %q: %w", doing, name, fs.ErrNotExist)
		}
	}
	return fmt.Errorf("s3store: %s %q: %w", doing, name, err)
}

// contentType is the stored object's Content-Type.
func contentType(name string) string {
	if strings.EqualFold(path.Ext(name), ".wav") {
		return "audio/wav"
	}
	return "application/octet-stream"
}

// Ping implements store.Pinger: the bucket answers a HeadBucket now.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3store: bucket %q: %w", s.bucket, err)
	}
	return nil
}

// Open implements store.Opener: it returns the object's body as an
// fs.File, which streams from the server as it is read. A name that is no
// object but a prefix of some ("voice/53/IVRrecordFile" when
// "voice/53/IVRrecordFile/a.wav" exists) opens as a directory, an
// fs.ReadDirFile listing the objects and sub-prefixes directly under it,
// a page of ListObjectsV2 at a time.
func (s *Store) Open(name string) (fs.File, error) {
	if err := store.CheckName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	ctx := context.Background()
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(name))})
	if err == nil {
		info := fileInfo{name: path.Base(name), size: aws.ToInt64(out.ContentLength), mod: aws.ToTime(out.LastModified)}
		return &file{ReadCloser: out.Body, info: info}, nil
	}
	err = s.wrap("opening", name, err)
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	d := &dir{s: s, name: name}
	if err := d.fetch(ctx); err != nil {
		return nil, err
	}
	if len(d.page) == 0 {
		return nil, err // no object under the prefix either
	}
	return d, nil
}

// Stat implements store.Stater with one HeadObject. A prefix (a
// directory) has no object of its own, so it is fs.ErrNotExist, like a
// missing name.
func (s *Store) Stat(ctx context.Context, name string) (store.FileInfo, error) {
	if err := store.CheckName(name); err != nil {
		return store.FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	out, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(name))})
	if err != nil {
		return store.FileInfo{}, s.wrap("stating", name, err)
	}
	return store.FileInfo{Name: name, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// dir is a prefix opened as a directory.
type dir struct {
	s     *Store
	name  string
	page  []fs.DirEntry // listed, not yet returned
	token *string       // the next page's continuation token
	done  bool          // no page after this one
}

// fetch lists the next page under the prefix.
func (d *dir) fetch(ctx context.Context) error {
	prefix := d.s.key(d.name) + "/"
	out, err := d.s.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &d.s.bucket, Prefix: &prefix, Delimiter: aws.String("/"), ContinuationToken: d.token,
	})
	if err != nil {
		return d.s.wrap("listing", d.name, err)
	}
	for _, p := range out.CommonPrefixes {
		if n := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), prefix), "/"); n != "" {
			d.page = append(d.page, fs.FileInfoToDirEntry(fileInfo{name: n, dir: true}))
		}
	}
	for _, o := range out.Contents {
		if n := strings.TrimPrefix(aws.ToString(o.Key), prefix); n != "" && !strings.Contains(n, "/") {
			d.page = append(d.page, fs.FileInfoToDirEntry(fileInfo{name: n, size: aws.ToInt64(o.Size), mod: aws.ToTime(o.LastModified)}))
		}
	}
	d.token = out.NextContinuationToken
	d.done = !aws.ToBool(out.IsTruncated) || d.token == nil
	return nil
}

// ReadDir implements fs.ReadDirFile.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for n <= 0 || len(out) < n {
		if len(d.page) == 0 {
			if d.done {
				break
			}
			if err := d.fetch(context.Background()); err != nil {
				return out, err
			}
			continue
		}
		k := len(d.page)
		if n > 0 {
			k = min(k, n-len(out))
		}
		out = append(out, d.page[:k]...)
		d.page = d.page[k:]
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

func (d *dir) Stat() (fs.FileInfo, error) { return fileInfo{name: path.Base(d.name), dir: true}, nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *dir) Close() error { return nil }

// List implements store.Lister: every object under dir's prefix, a page
// of ListObjectsV2 (up to 1 000 keys) at a time. A multipart upload in
// progress is not an object yet, so it is not listed. Keys that are not
// store names (a directory marker ending in "/", or a name Put would
// refuse, which another writer may have made) are skipped.
func (s *Store) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	prefix := s.prefix
	if dir != "" {
		if err := store.CheckName(dir); err != nil {
			return err
		}
		prefix = s.key(dir) + "/"
	}
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix}
	for {
		out, err := s.api.ListObjectsV2(ctx, in)
		if err != nil {
			return s.wrap("listing", dir, err)
		}
		for _, o := range out.Contents {
			name, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || store.CheckName(name) != nil {
				continue
			}
			if err := fn(store.FileInfo{Name: name, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// Remove implements store.Remover. DeleteObject succeeds for a missing
// key, so Remove asks first in order to report fs.ErrNotExist.
func (s *Store) Remove(ctx context.Context, name string) error {
	if err := store.CheckName(name); err != nil {
		return err
	}
	key := aws.String(s.key(name))
	// S3 answers a DELETE of a missing key as it does one that removed
	// it: look first, and let no other Remove of the name in this process
	// between the look and the DELETE.
	defer s.removing.Lock(name)()
	if _, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: key}); err != nil {
		return s.wrap("removing", name, err)
	}
	_, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: key})
	return s.wrap("removing", name, err)
}

type file struct {
	io.ReadCloser
	info fileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

type fileInfo struct {
	name string
	size int64
	mod  time.Time
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i fileInfo) ModTime() time.Time { return i.mod }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }

package s3store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ccfs-go/ccfs/store"
)

// Overwrite says how a Store keeps a Put from replacing an object that
// already exists under its key.
type Overwrite int

const (
	// OverwriteDetect, the default, sends If-None-Match: * until the
	// server refuses it as not implemented (as Alibaba OSS does: 400
	// NotImplemented); from then on the Store sends no condition
	// (OverwriteUnprotected), and says so once, at WARN. The refused
	// request stored nothing and is sent again without the header.
	OverwriteDetect Overwrite = iota
	// OverwriteIfNoneMatch always sends If-None-Match: * on PutObject and
	// CompleteMultipartUpload: a server that refuses it stores nothing.
	OverwriteIfNoneMatch
	// OverwriteHeader sends the header Options.ForbidOverwriteHeader with
	// the value "true" instead, for servers with a switch of their own:
	// x-oss-forbid-overwrite (Alibaba OSS).
	OverwriteHeader
	// OverwriteUnprotected sends no condition: an object under the same
	// key is replaced. The handler's names are random and it never
	// writes one twice, so its own files are safe; what is lost is the
	// guarantee for keys that other writers put under the same prefix.
	OverwriteUnprotected
)

// String names the protection, as the start-up log and readiness report
// it.
func (o Overwrite) String() string {
	switch o {
	case OverwriteDetect:
		return "If-None-Match (falls back to none if the server refuses it)"
	case OverwriteIfNoneMatch:
		return "If-None-Match"
	case OverwriteHeader:
		return "a vendor header"
	case OverwriteUnprotected:
		return "none"
	}
	return fmt.Sprintf("Overwrite(%d)", int(o))
}

// protection is a Store's overwrite protection, which OverwriteDetect
// turns into OverwriteUnprotected once.
type protection struct {
	mode   atomic.Int32
	header string
	logger *slog.Logger
	where  string
}

// Protection says which overwrite protection the Store uses now: after a
// refusal, OverwriteDetect becomes OverwriteUnprotected.
func (s *Store) Protection() string {
	o := Overwrite(s.protect.mode.Load())
	if o == OverwriteHeader {
		return "the header " + s.protect.header + ": true"
	}
	return o.String()
}

// condition returns what a conditional write carries now: If-None-Match's
// value (nil for none) and the options that add a vendor header.
func (p *protection) condition() (*string, []func(*s3.Options)) {
	switch Overwrite(p.mode.Load()) {
	case OverwriteDetect, OverwriteIfNoneMatch:
		star := "*"
		return &star, nil
	case OverwriteHeader:
		h := p.header
		return nil, []func(*s3.Options){func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(h, "true"))
		}}
	}
	return nil, nil
}

// refused reports whether err is the server refusing If-None-Match as
// not implemented, under OverwriteDetect; then it turns the protection
// off, logging it once, and the caller sends the request again.
func (p *protection) refused(err error) bool {
	var api smithy.APIError
	if Overwrite(p.mode.Load()) != OverwriteDetect || !errors.As(err, &api) || api.ErrorCode() != "NotImplemented" {
		return false
	}
	p.unprotect("refuses If-None-Match as not implemented")
	return true
}

// unprotect turns OverwriteDetect off, saying why once at WARN.
func (p *protection) unprotect(why string) {
	if p.mode.CompareAndSwap(int32(OverwriteDetect), int32(OverwriteUnprotected)) {
		p.logger.Warn("s3store: the server "+why+"; writing without overwrite protection from now on (the handler's names are random and never written twice; objects other writers put under the prefix are no longer protected)",
			"store", p.where)
	}
}

// validHeader reports whether h can be a header name.
func validHeader(h string) bool {
	return h != "" && !strings.ContainsFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	})
}

// Probe finds out what the server does with If-None-Match, by writing a
// small object under the prefix twice and removing it: it returns
// "honoured" (the second write was refused as existing), "refused" (the
// header is not implemented) or "ignored" (the second write replaced the
// first). Under OverwriteDetect a Store that is refused or ignored turns
// its protection off, saying so once at WARN; other modes keep theirs.
// `ccfs serve` probes each S3 location at start.
func (s *Store) Probe(ctx context.Context) (string, error) {
	key := s.key(".ccfs-probe/" + strings.ToLower(rand.Text()))
	defer s.api.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	star := "*"
	for i := range 2 {
		_, err := s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: strings.NewReader("probe"),
			ContentLength: aws.Int64(5), IfNoneMatch: &star})
		var api smithy.APIError
		switch {
		case err == nil && i == 1:
			s.protect.unprotect("ignores If-None-Match: a second write with it replaced the first")
			return "ignored", nil
		case err == nil:
		case errors.As(err, &api) && api.ErrorCode() == "NotImplemented":
			s.protect.unprotect("refuses If-None-Match as not implemented")
			return "refused", nil
		case i == 1 && errors.Is(s.wrap("probing", key, err), store.ErrExist):
			return "honoured", nil
		default:
			return "", s.wrap("probing with", key, err)
		}
	}
	return "", errors.New("s3store: unreachable")
}

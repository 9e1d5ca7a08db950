package s3store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	// OverwriteDetect, the default, sends If-None-Match: *. A write the
	// server refuses for it as not implemented (as Alibaba OSS does: 400
	// NotImplemented) stored nothing, and is sent again without it. Only
	// after DetectRefusals such refusals in a row, of different writes,
	// does the Store take the server for one without conditional writes
	// and send none (saying so at WARN): one answer from a proxy or a
	// gateway mid-upgrade does not switch the protection off. While it is
	// off, the Store probes the server again every Options.Reprobe and
	// turns it back on once the server honours the condition.
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

// DetectRefusals is how many writes in a row, of different objects, a
// server must refuse If-None-Match for before OverwriteDetect takes it
// for a server without conditional writes.
const DetectRefusals = 3

// DefaultReprobe is how often a Store whose detection switched the
// protection off probes the server again.
const DefaultReprobe = 10 * time.Minute

// protection is a Store's overwrite protection. Under OverwriteDetect
// its mode becomes OverwriteUnprotected on evidence (DetectRefusals
// refusals in a row), and OverwriteDetect again when a probe finds the
// condition honoured; detected marks a mode the detection chose.
type protection struct {
	mode     atomic.Int32
	detected atomic.Bool // the mode is OverwriteUnprotected because detection found it so
	header   string
	logger   *slog.Logger
	where    string
	reprobe  time.Duration

	mu        sync.Mutex
	refusals  int    // refused writes in a row
	lastKey   string // the object of the last refused write
	lastProbe time.Time
	probing   bool
}

// Protection says which overwrite protection the Store uses now:
// OverwriteDetect becomes OverwriteUnprotected on evidence, and back.
func (s *Store) Protection() string {
	o := Overwrite(s.protect.mode.Load())
	switch {
	case o == OverwriteHeader:
		return "the header " + s.protect.header + ": true"
	case o == OverwriteUnprotected && s.protect.detected.Load():
		return "none (the server refused If-None-Match; probing again every " + s.protect.reprobe.String() + ")"
	}
	return o.String()
}

// ProtectionMode names the protection in use in one word, for a metric's
// label: "if-none-match", "header" or "none".
func (s *Store) ProtectionMode() string {
	switch Overwrite(s.protect.mode.Load()) {
	case OverwriteDetect, OverwriteIfNoneMatch:
		return "if-none-match"
	case OverwriteHeader:
		return "header"
	}
	return "none"
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

// refused reports whether err, for a conditional write of key, is the
// server refusing If-None-Match as not implemented, under
// OverwriteDetect: the caller then sends that write again without it.
// The DetectRefusals-th refusal in a row, of another key than the last,
// turns the protection off.
func (p *protection) refused(key string, err error) bool {
	var api smithy.APIError
	if Overwrite(p.mode.Load()) != OverwriteDetect || !errors.As(err, &api) || api.ErrorCode() != "NotImplemented" {
		return false
	}
	p.mu.Lock()
	if key != p.lastKey {
		p.refusals++
		p.lastKey = key
	}
	inARow := p.refusals
	enough := inARow >= DetectRefusals
	p.mu.Unlock()
	if enough {
		p.unprotect(fmt.Sprintf("refused If-None-Match as not implemented for %d writes in a row", DetectRefusals))
	} else {
		p.logger.Info("s3store: the server refused If-None-Match as not implemented; the protection stays until it does so for several writes in a row", "store", p.where, "inARow", inARow, "of", DetectRefusals)
	}
	return true
}

// honoured records a conditional write the server took: the refusals in
// a row start again from none.
func (p *protection) honoured() {
	if Overwrite(p.mode.Load()) != OverwriteDetect {
		return
	}
	p.mu.Lock()
	p.refusals, p.lastKey = 0, ""
	p.mu.Unlock()
}

// unprotect turns OverwriteDetect off, saying why once at WARN.
func (p *protection) unprotect(why string) {
	p.mu.Lock()
	p.lastProbe = time.Now()
	p.mu.Unlock()
	if p.mode.CompareAndSwap(int32(OverwriteDetect), int32(OverwriteUnprotected)) {
		p.detected.Store(true)
		p.logger.Warn("s3store: the server "+why+"; writing without overwrite protection until a probe finds it honoured (the handler's names are random and never written twice; objects other writers put under the prefix are not protected meanwhile)",
			"store", p.where, "reprobe", p.reprobe)
	}
}

// protect turns the protection a detection switched off back on.
func (p *protection) protect() {
	p.mu.Lock()
	p.refusals, p.lastKey = 0, ""
	p.mu.Unlock()
	if p.detected.Load() && p.mode.CompareAndSwap(int32(OverwriteUnprotected), int32(OverwriteDetect)) {
		p.detected.Store(false)
		p.logger.Info("s3store: the server honours If-None-Match again; overwrite protection is back on", "store", p.where)
	}
}

// probeLater probes the server in the background, if the detection
// switched the protection off at least Reprobe ago and no probe is under
// way.
func (s *Store) probeLater() {
	p := &s.protect
	if !p.detected.Load() {
		return
	}
	p.mu.Lock()
	due := !p.probing && time.Since(p.lastProbe) >= p.reprobe
	if due {
		p.probing, p.lastProbe = true, time.Now()
	}
	p.mu.Unlock()
	if !due {
		return
	}
	go func() {
		defer func() {
			p.mu.Lock()
			p.probing = false
			p.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if got, err := s.Probe(ctx); err == nil && got == "honoured" {
			p.protect()
		}
	}()
}

// validHeader reports whether h can be a header name.
func validHeader(h string) bool {
	return h != "" && !strings.ContainsFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	})
}

// Probe finds out what the server does with If-None-Match, by writing a
// small object under the prefix twice and removing it (a refused first
// write is tried with DetectRefusals different objects, the evidence
// OverwriteDetect needs): it returns
// "honoured" (the second write was refused as existing), "refused" (the
// header is not implemented) or "ignored" (the second write replaced the
// first). Under OverwriteDetect a Store that is refused or ignored turns
// its protection off, saying so once at WARN; other modes keep theirs.
// `ccfs serve` probes each S3 location at start.
func (s *Store) Probe(ctx context.Context) (string, error) {
	for attempt := 1; ; attempt++ {
		answer, err := s.probeOnce(ctx)
		if answer != "refused" || attempt >= DetectRefusals || Overwrite(s.protect.mode.Load()) != OverwriteDetect {
			return answer, err
		}
	}
}

// probeOnce is one probe, with an object of its own.
func (s *Store) probeOnce(ctx context.Context) (string, error) {
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
			s.protect.refused(key, err) // counts nothing once protection is off
			return "refused", nil
		case i == 1 && errors.Is(s.wrap("probing", key, err), store.ErrExist):
			return "honoured", nil
		default:
			return "", s.wrap("probing with", key, err)
		}
	}
	return "", errors.New("s3store: unreachable")
}

package s3store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// lister is an API whose ListObjectsV2 answers from keys as S3 would
// (sorted, Prefix, Delimiter "/", StartAfter, MaxKeys, a continuation
// token) and records what it was asked.
type lister struct {
	s3store.API
	keys  []string
	asked []s3.ListObjectsV2Input
}

func (l *lister) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	l.asked = append(l.asked, *in)
	keys := slices.Sorted(slices.Values(l.keys))
	from := aws.ToString(in.StartAfter)
	if in.ContinuationToken != nil {
		from = *in.ContinuationToken
	}
	out := &s3.ListObjectsV2Output{}
	n := int32(0)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, aws.ToString(in.Prefix))
		if !ok || k <= from {
			continue
		}
		if n == aws.ToInt32(in.MaxKeys) {
			out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String(from)
			return out, nil
		}
		if i := strings.Index(rest, "/"); i >= 0 && aws.ToString(in.Delimiter) == "/" {
			p := aws.ToString(in.Prefix) + rest[:i+1]
			if len(out.CommonPrefixes) == 0 || aws.ToString(out.CommonPrefixes[len(out.CommonPrefixes)-1].Prefix) != p {
				out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(p)})
				n++
			}
			from = k
			continue
		}
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(k)))})
		n++
		from = k
	}
	return out, nil
}

// TestListPageAsks: ListPage asks for the one directory (Prefix, with the
// store's prefix, and Delimiter "/"), after the key of after, limit+1
// keys; skips what List skips (a directory marker, a name Put would
// refuse) and asks on until limit+1 files are found or the directory
// ends.
func TestListPageAsks(t *testing.T) {
	l := &lister{keys: []string{
		"t/v/a.wav", "t/v/b.wav", "t/v/", "t/v/bad\x01.wav", "t/v/c.wav", "t/v/sub/x.wav", "t/v/sub/y.wav",
		"t/v/d.wav", "t/v/e.wav", "t/v/f.wav", "t/vx.wav", "t/w/a.wav", "v/a.wav",
	}}
	s, err := s3store.New(l, s3store.Options{Bucket: "b", Prefix: "t/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	files, more, err := s.ListPage(ctx, "v", "v/a.wav", 3)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if f.Size != int64(len("t/"+f.Name)) {
			t.Errorf("%s: size %d", f.Name, f.Size)
		}
	}
	if !slices.Equal(names, []string{"v/b.wav", "v/c.wav", "v/d.wav"}) || !more {
		t.Errorf("page: %v, more %v; want [v/b.wav v/c.wav v/d.wav], more true", names, more)
	}
	first := l.asked[0]
	if aws.ToString(first.Prefix) != "t/v/" || aws.ToString(first.Delimiter) != "/" || aws.ToString(first.StartAfter) != "t/v/a.wav" || aws.ToInt32(first.MaxKeys) != 4 || aws.ToString(first.Bucket) != "b" {
		t.Errorf("first ListObjectsV2: Prefix %q, Delimiter %q, StartAfter %q, MaxKeys %d, Bucket %q; want t/v/, /, t/v/a.wav, 4, b",
			aws.ToString(first.Prefix), aws.ToString(first.Delimiter), aws.ToString(first.StartAfter), aws.ToInt32(first.MaxKeys), aws.ToString(first.Bucket))
	}
	if len(l.asked) < 2 || l.asked[1].ContinuationToken == nil {
		t.Errorf("skipped keys and a common prefix took page room: want a second ListObjectsV2 with a continuation token, got %d requests", len(l.asked))
	}

	l.asked = nil
	files, more, err = s.ListPage(ctx, "v", "v/d.wav", 10)
	if err != nil || len(files) != 2 || files[0].Name != "v/e.wav" || files[1].Name != "v/f.wav" || more {
		t.Errorf("the last page: %v, %v, %v; want v/e.wav, v/f.wav, no more", files, more, err)
	}
	if aws.ToInt32(l.asked[0].MaxKeys) != 11 {
		t.Errorf("MaxKeys %d for a page of 10, want 11", aws.ToInt32(l.asked[0].MaxKeys))
	}

	l.asked = nil
	if _, _, err := s.ListPage(ctx, "v", "", 5000); err != nil || aws.ToInt32(l.asked[0].MaxKeys) != 1000 || l.asked[0].StartAfter != nil {
		t.Errorf("a page of 5000: %v, MaxKeys %d, StartAfter %v; want 1000 (S3's most) and no StartAfter", err, aws.ToInt32(l.asked[0].MaxKeys), l.asked[0].StartAfter)
	}
	l.asked = nil
	if _, _, err := s.ListPage(ctx, "v", "", int(^uint(0)>>1)); err != nil || aws.ToInt32(l.asked[0].MaxKeys) != 1000 {
		t.Errorf("the largest int as a limit: %v, MaxKeys %d; want 1000", err, aws.ToInt32(l.asked[0].MaxKeys))
	}
	if files, _, err := s.ListPage(ctx, "", "", 10); err != nil || len(files) != 1 || files[0].Name != "vx.wav" {
		t.Errorf("the top directory: %v, %v; want vx.wav alone", files, err)
	}
	if _, _, err := s.ListPage(ctx, "v", "", 0); !errors.Is(err, store.ErrLimit) {
		t.Errorf("limit 0: %v, want store.ErrLimit", err)
	}
	if _, _, err := s.ListPage(ctx, "../v", "", 10); !errors.Is(err, store.ErrInvalidName) {
		t.Errorf("dir ../v: %v, want store.ErrInvalidName", err)
	}
}

// TestListPageVersity: on a real versitygw, with the store's prefix,
// pages of 2 of a directory list its files once each, in order, and
// never its subdirectory's nor those of a sibling whose name begins the
// same.
func TestListPageVersity(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{Prefix: "p/"})
	ctx := context.Background()
	var want []string
	for _, n := range []string{"d/a.wav", "d/b.wav", "d/c.wav", "d/sub/x.wav", "d.wav", "dd/y.wav", "d/e.wav"} {
		if _, err := s.Put(ctx, n, strings.NewReader(n), -1); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(n[2:], "/") && strings.HasPrefix(n, "d/") {
			want = append(want, n)
		}
	}
	slices.Sort(want)
	var got []string
	for after := ""; ; {
		files, more, err := s.ListPage(ctx, "d", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			got = append(got, f.Name)
		}
		if !more {
			break
		}
		after = files[len(files)-1].Name
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of 2: %v, want %v", got, want)
	}
}

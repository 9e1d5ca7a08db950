package s3store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs/store"
)

var _ store.PageLister = (*Store)(nil)

// maxKeys is the most keys S3 returns in one ListObjectsV2 page.
const maxKeys = 1000

// ListPage implements store.PageLister with ListObjectsV2 over the one
// directory: Prefix the directory's key and "/", Delimiter "/" (so a
// subdirectory's objects come back as one common prefix, not listed),
// StartAfter the key of after, and MaxKeys the page's limit and one more,
// to say whether more follow. Keys List skips (a directory marker, a
// name Put would refuse) are skipped here too, and pages are asked for
// until limit+1 files are found or the directory ends. S3 lists keys in
// the byte order of their UTF-8 names, the order of store names.
func (s *Store) ListPage(ctx context.Context, dir, after string, limit int) ([]store.FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, store.ErrLimit
	}
	prefix := s.prefix
	if dir = strings.TrimSuffix(dir, "/"); dir != "" {
		if err := store.CheckName(dir); err != nil {
			return nil, false, err
		}
		prefix = s.key(dir) + "/"
	}
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix, Delimiter: aws.String("/")}
	if after != "" {
		in.StartAfter = aws.String(s.key(after))
	}
	var files []store.FileInfo
	for {
		in.MaxKeys = aws.Int32(int32(min(limit-len(files), maxKeys-1) + 1)) // limit+1 in all, never overflowing
		out, err := s.api.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, s.wrap("listing", dir, err)
		}
		for _, o := range out.Contents {
			name, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || name <= after || store.CheckName(name) != nil || strings.Contains(strings.TrimPrefix(aws.ToString(o.Key), prefix), "/") {
				continue
			}
			if len(files) == limit {
				return files, true, nil
			}
			files = append(files, store.FileInfo{Name: name, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return files, false, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

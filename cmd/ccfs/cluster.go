package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/idempotency/redisidempotency"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
)

// clusterFlags are serve's flags for running several nodes: where files
// go (a directory or an S3 bucket, alone or in a CTI pool) and the shared
// replay cache.
type clusterFlags struct {
	store, pool          *string
	poolMin              *int
	s3Endpoint, s3Region *string
	redisURL             *string
	allowHardLinks       *bool
	s3Overwrite          *string
	overwrite            s3store.Options // Overwrite and ForbidOverwriteHeader, from --s3-overwrite
	// readOnly opens the stores to read them (ccfs usage): a directory
	// must exist, and an S3 location is not probed with a write.
	readOnly bool
	// s3 are the S3 locations opened, by their spec, for the overwrite
	// protection's metric and readiness detail.
	s3 map[string]*s3store.Store
}

// addClusterFlags adds the flags of where the files are and of the shared
// Redis: those a command that only reads the store (ccfs usage) takes too.
// A command that writes adds addWriteFlags.
func addClusterFlags(fl *flag.FlagSet) *clusterFlags {
	return &clusterFlags{
		store:          fl.String("store", "", "where files go: a directory, or s3://BUCKET[/PREFIX/] (default: <data>/files)"),
		pool:           fl.String("pool", "", "CTI pool: a copy at each of several locations, as ID=LOCATION,ID=LOCATION (e.g. 0=/mnt/a,256=s3://prompts-b/)"),
		s3Endpoint:     fl.String("s3-endpoint", "", "S3-compatible server for s3:// locations, such as http://127.0.0.1:7070 (default: AWS S3); keys from $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY"),
		s3Region:       fl.String("s3-region", "us-east-1", "region for s3:// locations"),
		allowHardLinks: fl.Bool("allow-hard-links", false, "serve, count and delete files of a directory store that have more than one hard link (only where nothing but ccfs writes there: another name for a file may be another tenant's)"),
		redisURL:       fl.String("redis", "", "shared replay cache, --quota ledger and --webhook events, as redis://HOST:PORT[/DB] (password from $CCFS_REDIS_PASSWORD); default: in memory (events: on disk), this node only"),
		poolMin:        new(int),
		s3Overwrite:    new(string),
	}
}

// addWriteFlags adds the flags of how files are written: serve's, not a
// reader's.
func (f *clusterFlags) addWriteFlags(fl *flag.FlagSet) {
	fl.IntVar(f.poolMin, "pool-min", 0, "with --pool, the copies an upload needs (default: all)")
	fl.StringVar(f.s3Overwrite, "s3-overwrite", "detect", "how s3:// locations keep from replacing an object: detect (If-None-Match until the server refuses it, then none), if-none-match, header:NAME (a vendor's switch, such as header:x-oss-forbid-overwrite), or none")
}

// check refuses what the flags cannot mean, before anything starts: a
// password in the --redis URL, where ps and /debug/pprof/cmdline show it.
func (f *clusterFlags) check() error {
	if *f.poolMin != 0 && *f.pool == "" {
		return errors.New("--pool-min needs --pool: a single store keeps one copy")
	}
	switch mode, header, _ := strings.Cut(*f.s3Overwrite, ":"); mode {
	case "detect", "": // "": a reader, which writes nothing
		f.overwrite.Overwrite = s3store.OverwriteDetect
	case "if-none-match":
		f.overwrite.Overwrite = s3store.OverwriteIfNoneMatch
	case "none":
		f.overwrite.Overwrite = s3store.OverwriteUnprotected
	case "header":
		f.overwrite.Overwrite, f.overwrite.ForbidOverwriteHeader = s3store.OverwriteHeader, header
		if header == "" {
			return errors.New("--s3-overwrite header:NAME needs the header's name")
		}
	default:
		return fmt.Errorf("--s3-overwrite %q: want detect, if-none-match, header:NAME or none", *f.s3Overwrite)
	}
	if *f.redisURL == "" {
		return nil
	}
	u, err := url.Parse(*f.redisURL)
	if err != nil {
		return errors.New("--redis is not a URL") // the parse error would repeat the URL, password and all
	}
	if _, has := u.User.Password(); has {
		return errors.New("--redis must not hold a password: the command line is visible to every local user (ps) and on /debug/pprof/cmdline; put it in $CCFS_REDIS_PASSWORD")
	}
	return nil
}

// closers collects what serve must close when it returns. Close closes
// the last added first, as defers run: what was opened on top of another
// (events over the store and Redis) is closed before it.
type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for i := len(c) - 1; i >= 0; i-- {
		errs = append(errs, c[i].Close())
	}
	return errors.Join(errs...)
}

// openStore opens --store or --pool, checking each location answers. It
// returns the store and a description for the start-up line.
func (f *clusterFlags) openStore(ctx context.Context, defaultDir string, cl *closers, logger *slog.Logger) (store.Store, string, error) {
	if *f.pool != "" {
		if *f.store != "" {
			return nil, "", errors.New("--store and --pool do not go together; name every location in --pool")
		}
		var locs []store.Location
		for _, item := range strings.Split(*f.pool, ",") {
			id, spec, ok := strings.Cut(item, "=")
			if !ok || id == "" || spec == "" {
				return nil, "", fmt.Errorf("--pool %q: want ID=LOCATION,ID=LOCATION", *f.pool)
			}
			s, err := f.openLocation(ctx, spec, cl, logger)
			if err != nil {
				return nil, "", fmt.Errorf("--pool location %s: %w", id, err)
			}
			locs = append(locs, store.Location{ID: id, Store: s})
		}
		p, err := store.NewPool(*f.poolMin, locs...)
		if err != nil {
			return nil, "", withoutPrefix("--pool", err, "store")
		}
		return p, "the pool " + *f.pool, nil
	}
	spec := *f.store
	if spec == "" {
		spec = defaultDir
	}
	s, err := f.openLocation(ctx, spec, cl, logger)
	if s3, ok := s.(*s3store.Store); ok && !f.readOnly {
		spec += ", overwrite protection: " + s3.Protection()
	}
	return s, spec, err
}

// openLocation opens a directory or an s3://BUCKET[/PREFIX/] location.
func (f *clusterFlags) openLocation(ctx context.Context, spec string, cl *closers, logger *slog.Logger) (store.Store, error) {
	rest, isS3 := strings.CutPrefix(spec, "s3://")
	if !isS3 {
		if f.readOnly {
			if info, err := os.Stat(spec); err != nil || !info.IsDir() {
				return nil, fmt.Errorf("%s is not a directory of files", spec)
			}
		}
		// No body takes longer than the read timeout: a file staged under
		// a name and left unwritten for twice that is a crashed upload's.
		opts := []store.DirOption{store.StaleStaging(2 * readTimeout)}
		if *f.allowHardLinks {
			opts = append(opts, store.AllowHardLinks())
		}
		d, err := store.NewDir(spec, opts...)
		if err != nil {
			return nil, err
		}
		*cl = append(*cl, d)
		return d, nil
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	client, err := s3store.NewClient(s3store.ClientConfig{
		Endpoint: *f.s3Endpoint, Region: *f.s3Region,
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w (set $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)", spec, err)
	}
	s, err := s3store.New(client, s3store.Options{Bucket: bucket, Prefix: prefix, Logger: logger,
		Overwrite: f.overwrite.Overwrite, ForbidOverwriteHeader: f.overwrite.ForbidOverwriteHeader})
	if err != nil {
		return nil, err
	}
	// Fail at start, not on the first upload, when the bucket is wrong;
	// and find out what the server does with If-None-Match.
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.HeadBucket(hctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("bucket %q is not reachable: %w", bucket, err)
	}
	if f.readOnly {
		return s, nil
	}
	answer, err := s.Probe(hctx)
	if err != nil {
		return nil, fmt.Errorf("probing %s: %w", spec, err)
	}
	if f.s3 == nil {
		f.s3 = map[string]*s3store.Store{}
	}
	f.s3[spec] = s
	logger.Info("s3 location: the server "+answer+" If-None-Match", "store", spec, "overwriteProtection", s.Protection())
	return s, nil
}

// openRedis connects to --redis, or returns nil without it. It fails
// when Redis does not answer, so a node never starts with a replay cache
// or a quota ledger it cannot use.
func (f *clusterFlags) openRedis(ctx context.Context, logger *slog.Logger, cl *closers) (*redis.Client, error) {
	if *f.redisURL == "" {
		return nil, nil
	}
	redis.SetLogger(redisLog{logger})
	opts, err := redis.ParseURL(*f.redisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	if opts.Password == "" {
		opts.Password = os.Getenv("CCFS_REDIS_PASSWORD")
	}
	client := redis.NewClient(opts)
	*cl = append(*cl, client)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		return nil, fmt.Errorf("--redis %s does not answer: %w", opts.Addr, err)
	}
	return client, nil
}

// openReplay returns the shared replay cache in client, or nil for the
// handler's in-memory default when client is nil.
func openReplay(client *redis.Client) (auth.ReplayCache, string, error) {
	if client == nil {
		return nil, "in memory", nil
	}
	c, err := redisreplay.New(client, redisreplay.Options{})
	if err != nil {
		return nil, "", err
	}
	return c, "redis " + client.Options().Addr, nil
}

// wireIdempotency sets where uploads' Idempotency-Keys are remembered:
// in Redis with --redis, so that a retry through another node finds the
// first upload's key; in the handler's memory otherwise. --idempotency-ttl
// 0 turns the header off.
func wireIdempotency(opts *ccfs.Options, rdb *redis.Client) error {
	switch {
	case opts.IdempotencyTTL == 0:
		opts.Idempotency = idempotency.Off
	case rdb != nil:
		s, err := redisidempotency.New(rdb, redisidempotency.Options{})
		if err != nil {
			return err
		}
		opts.Idempotency = s
	}
	return nil
}

// redisLog sends go-redis's own messages (reconnections, say) to the
// server's log as warnings, instead of to standard error.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

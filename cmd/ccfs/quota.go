package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/store"
)

// wireQuota sets opts.Fence: one remover of a file at a time, and its
// size given back once, among the nodes that share Redis or among this
// server's deletes and retention sweeps. With --quota or --quota-file it
// also sets opts.Usage, the ledger the limits are held against (see
// loadUsage), and reloads a quota file when it changes.
func (c *serveConfig) wireQuota(ctx context.Context, opts *ccfs.Options, st store.Store, rdb *redis.Client, logger *slog.Logger) error {
	if rdb != nil {
		opts.Fence = redisquota.NewFence(rdb, "")
	} else {
		opts.Fence = new(store.MemoryFence)
	}
	if opts.Quota == nil {
		return nil
	}
	var err error
	if opts.Usage, err = loadUsage(ctx, st, rdb, c.rule, c.recountEvery, logger); err != nil {
		return err
	}
	logger.Info("quotas", "limits", opts.Quota.String())
	if f, ok := opts.Quota.(*quota.File); ok {
		go reloadOnChange(ctx, "quota file", f, func() []any { return []any{"limits", f.String()} }, c.credsPoll, logger)
	}
	return nil
}

// loadUsage returns the ledger of --quota: in this process, counted from
// st; or, with --redis, the one the nodes share, counted from st only if
// no node has, and counted again if Redis loses it.
func loadUsage(ctx context.Context, st store.Store, rdb *redis.Client, r *pathrule.Rule, recountEvery time.Duration, logger *slog.Logger) (quota.Ledger, error) {
	l, ok := st.(store.Lister)
	if !ok {
		return nil, errors.New("--quota needs a store that lists its files (a directory, s3:// or a pool of them)")
	}
	var usage quota.Ledger = quota.NewMemory()
	var shared *redisquota.Ledger
	if rdb != nil {
		var err error
		if shared, err = redisquota.New(rdb, redisquota.Options{}); err != nil {
			return nil, err
		}
		usage = shared
	}
	start := time.Now()
	counts, err := quota.Load(ctx, usage, l, r)
	if err != nil {
		return nil, err
	}
	if counts != nil {
		logUsage(logger, "usage counted from the store", counts, "took", time.Since(start).Round(time.Millisecond))
	} else {
		logger.Info("usage kept as the nodes share it in redis; not counted again", "redis", rdb.Options().Addr)
	}
	if shared != nil {
		go quota.KeepCounted(ctx, shared, l, r, recountEvery, func(counts map[int]quota.Usage, err error) {
			if err != nil {
				logger.Error("quota: the shared usage is missing and could not be counted again; uploads under a quota are refused", "err", err)
				return
			}
			logUsage(logger, "the shared usage was missing (Redis lost it?): counted again from the store", counts)
		})
	}
	return usage, nil
}

// logUsage logs a count of the store, and attrs.
func logUsage(logger *slog.Logger, msg string, counts map[int]quota.Usage, attrs ...any) {
	var files, bytes int64
	for _, u := range counts {
		files, bytes = files+u.Files, bytes+u.Bytes
	}
	logger.Info(msg, append([]any{"vdns", len(counts), "files", files, "bytes", bytes}, attrs...)...)
}

package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/retention"
	"github.com/ccfs-go/ccfs/store"
)

// startSweeper sweeps expired prompts out of st now and every interval
// until ctx ends, for --retain.
func startSweeper(ctx context.Context, st store.Store, opts ccfs.Options, rule *pathrule.Rule, policy *retention.Policy, every time.Duration, onRemove func(int, int64), logger *slog.Logger) error {
	rs, ok := st.(retention.Store)
	if !ok {
		return errors.New("--retain needs a store that lists and removes its files (a directory, s3:// or a pool of them)")
	}
	sw := &retention.Sweeper{Store: rs, Rule: rule, Policy: policy, Usage: opts.Usage, Fence: opts.Fence, OnRemove: onRemove, Logger: logger,
		Events: opts.Events, RootPrefix: opts.RootPrefix}
	logger.Info("retention", "policy", policy.String(), "every", every)
	go sw.Run(ctx, every)
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/store"
)

// usageCmd runs "ccfs usage": each VDN's uploaded prompts, counted from
// the store, against its quota; with --redis, beside what the nodes
// count, and --reconcile to set their counts to the store's.
func usageCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("usage", "[flags]",
		"Counts each VDN's uploaded prompts in the store (the files the upload path rule placed; recordings are not counted)\n"+
			"and shows them against --quota. With --redis it also shows what the nodes count, and marks each VDN whose count\n"+
			"differs from the store's; --reconcile sets the nodes' counts to the store's. It writes nothing else.",
		"  ccfs usage --data /var/lib/ccfs --quota '*=2GiB,53=20GiB/100000'\n"+
			"  ccfs usage --store s3://prompts/ccfs/ --redis redis://10.0.0.5:6379 --quota '*=2GiB' --reconcile", stderr)
	sf := addStoreFlags(fl)
	data, rule, cluster := sf.data, sf.pathRule, sf.cluster
	reconcile := fl.Bool("reconcile", false, "with --redis: replace the counts the nodes share with the store's, plus the uploads the nodes claim while it counts (safe under load: it may count such a file twice, never miss one)")
	asJSON := fl.Bool("json", false, "print JSON, one object per VDN")
	cluster.readOnly = true
	if code := parse(fl, args); code >= 0 {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "ccfs usage: %v\n", err)
		return code
	}
	if fl.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected argument %q", fl.Arg(0)))
	}
	if err := cluster.check(); err != nil {
		return fail(2, err)
	}
	if *reconcile && *cluster.redisURL == "" {
		return fail(2, errors.New("--reconcile needs --redis: without it each server counts the store itself when it starts, so restart it to count again"))
	}
	r, err := pathrule.Parse(*rule)
	if err != nil {
		return fail(2, withoutPrefix("--path-rule", err, "pathrule"))
	}
	var lim quota.Source = &quota.Limits{}
	if src, err := sf.quota.source(); err != nil {
		return fail(2, err)
	} else if src != nil {
		lim = src
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var cl closers
	defer cl.Close()
	st, where, err := cluster.openStore(ctx, filepath.Join(*data, "files"), &cl, logger)
	if err != nil {
		return fail(1, err)
	}
	lister, ok := st.(store.Lister)
	if !ok {
		return fail(1, fmt.Errorf("%s cannot list its files", where))
	}
	rdb, err := cluster.openRedis(ctx, logger, &cl)
	if err != nil {
		return fail(1, err)
	}

	rep := &usageReport{limits: lim}
	var shared *redisquota.Ledger
	if rdb != nil {
		if shared, err = redisquota.New(rdb, redisquota.Options{}); err != nil {
			return fail(1, err)
		}
		if rep.shared, rep.countedAt, err = shared.All(ctx); err != nil {
			return fail(1, err)
		}
	}
	start := time.Now()
	if *reconcile {
		// The nodes' claims during the count are added to it: a file
		// stored meanwhile is never missed.
		rep.stored, err = quota.Recount(ctx, shared, lister, r)
	} else {
		rep.stored, err = quota.Count(ctx, lister, r)
	}
	if err != nil {
		return fail(1, fmt.Errorf("counting %s: %w", where, err))
	}
	took := time.Since(start)
	if *asJSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
		fmt.Fprintf(stdout, "\ncounted from %s in %v\n", where, took.Round(time.Millisecond))
		rep.writeSharedSummary(stdout, rdb != nil, *reconcile)
	}
	if err != nil {
		return fail(1, err)
	}
	if *reconcile {
		switch {
		case *asJSON:
		case rep.countedAt.IsZero():
			fmt.Fprintln(stdout, "reconciled: the nodes now count what the store holds (they held no counts)")
		default:
			fmt.Fprintf(stdout, "reconciled: the nodes now count what the store holds (%d VDNs differed)\n", len(rep.differing()))
		}
	}
	return 0
}

// usageReport is what "ccfs usage" found.
type usageReport struct {
	limits    quota.Source
	stored    map[int]quota.Usage // counted from the store
	shared    map[int]quota.Usage // the nodes' counts in Redis; nil without --redis
	countedAt time.Time           // when the shared counts were taken from the store
}

// vdns are the VDNs to show: those with files in the store or in the
// shared counts, and those the limits name.
func (r *usageReport) vdns() []int {
	set := map[int]bool{}
	for _, m := range []map[int]quota.Usage{r.stored, r.shared} {
		for v := range m {
			set[v] = true
		}
	}
	for _, v := range r.limits.Named() {
		set[v] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// differing are the VDNs whose shared count is not the store's.
func (r *usageReport) differing() []int {
	if r.shared == nil || r.countedAt.IsZero() {
		return nil
	}
	var out []int
	for _, v := range r.vdns() {
		if r.stored[v] != r.shared[v] {
			out = append(out, v)
		}
	}
	return out
}

// used is how much of its limit u takes: the larger of its bytes' and its
// files' share, or "-" with no limit.
func used(u quota.Usage, lim quota.Limit) string {
	share := -1.0
	if lim.Bytes > 0 {
		share = float64(u.Bytes) / float64(lim.Bytes)
	}
	if lim.Files > 0 {
		share = max(share, float64(u.Files)/float64(lim.Files))
	}
	if share < 0 {
		return "-"
	}
	return strconv.FormatFloat(100*share, 'f', 1, 64) + "%"
}

func (r *usageReport) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "VDN\tFILES\tBYTES\tLIMIT\tUSED\t"
	if r.shared != nil {
		head += "NODES' FILES\tNODES' BYTES\t\t"
	}
	fmt.Fprintln(tw, head)
	for _, v := range r.vdns() {
		u, lim := r.stored[v], r.limits.For(v)
		line := fmt.Sprintf("%d\t%d\t%d\t%s\t%s\t", v, u.Files, u.Bytes, lim, used(u, lim))
		switch s := r.shared[v]; {
		case r.shared == nil:
		case r.countedAt.IsZero():
			line += "-\t-\t\t"
		case s != u:
			line += fmt.Sprintf("%d\t%d\tdiffers\t", s.Files, s.Bytes)
		default:
			line += fmt.Sprintf("%d\t%d\t\t", s.Files, s.Bytes)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func (r *usageReport) writeSharedSummary(w io.Writer, withRedis, reconciling bool) {
	switch {
	case !withRedis:
		return
	case r.countedAt.IsZero():
		fmt.Fprintln(w, "the nodes hold no counts: none has counted the store yet, or Redis lost them (a node counts again within its --quota-recount-every)")
	case len(r.differing()) == 0:
		fmt.Fprintf(w, "the nodes' counts, taken from the store at %s, agree with it\n", r.countedAt.UTC().Format(time.RFC3339))
	case !reconciling:
		fmt.Fprintf(w, "the nodes' counts, taken from the store at %s, differ from it for %d VDNs: uploads and deletes in flight differ for a moment;\n"+
			"a difference that stays is drift (a node that stopped between storing a file and counting it): ccfs usage --reconcile corrects it\n",
			r.countedAt.UTC().Format(time.RFC3339), len(r.differing()))
	}
}

// usageJSON is one VDN in "ccfs usage --json".
type usageJSON struct {
	VDN   int     `json:"vdn"`
	Files int64   `json:"files"`
	Bytes int64   `json:"bytes"`
	Limit *amount `json:"limit,omitempty"` // absent: no limit
	Nodes *amount `json:"nodes,omitempty"` // what the nodes count, with --redis (absent while they hold no counts)
}

// amount is bytes and files, in JSON.
type amount struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

func (r *usageReport) writeJSON(w io.Writer) error {
	out := []usageJSON{}
	for _, v := range r.vdns() {
		u := r.stored[v]
		row := usageJSON{VDN: v, Files: u.Files, Bytes: u.Bytes}
		if lim := r.limits.For(v); lim != (quota.Limit{}) {
			row.Limit = &amount{Files: lim.Files, Bytes: lim.Bytes}
		}
		if r.shared != nil && !r.countedAt.IsZero() {
			s := r.shared[v]
			row.Nodes = &amount{Files: s.Files, Bytes: s.Bytes}
		}
		out = append(out, row)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

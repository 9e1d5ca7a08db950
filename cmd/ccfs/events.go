package main

// "ccfs events": what waits for delivery and what was set aside, asked of
// a running server's admin listener; putting dead letters back; and a new
// webhook secret.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// maxListed bounds what the admin listener lists per endpoint and kind.
const maxListed = 1000

// The admin listener's answer to GET /events.
type eventsListing struct {
	Endpoints []endpointListing `json:"endpoints"`
}

type endpointListing struct {
	Endpoint string        `json:"endpoint"` // the URL without userinfo and query
	Key      string        `json:"key"`      // its queue, as redeliver names it
	Pending  []listedEvent `json:"pending"`
	Dead     []listedEvent `json:"dead"`
}

type listedEvent struct {
	Ref    string          `json:"ref"`
	Reason string          `json:"reason,omitempty"`
	Time   *time.Time      `json:"deadSince,omitempty"`
	Event  json.RawMessage `json:"event"`
}

// serveEvents answers GET /events[?max=N] on the admin listener: each
// endpoint's pending events and dead letters, oldest first, up to N of
// each.
func (rt *eventsRuntime) serveEvents(w http.ResponseWriter, r *http.Request) {
	max := 100
	if s := r.URL.Query().Get("max"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListed {
			http.Error(w, fmt.Sprintf("max: want 1 to %d", maxListed), http.StatusBadRequest)
			return
		}
		max = n
	}
	var out eventsListing
	for _, ep := range rt.endpoints {
		l := endpointListing{Endpoint: ep.name, Key: ep.key, Pending: []listedEvent{}}
		items, err := ep.queue.Pending(r.Context(), max)
		if err != nil {
			http.Error(w, "listing "+ep.name+": "+err.Error(), http.StatusInternalServerError)
			return
		}
		for _, it := range items {
			l.Pending = append(l.Pending, listedEvent{Ref: it.Ref, Event: json.RawMessage(it.Body)})
		}
		letters, err := ep.queue.DeadLetters(r.Context(), max)
		if err != nil {
			http.Error(w, "listing "+ep.name+"'s dead letters: "+err.Error(), http.StatusInternalServerError)
			return
		}
		l.Dead = []listedEvent{}
		for _, d := range letters {
			at := d.Time
			l.Dead = append(l.Dead, listedEvent{Ref: d.Ref, Reason: d.Reason, Time: &at, Event: json.RawMessage(d.Body)})
		}
		out.Endpoints = append(out.Endpoints, l)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// serveRedeliver answers POST /events/redeliver?endpoint=KEY&ref=REF: the
// dead letter goes back in its endpoint's queue. It changes state, so it
// is answered only to this machine (a loopback peer), wherever the admin
// listener listens.
func (rt *eventsRuntime) serveRedeliver(w http.ResponseWriter, r *http.Request) {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		http.Error(w, "redeliver is answered only on this machine (a loopback address)", http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	key, ref := q.Get("endpoint"), q.Get("ref")
	if key == "" && len(rt.endpoints) == 1 {
		key = rt.endpoints[0].key
	}
	for _, ep := range rt.endpoints {
		if ep.key != key && ep.name != key {
			continue
		}
		if strings.HasPrefix(ref, events.IDPrefix) {
			http.Error(w, ref+" is an event's id: redeliver takes a dead letter's REF, as ccfs events list --dead shows it", http.StatusBadRequest)
			return
		}
		if err := ep.queue.Redeliver(r.Context(), ref); err != nil {
			http.Error(w, fmt.Sprintf("%q is not a dead letter of %s (pending events are retried by the server on their own; ccfs events list --dead shows the dead letters' REFs): %v", ref, ep.name, err), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if key == "" {
		http.Error(w, "name the endpoint (--endpoint KEY): the server delivers to several (ccfs events list names them)", http.StatusBadRequest)
		return
	}
	http.Error(w, fmt.Sprintf("no endpoint %q (ccfs events list names them)", key), http.StatusNotFound)
}

// eventsCmd runs "ccfs events".
func eventsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const synopsis = "list [--dead] | redeliver [--endpoint KEY] REF… | new-secret"
	fl := newFlags("events", synopsis,
		"Shows the events a running server (ccfs serve --webhook) has not yet delivered, and with --dead those it set aside\n"+
			"after their retry time; redeliver puts dead letters back in their queue. They ask the server's admin listener\n"+
			"(serve --admin-addr); redeliver only from the same machine. new-secret prints a new webhook signing secret.",
		"  ccfs events list --admin 127.0.0.1:9090 --dead\n  ccfs events redeliver --admin 127.0.0.1:9090 --endpoint ep-3f2a1b0c9d8e 17\n  ccfs events new-secret > /etc/ccfs/webhook-secret", stderr)
	admin := fl.String("admin", "", "the server's admin listener, HOST:PORT (serve --admin-addr)")
	dead := fl.Bool("dead", false, "list: show the dead letters too, not only their number")
	max := fl.Int("max", 100, "list: at most this many events per endpoint and kind")
	asJSON := fl.Bool("json", false, "list: print the admin listener's JSON")
	key := fl.String("endpoint", "", "redeliver: the endpoint's key (or its URL as listed); needed only when serve delivers to several")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "ccfs events: %v\n", err)
		return code
	}
	// Flags may follow the subcommand too.
	sub, rest := fl.Arg(0), fl.Args()
	if len(rest) > 0 {
		if code := parse(fl, rest[1:]); code >= 0 {
			return code
		}
	}
	switch sub {
	case "new-secret":
		fmt.Fprintln(stdout, events.NewSecret().Text())
		return 0
	case "list", "redeliver":
	case "":
		return fail(2, errors.New("want a subcommand: "+synopsis))
	default:
		return fail(2, fmt.Errorf("unknown subcommand %q: want %s", sub, synopsis))
	}
	if *admin == "" {
		return fail(2, errors.New("--admin HOST:PORT is required: the server's admin listener (serve --admin-addr)"))
	}
	base := "http://" + strings.TrimPrefix(*admin, "http://")
	client := &http.Client{Timeout: 30 * time.Second}
	if sub == "list" {
		if fl.NArg() > 0 {
			return fail(2, fmt.Errorf("list: unexpected argument %q", fl.Arg(0)))
		}
		u := fmt.Sprintf("%s/events?max=%d", base, *max)
		body, err := adminCall(ctx, client, http.MethodGet, u)
		if err != nil {
			return fail(1, err)
		}
		if *asJSON {
			stdout.Write(body)
			return 0
		}
		var l eventsListing
		if err := json.Unmarshal(body, &l); err != nil {
			return fail(1, fmt.Errorf("the admin listener's answer: %w", err))
		}
		printListing(stdout, l, *dead)
		return 0
	}
	if fl.NArg() == 0 {
		return fail(2, errors.New("redeliver: want one or more REFs (ccfs events list --dead shows them)"))
	}
	for _, ref := range fl.Args() {
		u := fmt.Sprintf("%s/events/redeliver?endpoint=%s&ref=%s", base, url.QueryEscape(*key), url.QueryEscape(ref))
		if _, err := adminCall(ctx, client, http.MethodPost, u); err != nil {
			return fail(1, fmt.Errorf("redeliver %s: %w", ref, err))
		}
		fmt.Fprintf(stdout, "%s: back in the queue\n", ref)
	}
	return 0
}

// adminCall makes one request to the admin listener and returns its body,
// or an error holding the listener's message.
func adminCall(ctx context.Context, client *http.Client, method, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("cannot reach the admin listener at %s: is ccfs serve running with --admin-addr %s (and --webhook)?", req.URL.Host, req.URL.Host)
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && strings.HasPrefix(string(body), "404 page not found"):
		return nil, errors.New("the admin listener serves no events: is serve running with --webhook?")
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// printListing writes a listing as a table per endpoint: its pending
// events, and its dead letters if dead (else only their number).
func printListing(w io.Writer, l eventsListing, dead bool) {
	for i, ep := range l.Endpoints {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (--endpoint %s): %d pending, %d dead", ep.Endpoint, ep.Key, len(ep.Pending), len(ep.Dead))
		if len(ep.Dead) > 0 && !dead {
			fmt.Fprint(w, " (--dead lists them)")
		}
		fmt.Fprintln(w)
		rows := ep.Pending
		if dead {
			rows = append(rows, ep.Dead...)
		}
		if len(rows) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprint(tw, "  KIND\tREF\tID\tTYPE\tVDN\tFILE\tTIME")
		if dead && len(ep.Dead) > 0 {
			fmt.Fprint(tw, "\tWHY")
		}
		fmt.Fprintln(tw)
		for _, e := range rows {
			kind := "pending"
			if e.Time != nil {
				kind = "dead"
			}
			var ev events.Event
			if json.Unmarshal(e.Event, &ev) != nil {
				fmt.Fprintf(tw, "  %s\t%s\t(not an event)\n", kind, e.Ref)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s", kind, e.Ref, ev.ID, ev.Type, ev.VDN, ev.FileName, ev.Time.Format(time.RFC3339))
			if e.Reason != "" {
				fmt.Fprintf(tw, "\t%s", e.Reason)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}

package console

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"time"
)

// overviewTimeout bounds what the overview waits for: the readiness
// checks (each also bounded by the Checker's own timeout) and the events
// backlog.
const overviewTimeout = 3 * time.Second

// A namedValue is one line of a small table: a name and what it says.
type namedValue struct{ Name, Value string }

// A reasonRow is one code's refusals in the last 5 and 15 minutes.
type reasonRow struct {
	Code, Desc string
	Last5      int64
	Last15     int64
}

// An interfaceRow is one interface's requests and refusals in the last 5
// and 15 minutes.
type interfaceRow struct {
	Interface     string
	Last5, Last15 Count
}

// overviewData is what overview.html shows.
type overviewData struct {
	Health        bool // Options.Health is set
	Ready         bool
	Status        string
	Checks        []namedValue
	Details       []namedValue
	Recorded      bool
	Last5, Last15 Count
	Reasons       []reasonRow
	Interfaces    []interfaceRow
	InFlight      int
	Draining      int
	NodeDraining  bool
	Locations     []namedValue
	Backlog       bool // Options.Backlog is set
	BacklogError  string
	Backlogs      []Backlog
}

// serveOverview shows the overview: readiness, the last minutes'
// requests and refusals, what is in flight, the stores and the events
// backlog.
func (c *Console) serveOverview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), overviewTimeout)
	defer cancel()
	d := overviewData{
		InFlight: c.opts.Handler.InFlight(),
		Draining: c.opts.Handler.Draining(),
		Recorded: c.opts.Recorder != nil,
	}
	if h := c.opts.Health; h != nil {
		rep, ok := h.Check(ctx)
		d.Health, d.Ready, d.Status, d.NodeDraining = true, ok, rep.Status, h.Draining()
		d.Checks = sortedValues(rep.Checks)
		d.Details = sortedValues(rep.Details)
	}
	c.countsInto(&d)
	for _, l := range c.opts.Locations {
		p := "not known"
		if l.Protection != nil {
			p = l.Protection()
		}
		d.Locations = append(d.Locations, namedValue{l.Name, p})
	}
	if c.opts.Backlog != nil {
		d.Backlog = true
		b, err := c.opts.Backlog(ctx)
		if err != nil {
			d.BacklogError = err.Error()
		}
		d.Backlogs = b
	}
	c.render(w, r, http.StatusOK, "overview", "Overview", "overview", d)
}

// countsInto adds the Recorder's last 5 and 15 minutes to d.
func (c *Console) countsInto(d *overviewData) {
	s5, s15 := c.opts.Recorder.Summary(5), c.opts.Recorder.Summary(15)
	d.Last5, d.Last15 = s5.Total, s15.Total
	last5 := map[string]int64{}
	for _, cc := range s5.ByCode {
		last5[cc.Code] = cc.Refused
	}
	for _, cc := range s15.ByCode {
		d.Reasons = append(d.Reasons, reasonRow{Code: cc.Code, Desc: cc.Desc, Last5: last5[cc.Code], Last15: cc.Refused})
	}
	for _, f := range interfaceNames {
		if c15, ok := s15.ByInterface[f]; ok {
			d.Interfaces = append(d.Interfaces, interfaceRow{Interface: f, Last5: s5.ByInterface[f], Last15: c15})
		}
	}
}

// sortedValues is m's entries sorted by name.
func sortedValues(m map[string]string) []namedValue {
	out := make([]namedValue, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, namedValue{k, m[k]})
	}
	return out
}

// Package promtest reads a Prometheus text exposition back, for tests of
// what package prom exports: a scrape of /metrics parsed with the
// Prometheus text parser, and the value of one series in it.
package promtest

import (
	"io"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Parse parses a text exposition into its metric families, and fails t
// if it does not parse.
func Parse(t testing.TB, exposition io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(exposition)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return families
}

// Value returns the value of the series of family whose labels are
// exactly labels ("k=v" pairs, in the exposition's order): a counter's or
// a gauge's value, a histogram's count of samples; -1 if there is no such
// series.
func Value(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		var got []string
		for _, l := range m.Label {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(got, ",") != strings.Join(labels, ",") {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

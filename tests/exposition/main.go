// Command expfmt-parse reads a Prometheus text exposition (format 0.0.4) on stdin, parses it with
// client_golang's expfmt text parser (github.com/prometheus/common/expfmt, legacy name
// validation, as a Prometheus server scraping the text format) and prints what it read as JSON:
// families with name, type, help and metrics (labels, value, or histogram count, sum and
// cumulative buckets, or summary count, sum and quantiles in buckets). Numbers are strings in Go's shortest form ("NaN", "+Inf" included) so
// that nothing is lost. A parse error exits with status 1 and the error on stderr. Used by
// fuzz_exposition.py.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type metric struct {
	Labels  map[string]string `json:"labels"`
	Value   string            `json:"value,omitempty"`
	Count   string            `json:"count,omitempty"`
	Sum     string            `json:"sum,omitempty"`
	Buckets map[string]string `json:"buckets,omitempty"`
}

type family struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Help    string   `json:"help"`
	Metrics []metric `json:"metrics"`
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func main() {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []family{}
	for _, n := range names {
		mf := families[n]
		f := family{Name: n, Type: mf.GetType().String(), Help: mf.GetHelp(), Metrics: []metric{}}
		for _, m := range mf.GetMetric() {
			r := metric{Labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				r.Labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				r.Value = num(m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				r.Value = num(m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				r.Value = num(m.GetUntyped().GetValue())
			case dto.MetricType_SUMMARY:
				q := m.GetSummary()
				r.Count = strconv.FormatUint(q.GetSampleCount(), 10)
				r.Sum = num(q.GetSampleSum())
				r.Buckets = map[string]string{}
				for _, x := range q.GetQuantile() {
					r.Buckets[num(x.GetQuantile())] = num(x.GetValue())
				}
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				r.Count = strconv.FormatUint(h.GetSampleCount(), 10)
				r.Sum = num(h.GetSampleSum())
				r.Buckets = map[string]string{}
				for _, b := range h.GetBucket() {
					r.Buckets[num(b.GetUpperBound())] = strconv.FormatUint(b.GetCumulativeCount(), 10)
				}
			}
			f.Metrics = append(f.Metrics, r)
		}
		out = append(out, f)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

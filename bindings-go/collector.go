//go:build cgo

package atomicperf

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector (client_golang) that reports every metric of a
// [Registry] or, from [NewSharedCollector], of a [SharedRegistry] (every process's values,
// combined), for programs that already serve client_golang's registry:
//
//	prometheus.MustRegister(atomicperf.NewCollector(atomicperf.DefaultRegistry()))
//
// Each Collect exports the registry as JSON (one cgo call) and turns each series into a const
// metric with the names of the Prometheus text export: a counter name_total, a gauge name, a
// histogram name (cumulative buckets, sum and count in exported units), a timer the histogram
// name and the counter name_errors_total, a min/max the gauges name_min and name_max (once it
// holds a value).
//
// The Collector is unchecked: Describe sends nothing, because the registry's metrics may be
// added at any time and from other languages. client_golang then checks only at Gather that no
// two collectors report the same series.
type Collector struct {
	r        exporter
	errorsAt *prometheus.Desc
}

// exporter is what a Collector reads: a Registry or a SharedRegistry.
type exporter interface {
	Export(Format) ([]byte, error)
}

// NewCollector returns a Collector of r. The Collector uses r and does not close it.
func NewCollector(r *Registry) *Collector {
	return newCollector(r)
}

// NewSharedCollector returns a Collector of the shared registry r: each Collect reports every
// process's metrics, combined as [SharedRegistry.Export] combines them. The Collector uses r
// and does not close it.
func NewSharedCollector(r *SharedRegistry) *Collector {
	return newCollector(r)
}

func newCollector(r exporter) *Collector {
	return &Collector{
		r:        r,
		errorsAt: prometheus.NewDesc("atomicperf_collector_error", "The atomicperf registry could not be exported.", nil, nil),
	}
}

// Describe sends nothing: the Collector is unchecked (see [Collector]).
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect exports the registry and sends one const metric per exported series. A failed export
// (a closed registry) is sent as an invalid metric, which makes Gather report the error.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	families, err := exportJSON(c.r)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.errorsAt, err)
		return
	}
	for i := range families {
		if err := families[i].collect(ch); err != nil {
			ch <- prometheus.NewInvalidMetric(c.errorsAt, err)
		}
	}
}

// jsonFamily and jsonSeries are the JSON export's schema (Registry::export_json).
type jsonFamily struct {
	Name   string       `json:"name"`
	Kind   string       `json:"kind"` // counter, gauge, histogram, timer, minmax
	Help   string       `json:"help"`
	Labels []string     `json:"labels"`
	Series []jsonSeries `json:"series"`
}

type jsonSeries struct {
	Labels map[string]string `json:"labels"`
	// Counter and gauge.
	Value jsonFloat `json:"value"`
	// Histogram and timer (sum, min, max and bounds in exported units); min and max are also
	// those of a min/max, null while empty.
	Count   uint64       `json:"count"`
	Sum     float64      `json:"sum"`
	Min     *float64     `json:"min"`
	Max     *float64     `json:"max"`
	Buckets []jsonBucket `json:"buckets"`
	// Timer.
	Errors uint64 `json:"errors"`
}

type jsonBucket struct {
	Le    float64 `json:"le"`
	Count uint64  `json:"count"`
}

// jsonFloat is a number, or NaN, +Inf or -Inf spelt as a string (JSON has no such numbers).
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*f = jsonFloat(math.NaN())
		case "+Inf":
			*f = jsonFloat(math.Inf(1))
		case "-Inf":
			*f = jsonFloat(math.Inf(-1))
		default:
			return fmt.Errorf("atomicperf: unexpected value %q in the JSON export", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// exportJSON exports r as JSON and decodes it.
func exportJSON(r exporter) ([]jsonFamily, error) {
	data, err := r.Export(FormatJSON)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Families []jsonFamily `json:"families"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("atomicperf: decoding the JSON export: %w", err)
	}
	return doc.Families, nil
}

// labelValues returns the series' label values in the family's label order.
func (f *jsonFamily) labelValues(s *jsonSeries) []string {
	vs := make([]string, len(f.Labels))
	for i, n := range f.Labels {
		vs[i] = s.Labels[n]
	}
	return vs
}

func (f *jsonFamily) desc(name string) *prometheus.Desc {
	return prometheus.NewDesc(name, f.Help, f.Labels, nil)
}

// collect sends the const metrics of every series of f.
func (f *jsonFamily) collect(ch chan<- prometheus.Metric) error {
	switch f.Kind {
	case "counter":
		d := f.desc(strings.TrimSuffix(f.Name, "_total") + "_total")
		for i := range f.Series {
			s := &f.Series[i]
			m, err := prometheus.NewConstMetric(d, prometheus.CounterValue, float64(s.Value), f.labelValues(s)...)
			if err != nil {
				return err
			}
			ch <- m
		}
	case "gauge":
		d := f.desc(f.Name)
		for i := range f.Series {
			s := &f.Series[i]
			m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, float64(s.Value), f.labelValues(s)...)
			if err != nil {
				return err
			}
			ch <- m
		}
	case "histogram", "timer":
		d := f.desc(f.Name)
		var errs *prometheus.Desc
		if f.Kind == "timer" {
			errs = f.desc(f.Name + "_errors_total")
		}
		for i := range f.Series {
			s := &f.Series[i]
			buckets := make(map[float64]uint64, len(s.Buckets))
			for _, b := range s.Buckets {
				buckets[b.Le] = b.Count
			}
			lv := f.labelValues(s)
			m, err := prometheus.NewConstHistogram(d, s.Count, s.Sum, buckets, lv...)
			if err != nil {
				return err
			}
			ch <- m
			if errs != nil {
				m, err := prometheus.NewConstMetric(errs, prometheus.CounterValue, float64(s.Errors), lv...)
				if err != nil {
					return err
				}
				ch <- m
			}
		}
	case "minmax":
		lo, hi := f.desc(f.Name+"_min"), f.desc(f.Name+"_max")
		for i := range f.Series {
			s := &f.Series[i]
			if s.Min == nil || s.Max == nil {
				continue // empty: not exported, as in the text formats
			}
			lv := f.labelValues(s)
			for _, g := range []struct {
				d *prometheus.Desc
				v float64
			}{{lo, *s.Min}, {hi, *s.Max}} {
				m, err := prometheus.NewConstMetric(g.d, prometheus.GaugeValue, g.v, lv...)
				if err != nil {
					return err
				}
				ch <- m
			}
		}
	default:
		return fmt.Errorf("atomicperf: unknown metric kind %q in the JSON export", f.Kind)
	}
	return nil
}

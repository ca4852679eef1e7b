package atomicperf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestExemplarsAreExportedInOpenMetricsOnly(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	c := r.MustCounter("jobs", "Jobs.", nil)
	if err := c.IncWithExemplar(Labels{"trace_id": "abc"}, time.Unix(1700000000, 500_000_000)); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWithExemplar(5, Labels{"trace_id": strings.Repeat("x", 130)}, time.Time{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("past 128 characters: %v", err)
	}
	if err := c.AddWithExemplar(5, Labels{"1x": "y"}, time.Time{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad name: %v", err)
	}
	if c.Get() != 1 {
		t.Fatalf("refused exemplars added: %d", c.Get())
	}
	h := r.MustHistogram("latency_seconds", "Latency.", nil, HistogramOpts{Buckets: []float64{0.01, 0.1}, Scale: 1e-9})
	if err := h.RecordWithExemplar(50_000_000, Labels{"trace_id": "t1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	om, _ := r.Export(FormatOpenMetrics)
	for _, want := range []string{
		"jobs_total 1 # {trace_id=\"abc\"} 1 1700000000.5\n",
		"latency_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"t1\"} 0.05\n",
	} {
		if !strings.Contains(string(om), want) {
			t.Fatalf("missing %q in\n%s", want, om)
		}
	}
	text, _ := r.Export(FormatPrometheus)
	if strings.Contains(string(text), " # {") {
		t.Fatalf("0.0.4 with an exemplar:\n%s", text)
	}
	c2 := MustNewCounter()
	c2.Close()
	if err := c2.IncWithExemplar(nil, time.Time{}); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
}

// The packed labels (one buffer, the map's order): sorted in the export whatever the order,
// a NUL refused, and a bad label set right after a good one with other names refused (the
// library remembers the names it checked last).
func TestExemplarLabelsPackedInMapOrder(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	c := r.MustCounter("jobs", "Jobs.", nil)
	ex := Labels{"trace_id": "t", "span_id": "s", "a": "1", "z": "2"}
	for i := 0; i < 20; i++ { // a map's iteration order changes from one range to the next
		if err := c.IncWithExemplar(ex, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	om, _ := r.Export(FormatOpenMetrics)
	if want := "jobs_total 20 # {a=\"1\",span_id=\"s\",trace_id=\"t\",z=\"2\"} 1\n"; !strings.Contains(string(om), want) {
		t.Fatalf("missing %q in\n%s", want, om)
	}
	for _, bad := range []Labels{
		{"trace_id": "t\x00", "span_id": "s"},
		{"trace_id\x00": "t"},
		{"trace_id": "t", "1span": "s"},
		{"trace_id": "t", "__span": "s"},
		{"trace_id": strings.Repeat("é", 121)},
	} {
		if err := c.IncWithExemplar(ex, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := c.IncWithExemplar(bad, time.Time{}); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	if err := c.IncWithExemplar(Labels{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if c.Get() != 26 {
		t.Fatalf("count %d, want 26 (refused exemplars add nothing)", c.Get())
	}
	h := r.MustHistogram("latency_seconds", "Latency.", nil, HistogramOpts{Buckets: []float64{0.01, 0.1}, Scale: 1e-9})
	if err := h.RecordWithExemplar(50_000_000, Labels{"span_id": "s1", "trace_id": "t1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := h.RecordWithExemplar(1, Labels{"trace_id": "t", "trace-id": "u"}, time.Time{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad name: %v", err)
	}
	om, _ = r.Export(FormatOpenMetrics)
	if want := "latency_seconds_bucket{le=\"0.1\"} 1 # {span_id=\"s1\",trace_id=\"t1\"} 0.05\n"; !strings.Contains(string(om), want) {
		t.Fatalf("missing %q in\n%s", want, om)
	}
}

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

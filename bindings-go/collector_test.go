package atomicperf

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gathered returns the families that a client_golang registry holding only NewCollector(r)
// gathers, by name.
func gathered(t *testing.T, r *Registry) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(r))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// labelsOf returns the labels of m as name=value pairs joined by commas, sorted by name as
// client_golang sorts them.
func labelsOf(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func TestCollectorReportsEveryKind(t *testing.T) {
	r := newTestRegistry(t)
	r.MustCounter("requests_total", "Requests.", Labels{"code": "200", "method": "GET"}).Add(3)
	r.MustCounter("requests_total", "Requests.", Labels{"code": "500", "method": "GET"}).Inc()
	r.MustCounter("bytes", "Counter registered without _total.", nil).Add(10)
	r.MustGauge("temperature", "Degrees.", Labels{"room": "a"}).Set(21.5)
	r.MustGauge("ratio", "", nil).Set(math.Inf(1))
	h := r.MustHistogram("size_bytes", "Sizes.", Labels{"op": "put"}, HistogramOpts{Buckets: []float64{1, 2, 5}, Scale: 1})
	for _, v := range []uint64{1, 2, 3, 10} {
		h.Record(v)
	}
	tm := r.MustTimer("rule_seconds", "Rule time.", Labels{"rule": "r1"})
	tm.Record(2*time.Millisecond, true)
	tm.Record(3*time.Millisecond, false)
	r.MustMinMax("depth", "Queue depth.", nil).Record(4)
	r.MustMinMax("depth_empty", "Never recorded.", nil)

	fams := gathered(t, r)

	req := fams["requests_total"]
	if req == nil || req.GetType() != dto.MetricType_COUNTER || req.GetHelp() != "Requests." || len(req.GetMetric()) != 2 {
		t.Fatalf("requests_total: %v", req)
	}
	for _, m := range req.GetMetric() {
		want := map[string]float64{"code=200,method=GET": 3, "code=500,method=GET": 1}[labelsOf(m)]
		if m.GetCounter().GetValue() != want {
			t.Errorf("requests_total{%s} = %v, want %v", labelsOf(m), m.GetCounter().GetValue(), want)
		}
	}
	if b := fams["bytes_total"]; b == nil || b.GetMetric()[0].GetCounter().GetValue() != 10 {
		t.Errorf("bytes_total: %v", b)
	}
	if g := fams["temperature"]; g == nil || g.GetType() != dto.MetricType_GAUGE ||
		labelsOf(g.GetMetric()[0]) != "room=a" || g.GetMetric()[0].GetGauge().GetValue() != 21.5 {
		t.Errorf("temperature: %v", g)
	}
	if g := fams["ratio"]; g == nil || !math.IsInf(g.GetMetric()[0].GetGauge().GetValue(), 1) {
		t.Errorf("ratio: %v", g)
	}

	sz := fams["size_bytes"]
	if sz == nil || sz.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("size_bytes: %v", sz)
	}
	hist := sz.GetMetric()[0].GetHistogram()
	if labelsOf(sz.GetMetric()[0]) != "op=put" || hist.GetSampleCount() != 4 || hist.GetSampleSum() != 16 {
		t.Errorf("size_bytes: labels %s count %d sum %v", labelsOf(sz.GetMetric()[0]), hist.GetSampleCount(), hist.GetSampleSum())
	}
	wantBuckets := [][2]float64{{1, 1}, {2, 2}, {5, 3}}
	if len(hist.GetBucket()) != len(wantBuckets) {
		t.Fatalf("size_bytes buckets: %v", hist.GetBucket())
	}
	for i, b := range hist.GetBucket() {
		if b.GetUpperBound() != wantBuckets[i][0] || float64(b.GetCumulativeCount()) != wantBuckets[i][1] {
			t.Errorf("bucket %d: le %v count %d, want %v", i, b.GetUpperBound(), b.GetCumulativeCount(), wantBuckets[i])
		}
	}

	rt := fams["rule_seconds"]
	if rt == nil || rt.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("rule_seconds: %v", rt)
	}
	th := rt.GetMetric()[0].GetHistogram()
	// Default buckets, seconds; the sum within the histogram's precision of 5 ms.
	if th.GetSampleCount() != 2 || math.Abs(th.GetSampleSum()-0.005) > 0.0001 || len(th.GetBucket()) != len(prometheus.DefBuckets) {
		t.Errorf("rule_seconds: count %d sum %v buckets %d", th.GetSampleCount(), th.GetSampleSum(), len(th.GetBucket()))
	}
	if e := fams["rule_seconds_errors_total"]; e == nil || e.GetType() != dto.MetricType_COUNTER ||
		labelsOf(e.GetMetric()[0]) != "rule=r1" || e.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("rule_seconds_errors_total: %v", e)
	}

	for name, want := range map[string]float64{"depth_min": 4, "depth_max": 4} {
		if g := fams[name]; g == nil || g.GetMetric()[0].GetGauge().GetValue() != want {
			t.Errorf("%s: %v", name, g)
		}
	}
	if _, ok := fams["depth_empty_min"]; ok {
		t.Error("an empty MinMax was reported")
	}
}

// The collector's families match the registry's own Prometheus text, line for line, for the
// samples both produce.
func TestCollectorSeesLiveValues(t *testing.T) {
	r := newTestRegistry(t)
	c := r.MustCounter("live_total", "", nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(r))
	for want := 1.0; want <= 3; want++ {
		c.Inc()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if got := mfs[0].GetMetric()[0].GetCounter().GetValue(); got != want {
			t.Fatalf("gather %v: got %v", want, got)
		}
	}
}

func TestCollectorOfAClosedRegistryFailsGather(t *testing.T) {
	r := MustNewRegistry()
	r.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(r))
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Gather: got %v, want the closed error", err)
	}
}

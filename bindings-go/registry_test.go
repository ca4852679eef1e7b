package atomicperf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestRegistry(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// exportLines returns the lines of r's Prometheus export.
func exportLines(t *testing.T, r *Registry) []string {
	t.Helper()
	out, err := r.Export(FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(out), "\n")
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestRegistryGetOrCreateReturnsTheSameMetric(t *testing.T) {
	r := newTestRegistry(t)

	// Same name and labels, labels in another order: the same cells.
	c1 := r.MustCounter("requests_total", "Requests.", LabelPairs("method", "GET", "code", "200"))
	c2 := r.MustCounter("requests_total", "ignored: help is kept from the first registration", Labels{"code": "200", "method": "GET"})
	other := r.MustCounter("requests_total", "", Labels{"code": "500", "method": "GET"})
	c1.Inc()
	c2.Add(2)
	other.Inc()
	if c1.Get() != 3 || c2.Get() != 3 || other.Get() != 1 {
		t.Fatalf("counters: %d %d %d, want 3 3 1", c1.Get(), c2.Get(), other.Get())
	}

	g1 := r.MustGauge("temperature", "Degrees.", nil)
	g2 := r.MustGauge("temperature", "Degrees.", Labels{})
	g1.Set(21.5)
	g2.Add(0.5)
	if g1.Get() != 22 {
		t.Fatalf("gauge: %v, want 22", g1.Get())
	}

	h1 := r.MustHistogram("latency_seconds", "Latency.", nil, HistogramOpts{})
	h2 := r.MustHistogram("latency_seconds", "Latency.", nil, HistogramOpts{Buckets: []float64{1}}) // ignored
	h1.Record(1000)
	h2.Record(2000)
	if h1.Count() != 2 || h2.Sum() != 3000 {
		t.Fatalf("histogram: count %d sum %d, want 2 3000", h1.Count(), h2.Sum())
	}

	t1 := r.MustTimer("rule_seconds", "Rules.", Labels{"rule": "a"})
	t2 := r.MustTimer("rule_seconds", "Rules.", Labels{"rule": "a"})
	t1.Record(time.Millisecond, true)
	t2.Record(time.Millisecond, false)
	if s := t1.Stats(); s.Count != 2 || s.Errors != 1 {
		t.Fatalf("timer stats %+v, want count 2 errors 1", s)
	}

	m1 := r.MustMinMax("queue_depth", "Depth.", nil)
	m2 := r.MustMinMax("queue_depth", "Depth.", nil)
	m1.Record(7)
	m2.Record(3)
	if lo, _ := m1.Min(); lo != 3 {
		t.Fatalf("minmax min %d, want 3", lo)
	}
	if hi, _ := m2.Max(); hi != 7 {
		t.Fatalf("minmax max %d, want 7", hi)
	}

	lines := exportLines(t, r)
	for _, want := range []string{
		`# HELP requests_total Requests.`,
		`# TYPE requests_total counter`,
		`requests_total{code="200",method="GET"} 3`,
		`requests_total{code="500",method="GET"} 1`,
		`temperature 22`,
		`latency_seconds_count 2`,
		`rule_seconds_errors_total{rule="a"} 1`,
		`queue_depth_min 3`,
		`queue_depth_max 7`,
	} {
		if !hasLine(lines, want) {
			t.Errorf("export lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestRegistryCounterFromGoroutinesIsExactInExport(t *testing.T) {
	r := newTestRegistry(t)
	const goroutines, perG = 8, 100_000
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine looks the counter up on every increment, as code written for
			// client_golang's WithLabelValues does: the first look-up creates the series, the
			// others find the cached Go value.
			labels := Labels{"route": "/x"}
			for range perG {
				r.MustCounter("hits_total", "Hits.", labels).Inc()
			}
		}()
	}
	wg.Wait()
	if !hasLine(exportLines(t, r), fmt.Sprintf(`hits_total{route="/x"} %d`, goroutines*perG)) {
		t.Fatalf("export:\n%s", strings.Join(exportLines(t, r), "\n"))
	}
	families, err := exportJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || len(families[0].Series) != 1 || families[0].Series[0].Value != goroutines*perG {
		t.Fatalf("JSON export %+v, want one series of %d", families, goroutines*perG)
	}
}

func TestRegistryMetricCloseKeepsTheRegisteredMetric(t *testing.T) {
	r := newTestRegistry(t)
	c := r.MustCounter("jobs_total", "", nil)
	c.Add(5)
	// Every look-up shares this Go value: closing it must not stop it for the others.
	c.Close()
	c.Inc()
	again := r.MustCounter("jobs_total", "", nil)
	again.Inc()
	if again.Get() != 7 {
		t.Fatalf("got %d, want 7", again.Get())
	}
	h := r.MustHistogram("lat", "", nil, HistogramOpts{})
	h.Close()
	h.Record(5)
	if r.MustHistogram("lat", "", nil, HistogramOpts{}).Count() != 1 {
		t.Fatal("Close stopped a registry histogram")
	}
	if !hasLine(exportLines(t, r), "jobs_total 7") {
		t.Fatal("closed Go value removed the metric from the export")
	}
}

func TestRegistryErrors(t *testing.T) {
	r := newTestRegistry(t)
	r.MustCounter("taken_total", "", Labels{"a": "1"})
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"invalid metric name", func() error { _, err := r.Counter("1bad", "", nil); return err }},
		{"empty metric name", func() error { _, err := r.Gauge("", "", nil); return err }},
		{"invalid label name", func() error { _, err := r.Counter("ok_total", "", Labels{"bad-label": "x"}); return err }},
		{"reserved label name", func() error { _, err := r.Counter("ok2_total", "", Labels{"__name__": "x"}); return err }},
		{"another kind", func() error { _, err := r.Gauge("taken_total", "", Labels{"a": "1"}); return err }},
		{"another label set", func() error { _, err := r.Counter("taken_total", "", Labels{"b": "1"}); return err }},
		{"no labels for a labelled family", func() error { _, err := r.Counter("taken_total", "", nil); return err }},
		{"NUL in name", func() error { _, err := r.Counter("a\x00b", "", nil); return err }},
		{"NUL in help", func() error { _, err := r.Counter("nul_help_total", "a\x00b", nil); return err }},
		{"NUL in label value", func() error { _, err := r.Counter("nul_value_total", "", Labels{"a": "\x00"}); return err }},
		{"invalid UTF-8 label value", func() error { _, err := r.MinMax("utf8", "", Labels{"a": "\xff"}); return err }},
		{"decreasing buckets", func() error {
			_, err := r.Histogram("h1", "", nil, HistogramOpts{Buckets: []float64{2, 1}})
			return err
		}},
		{"infinite bucket", func() error {
			_, err := r.Histogram("h2", "", nil, HistogramOpts{Buckets: []float64{1, math.Inf(1)}})
			return err
		}},
		{"negative scale", func() error { _, err := r.Histogram("h3", "", nil, HistogramOpts{Scale: -1}); return err }},
		{"timer as histogram", func() error {
			r.MustTimer("t_seconds", "", nil)
			_, err := r.Histogram("t_seconds", "", nil, HistogramOpts{})
			return err
		}},
		{"invalid registry name", func() error { _, err := NamedRegistry("a\xffb"); return err }},
		{"NUL in registry name", func() error { _, err := NamedRegistry("a\x00b"); return err }},
	} {
		err := c.call()
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", c.name, err)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Errorf("%s: %v is not an *Error with a message", c.name, err)
		}
	}
	// Nothing was registered by the failures.
	out, _ := r.Export(FormatJSON)
	for _, name := range []string{"ok_total", "ok2_total", "h1", "h2", "h3", "utf8", "nul_help_total"} {
		if strings.Contains(string(out), `"`+name+`"`) {
			t.Errorf("failed registration of %s left a family: %s", name, out)
		}
	}
	if _, err := r.Export(Format(99)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Export(99): got %v, want ErrOutOfRange", err)
	}
	r.Close()
	if _, err := r.Counter("after_close_total", "", nil); err != ErrClosed {
		t.Errorf("Counter after Close: got %v, want ErrClosed", err)
	}
	if _, err := r.Export(FormatPrometheus); err != ErrClosed {
		t.Errorf("Export after Close: got %v, want ErrClosed", err)
	}
}

func TestLabelPairsPanicsOnOddArguments(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	LabelPairs("a")
}

func TestRegistryDefaultAndNamedAreShared(t *testing.T) {
	name := fmt.Sprintf("go_test_shared_%d_total", time.Now().UnixNano())
	a, b := DefaultRegistry(), DefaultRegistry()
	defer a.Close()
	defer b.Close()
	a.MustCounter(name, "", nil).Add(2)
	if got := b.MustCounter(name, "", nil).Get(); got != 2 {
		t.Fatalf("default registry: got %d, want 2", got)
	}

	n1, n2, other := MustNamedRegistry("go-tests"), MustNamedRegistry("go-tests"), MustNamedRegistry("go-tests-other")
	defer n1.Close()
	defer n2.Close()
	defer other.Close()
	n1.MustGauge(name, "", nil).Set(3)
	if got := n2.MustGauge(name, "", nil).Get(); got != 3 {
		t.Fatalf("named registry: got %v, want 3", got)
	}
	if got := other.MustGauge(name, "", nil).Get(); got != 0 {
		t.Fatalf("another named registry shares the gauge: %v", got)
	}
	// The default registry is not the named one: the name is a counter there.
	if _, err := a.Gauge(name, "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("default registry: got %v, want ErrInvalidArgument for another kind", err)
	}
}

func TestRegistryExportFormats(t *testing.T) {
	r := newTestRegistry(t)
	r.MustCounter("events_total", "Events.", Labels{"kind": `a "quoted"\ value`}).Add(4)
	r.MustGauge("ratio", "", nil).Set(math.NaN())
	h := r.MustHistogram("size_bytes", "Sizes.", Labels{"op": "put"}, HistogramOpts{Buckets: []float64{1, 2, 5}, Scale: 1})
	for _, v := range []uint64{1, 2, 3, 10} {
		h.Record(v)
	}

	prom, err := r.Export(FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`events_total{kind="a \"quoted\"\\ value"} 4`,
		`ratio NaN`,
		`size_bytes_bucket{op="put",le="1"} 1`,
		`size_bytes_bucket{op="put",le="2"} 2`,
		`size_bytes_bucket{op="put",le="5"} 3`,
		`size_bytes_bucket{op="put",le="+Inf"} 4`,
		`size_bytes_sum{op="put"} 16`,
		`size_bytes_count{op="put"} 4`,
	} {
		if !strings.Contains(string(prom), want+"\n") {
			t.Errorf("Prometheus export lacks %q:\n%s", want, prom)
		}
	}

	om, err := r.Export(FormatOpenMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(om), "# EOF\n") || !strings.Contains(string(om), "# TYPE events counter\n") {
		t.Errorf("OpenMetrics export:\n%s", om)
	}

	families, err := exportJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]jsonFamily{}
	for _, f := range families {
		byName[f.Name] = f
	}
	sz := byName["size_bytes"]
	if sz.Kind != "histogram" || len(sz.Series) != 1 || sz.Series[0].Count != 4 || sz.Series[0].Sum != 16 ||
		len(sz.Series[0].Buckets) != 3 || sz.Series[0].Buckets[2] != (jsonBucket{Le: 5, Count: 3}) {
		t.Errorf("JSON histogram %+v", sz)
	}
	if v := float64(byName["ratio"].Series[0].Value); v == v {
		t.Errorf("JSON gauge NaN decoded as %v", v)
	}
	if !json.Valid(mustExport(t, r, FormatJSON)) {
		t.Error("JSON export is not valid JSON")
	}
}

func mustExport(t *testing.T, r *Registry, f Format) []byte {
	t.Helper()
	out, err := r.Export(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Exports larger than the first buffer, and growing between exports, are retried in full.
func TestRegistryExportGrows(t *testing.T) {
	r := newTestRegistry(t)
	for round, n := range []int{10, 3000, 6000} {
		for i := 0; i < n; i++ {
			r.MustCounter("series_total", "Many series.", Labels{"id": fmt.Sprint(i)}).Inc()
		}
		out := mustExport(t, r, FormatPrometheus)
		if got := strings.Count(string(out), "\nseries_total{"); got != n {
			t.Fatalf("round %d: %d series exported, want %d", round, got, n)
		}
	}
}

// More than 16 labels take the C helper's malloc path.
func TestRegistryManyLabels(t *testing.T) {
	r := newTestRegistry(t)
	labels := Labels{}
	for i := range 20 {
		labels[fmt.Sprintf("l%02d", i)] = strings.Repeat("v", 40) // also past the 512-byte stack buffer
	}
	r.MustCounter("wide_total", "", labels).Add(3)
	if got := r.MustCounter("wide_total", "", labels).Get(); got != 3 {
		t.Fatalf("got %d, want 3", got)
	}
}

func TestRegistryHandler(t *testing.T) {
	r := newTestRegistry(t)
	r.MustCounter("http_requests_total", "Requests served.", Labels{"code": "200"}).Add(7)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ContentTypePrometheus {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), "http_requests_total{code=\"200\"} 7\n") {
		t.Fatalf("body:\n%s", body)
	}

	head, err := http.Head(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK || head.ContentLength != int64(len(body)) {
		t.Fatalf("HEAD: status %d, length %d, want %d", head.StatusCode, head.ContentLength, len(body))
	}

	r.Close()
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("closed registry: status %d, want 500", resp.StatusCode)
	}
}

func TestFormatNames(t *testing.T) {
	for f, want := range map[Format][2]string{
		FormatPrometheus:  {"prometheus", ContentTypePrometheus},
		FormatOpenMetrics: {"openmetrics", ContentTypeOpenMetrics},
		FormatJSON:        {"json", ContentTypeJSON},
		Format(7):         {"Format(7)", ""},
	} {
		if f.String() != want[0] || f.ContentType() != want[1] {
			t.Errorf("%d: %q %q, want %q", uint32(f), f.String(), f.ContentType(), want)
		}
	}
}

func TestRegistryRefusesFamiliesWhoseExportedSeriesCollide(t *testing.T) {
	for _, c := range []struct {
		name          string
		first, second func(r *Registry) error
	}{
		{"counter x, counter x_total",
			func(r *Registry) error { _, err := r.Counter("x", "", nil); return err },
			func(r *Registry) error { _, err := r.Counter("x_total", "", nil); return err }},
		{"counter x, gauge x_total",
			func(r *Registry) error { _, err := r.Counter("x", "", nil); return err },
			func(r *Registry) error { _, err := r.Gauge("x_total", "", nil); return err }},
		{"histogram h, gauge h_count",
			func(r *Registry) error { _, err := r.Histogram("h", "", nil, HistogramOpts{}); return err },
			func(r *Registry) error { _, err := r.Gauge("h_count", "", nil); return err }},
		{"minmax m, gauge m_min",
			func(r *Registry) error { _, err := r.MinMax("m", "", nil); return err },
			func(r *Registry) error { _, err := r.Gauge("m_min", "", nil); return err }},
		{"timer t, counter t_errors",
			func(r *Registry) error { _, err := r.Timer("t", "", nil); return err },
			func(r *Registry) error { _, err := r.Counter("t_errors", "", nil); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRegistry(t)
			if err := c.first(r); err != nil {
				t.Fatal(err)
			}
			err := c.second(r)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "would export series named") {
				t.Fatalf("second registration: got %v", err)
			}
		})
	}
}

func TestRegistrySeriesLimitRefusesNewSeriesAndCountsThem(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.SetSeriesLimit(2); err != nil {
		t.Fatal(err)
	}
	a := r.MustCounter("req", "", Labels{"user": "a"})
	r.MustCounter("req", "", Labels{"user": "b"})
	if _, err := r.Counter("req", "", Labels{"user": "c"}); !errors.Is(err, ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "series limit (2)") {
		t.Fatalf("third series: got %v", err)
	}
	a.Inc()
	series, limit, refused, err := r.SeriesStats()
	if err != nil || series != 2 || limit != 2 || refused != 1 {
		t.Fatalf("SeriesStats() = %d, %d, %d, %v; want 2, 2, 1", series, limit, refused, err)
	}
	if err := r.SetSeriesLimit(0); err != nil {
		t.Fatal(err)
	}
	r.MustCounter("req", "", Labels{"user": "c"})
}

func TestRegistryRepeatedLookUpIsCachedAllocatesNothingAndStillReportsErrors(t *testing.T) {
	r := newTestRegistry(t)
	labels := Labels{"method": "GET", "code": "200"}
	c := r.MustCounter("cached_total", "Cached.", labels)
	if again := r.MustCounter("cached_total", "Cached.", Labels{"code": "200", "method": "GET"}); again != c {
		t.Fatal("a repeated look-up returned another Go value")
	}
	if n := testing.AllocsPerRun(100, func() { r.MustCounter("cached_total", "Cached.", labels).Inc() }); n != 0 {
		t.Errorf("a cached look-up allocates %v times", n)
	}
	opts := HistogramOpts{Buckets: []float64{0.1, 1}}
	h := r.MustHistogram("cached_seconds", "", labels, opts)
	if n := testing.AllocsPerRun(100, func() { r.MustHistogram("cached_seconds", "", labels, opts).Record(1) }); n != 0 {
		t.Errorf("a cached histogram look-up allocates %v times", n)
	}
	// A cache hit never hides an error a fresh look-up gives.
	for name, call := range map[string]func() error{
		"another kind":      func() error { _, err := r.Gauge("cached_total", "Cached.", labels); return err },
		"another label set": func() error { _, err := r.Counter("cached_total", "Cached.", Labels{"method": "GET"}); return err },
		"more labels": func() error {
			_, err := r.Counter("cached_total", "Cached.", Labels{"method": "GET", "code": "200", "x": "1"})
			return err
		},
		"NUL in help":    func() error { _, err := r.Counter("cached_total", "Cached.\x00", labels); return err },
		"histogram kind": func() error { _, err := r.Timer("cached_seconds", "", labels); return err },
	} {
		if err := call(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", name, err)
		}
	}
	// Options are used only when the family is created, by a fresh look-up as by a cached one.
	if h2, err := r.Histogram("cached_seconds", "", labels, HistogramOpts{Buckets: []float64{5}}); err != nil || h2 == h {
		t.Errorf("look-up with other options: %v (same Go value: %v)", err, h2 == h)
	} else if h2.Record(1); h.Count() != h2.Count() {
		t.Errorf("same series, different counts: %d and %d", h.Count(), h2.Count())
	}
	// Another help text is another key, but the same series.
	other := r.MustCounter("cached_total", "Other help.", labels)
	other.Inc()
	if c.Get() != other.Get() {
		t.Errorf("same series, different counts: %d and %d", c.Get(), other.Get())
	}
	// Close does nothing to a registry's metric: the cached value goes on working for everyone.
	before := c.Get()
	c.Close()
	c.Inc()
	if again := r.MustCounter("cached_total", "Cached.", labels); again != c || again.Get() != before+1 {
		t.Errorf("look-up after Close: same value %v, count %d, want %d", again == c, again.Get(), before+1)
	}
	h.Close()
	r.Close()
	if _, err := r.Counter("cached_total", "Other help.", labels); err != ErrClosed {
		t.Errorf("cached look-up after the registry's Close: got %v, want ErrClosed", err)
	}
}

package atomicperf

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// processSample returns the value of the sample line named series in a text exposition.
func processSample(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no sample %s in\n%s", series, text)
	return 0
}

// vmRSS returns VmRSS of /proc/self/status, in bytes.
func vmRSS(t *testing.T) float64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func TestProcessMetricsInTheExport(t *testing.T) {
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The second call, under the other name, does nothing.
	for _, register := range []func() error{r.RegisterProcessMetrics, r.RegisterDefaultMetrics} {
		if err := register(); err != nil {
			t.Fatal(err)
		}
	}
	body, err := r.Export(FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for _, want := range []string{
		"# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n",
		"# TYPE process_max_fds gauge\n",
		"# TYPE process_start_time_seconds gauge\n",
		"# TYPE process_virtual_memory_bytes gauge\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	rss, want := processSample(t, text, "process_resident_memory_bytes"), vmRSS(t)
	if rss < want/2 || rss > want*2 {
		t.Errorf("process_resident_memory_bytes %v, VmRSS %v", rss, want)
	}
	// Read at export time: 16 more open files show in the next export.
	fds := processSample(t, text, "process_open_fds")
	var files []*os.File
	for range 16 {
		f, err := os.Open("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	body, _ = r.Export(FormatPrometheus)
	if got := processSample(t, string(body), "process_open_fds"); got < fds+16 {
		t.Errorf("process_open_fds %v with 16 more files open, %v before", got, fds)
	}
	for _, f := range files {
		f.Close()
	}
	// The names are taken.
	if _, err := r.Gauge("process_open_fds", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a gauge process_open_fds: %v", err)
	}
	if _, err := r.Counter("process_cpu_seconds", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a counter process_cpu_seconds: %v", err)
	}
}

func TestProcessMetricsRefusedOverAFamilyOfTheSameName(t *testing.T) {
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.MustGauge("process_max_fds", "Mine.", nil)
	err = r.RegisterProcessMetrics()
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "process_max_fds") {
		t.Fatalf("RegisterProcessMetrics over a gauge process_max_fds: %v", err)
	}
	if series, _, _, _ := r.SeriesStats(); series != 1 {
		t.Errorf("%d series after a refusal, want 1", series)
	}
	r.Close()
	if err := r.RegisterProcessMetrics(); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// The README's combination: client_golang's Go runtime collector and this registry (with its
// process metrics) in one client_golang registry, served by promhttp.
func TestProcessMetricsBesideClientGolangsGoCollector(t *testing.T) {
	r, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.RegisterProcessMetrics(); err != nil {
		t.Fatal(err)
	}
	r.MustCounter("jobs_done", "Jobs done.", nil).Inc()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), NewCollector(r))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, text)
	}
	for _, want := range []string{
		"# TYPE go_goroutines gauge\n",
		"# TYPE process_cpu_seconds_total counter\n",
		"# TYPE process_open_fds gauge\n",
		"jobs_done_total 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the scrape", want)
		}
	}
	if n := strings.Count(text, "# TYPE process_resident_memory_bytes "); n != 1 {
		t.Errorf("process_resident_memory_bytes %d times", n)
	}
	// Beside client_golang's own process collector, the series would be there twice: Gather
	// refuses that, which is why the README says to leave it out.
	both := prometheus.NewRegistry()
	both.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), NewCollector(r))
	if _, err := both.Gather(); err == nil {
		t.Error("client_golang's process collector beside RegisterProcessMetrics gathered without error")
	}
}

func ExampleRegistry_RegisterProcessMetrics() {
	r, _ := NewRegistry()
	defer r.Close()
	if err := r.RegisterProcessMetrics(); err != nil {
		fmt.Println(err)
		return
	}
	// Go runtime metrics from client_golang, process metrics from atomicperf, one scrape.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), NewCollector(r))
	families, _ := reg.Gather()
	for _, f := range families {
		if name := f.GetName(); name == "go_goroutines" || strings.HasPrefix(name, "process_") {
			fmt.Println(name, f.GetType())
		}
	}
	// Output:
	// go_goroutines GAUGE
	// process_cpu_seconds_total COUNTER
	// process_max_fds GAUGE
	// process_open_fds GAUGE
	// process_resident_memory_bytes GAUGE
	// process_start_time_seconds GAUGE
	// process_virtual_memory_bytes GAUGE
}

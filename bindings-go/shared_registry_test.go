package atomicperf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// SharedRegistry across processes: the test binary runs itself again as child processes
// (TestMain below runs the child's part when APGO_SHARED_CHILD names one), each opening the
// segment by path on its own, as separate programs would. Go cannot fork without exec, so
// handles are never inherited: every process registers its own.

const (
	childEnv     = "APGO_SHARED_CHILD" // the child's role
	childPathEnv = "APGO_SHARED_PATH"  // the segment
	childArgEnv  = "APGO_SHARED_ARG"   // the role's argument

	sharedProcesses  = 4
	sharedGoroutines = 4
	sharedIncrements = 100_000
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(sharedChild(role, os.Getenv(childPathEnv), os.Getenv(childArgEnv)))
	}
	os.Exit(m.Run())
}

// sharedChild runs the part of a child process: 0 when it did it, 1 (with a message on stderr)
// when something failed.
func sharedChild(role, path, arg string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
		return 1
	}
	if role == "open" {
		// arg is a substring of the error that opening must give (and no crash).
		_, err := OpenSharedRegistry(path, &SharedOptions{OpenExisting: true})
		if err == nil || !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), arg) {
			return fail(fmt.Errorf("open %s: error %v, want one with %q", path, err, arg))
		}
		return 0
	}
	r, err := OpenSharedRegistry(path, &SharedOptions{OpenExisting: true})
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	switch role {
	case "count":
		// sharedGoroutines goroutines count arg increments each; the histogram, timer and a
		// sum gauge get known values.
		n, err := strconv.Atoi(arg)
		if err != nil {
			return fail(err)
		}
		jobs, err := r.Counter("jobs", "Jobs done.", Labels{"queue": "mail"})
		if err != nil {
			return fail(err)
		}
		latency := r.MustHistogram("job_seconds", "Job time.", nil, HistogramOpts{})
		rule := r.MustTimer("rule", "Rule time.", nil)
		workers := r.MustGauge("workers", "Workers.", nil, GaugeModeSum)
		var wg sync.WaitGroup
		for range sharedGoroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n {
					jobs.Inc()
				}
			}()
		}
		for range 1000 {
			latency.Record(2_000_000) // 2 ms
		}
		for i := range 500 {
			rule.Record(time.Millisecond, i%5 != 0) // 100 failures
		}
		workers.Inc()
		wg.Wait()
	case "hold":
		// A busy worker: +1 on a livesum gauge, 1,000 served, "ready" on stdout, then -1 once
		// stdin closes (never, when killed).
		busy := r.MustGauge("busy", "Busy workers.", nil, GaugeModeLiveSum)
		served := r.MustCounter("served", "", nil)
		busy.Inc()
		for range 1000 {
			served.Inc()
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		busy.Dec()
	case "gauges":
		// Sets every mode's gauge to arg, and exits.
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil {
			return fail(err)
		}
		for _, m := range allGaugeModes {
			g, err := r.Gauge("g_"+m.String(), "", nil, m)
			if err != nil {
				return fail(err)
			}
			g.Set(v)
		}
	case "fullgauge":
		// The process table has no slot for this process: the gauge is a clear error.
		_, err := r.Gauge("g", "", nil, GaugeModeSum)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "process table") {
			return fail(fmt.Errorf("gauge: %v, want ErrInvalidArgument about the process table", err))
		}
	case "export":
		// Writes the three exports to arg.prom, arg.om and arg.json.
		for ext, f := range map[string]Format{"prom": FormatPrometheus, "om": FormatOpenMetrics, "json": FormatJSON} {
			text, err := r.Export(f)
			if err != nil {
				return fail(err)
			}
			if err := os.WriteFile(arg+"."+ext, text, 0o600); err != nil {
				return fail(err)
			}
		}
	default:
		return fail(errors.New("unknown role"))
	}
	return 0
}

var allGaugeModes = []GaugeMode{GaugeModeAll, GaugeModeLiveAll, GaugeModeSum, GaugeModeLiveSum,
	GaugeModeMax, GaugeModeLiveMax, GaugeModeMin, GaugeModeLiveMin, GaugeModeMostRecent}

// child returns the command that runs this test binary as a child with role, on the segment
// path, with arg.
func child(t *testing.T, role, path, arg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+role, childPathEnv+"="+path, childArgEnv+"="+arg)
	cmd.Stderr = &strings.Builder{}
	return cmd
}

// runChild runs a child to its end and fails the test unless it exits with 0.
func runChild(t *testing.T, role, path, arg string) {
	t.Helper()
	cmd := child(t, role, path, arg)
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %s: %v\n%s", role, err, cmd.Stderr)
	}
}

// newShared opens a new segment in the test's temporary directory.
func newShared(t *testing.T, opts *SharedOptions) (*SharedRegistry, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "segment")
	r, err := OpenSharedRegistry(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, path
}

// sampleOf returns the value of the sample whose name and labels are series in a text export,
// and whether there is one.
func sampleOf(text []byte, series string) (float64, bool) {
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

func exportOf(t *testing.T, r interface{ Export(Format) ([]byte, error) }, f Format) []byte {
	t.Helper()
	text, err := r.Export(f)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// wantSample fails the test unless the export of r has series with value want.
func wantSample(t *testing.T, r *SharedRegistry, series string, want float64) {
	t.Helper()
	text := exportOf(t, r, FormatPrometheus)
	if got, ok := sampleOf(text, series); !ok || got != want {
		t.Fatalf("%s = %v (present: %v), want %v in\n%s", series, got, ok, want, text)
	}
}

func TestSharedRegistryProcessesCountExactlyIntoOneSeries(t *testing.T) {
	r, path := newShared(t, nil)
	jobs := r.MustCounter("jobs", "Jobs done.", Labels{"queue": "mail"})
	jobs.Add(7) // the parent's own, direct
	var wg sync.WaitGroup
	errs := make(chan error, sharedProcesses)
	for range sharedProcesses {
		cmd := child(t, "count", path, strconv.Itoa(sharedIncrements))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Run(); err != nil {
				errs <- fmt.Errorf("%v\n%s", err, cmd.Stderr)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const total = sharedProcesses*sharedGoroutines*sharedIncrements + 7
	// Every direct Inc of every goroutine of every process, read by the parent's handle.
	if got := jobs.Get(); got != total {
		t.Fatalf("Get() = %d, want %d", got, total)
	}
	wantSample(t, r, `jobs_total{queue="mail"}`, total)
	// Histograms and timers add up across processes.
	h := r.MustHistogram("job_seconds", "", nil, HistogramOpts{})
	if h.Count() != sharedProcesses*1000 || h.Sum() != sharedProcesses*1000*2_000_000 {
		t.Fatalf("histogram count %d sum %d, want %d and %d", h.Count(), h.Sum(), sharedProcesses*1000, sharedProcesses*1000*2_000_000)
	}
	if q, err := h.Quantile(0.5); err != nil || math.Abs(float64(q)-2e6) > 2e6/100 {
		t.Fatalf("median %d (%v), want 2 ms within 1%%", q, err)
	}
	wantSample(t, r, "job_seconds_count", sharedProcesses*1000)
	wantSample(t, r, "job_seconds_sum", sharedProcesses*1000*0.002)
	s := r.MustTimer("rule", "", nil).Stats()
	if s.Count != sharedProcesses*500 || s.Errors != sharedProcesses*100 || s.Total != sharedProcesses*500*time.Millisecond {
		t.Fatalf("timer %+v, want %d runs, %d errors, %v in all", s, sharedProcesses*500, sharedProcesses*100, sharedProcesses*500*time.Millisecond)
	}
	wantSample(t, r, "rule_errors_total", sharedProcesses*100)
	wantSample(t, r, "rule_count", sharedProcesses*500)
	// Exited processes still count in a sum gauge.
	wantSample(t, r, "workers", sharedProcesses)

	// Another process exports the same text as this one, in every format.
	out := filepath.Join(t.TempDir(), "export")
	runChild(t, "export", path, out)
	for ext, f := range map[string]Format{"prom": FormatPrometheus, "om": FormatOpenMetrics, "json": FormatJSON} {
		theirs, err := os.ReadFile(out + "." + ext)
		if err != nil {
			t.Fatal(err)
		}
		if ours := exportOf(t, r, f); string(ours) != string(theirs) {
			t.Errorf("%v: the child exported\n%s\nthe parent\n%s", f, theirs, ours)
		}
	}
}

func TestSharedRegistryLiveSumGaugeDropsAProcessKilledWithSIGKILL(t *testing.T) {
	r, path := newShared(t, nil)
	busy := r.MustGauge("busy", "Busy workers.", nil, GaugeModeLiveSum)
	busy.Set(0.5) // the parent's own value
	var holders []*exec.Cmd
	var releases []io.WriteCloser
	t.Cleanup(func() {
		for _, c := range holders {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	for range 3 {
		cmd := child(t, "hold", path, "")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, cmd)
		releases = append(releases, stdin)
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			t.Fatalf("child said %q (%v)\n%s", line, err, cmd.Stderr)
		}
	}
	wantSample(t, r, "busy", 3.5)
	// SIGKILL: no hook runs in the child, and its value drops out of the live sum by itself.
	if err := holders[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := holders[0].Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("killed child: %v", err)
	}
	holders = holders[1:]
	wantSample(t, r, "busy", 2.5)
	wantSample(t, r, "served_total", 3000) // counts never go back
	for _, w := range releases[1:] {
		w.Close()
	}
	for _, c := range holders {
		if err := c.Wait(); err != nil {
			t.Fatalf("child: %v\n%s", err, c.Stderr)
		}
	}
	holders = nil
	wantSample(t, r, "busy", 0.5)
	if busy.Get() != 0.5 {
		t.Fatalf("the parent's own value is %v, want 0.5", busy.Get())
	}
}

func TestSharedRegistryGaugeModesCombineTheProcessesValues(t *testing.T) {
	r, path := newShared(t, nil)
	for _, m := range allGaugeModes {
		r.MustGauge("g_"+m.String(), "", nil, m).Set(5)
	}
	runChild(t, "gauges", path, "1")
	runChild(t, "gauges", path, "7")
	text := exportOf(t, r, FormatPrometheus)
	for series, want := range map[string]float64{
		"g_sum": 13, "g_livesum": 5, "g_max": 7, "g_livemax": 5, "g_min": 1, "g_livemin": 5,
		"g_mostrecent": 7, fmt.Sprintf(`g_liveall{pid="%d"}`, os.Getpid()): 5,
		fmt.Sprintf(`g_all{pid="%d"}`, os.Getpid()): 5,
	} {
		if got, ok := sampleOf(text, series); !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	if n := strings.Count(string(text), "g_all{pid="); n != 3 {
		t.Errorf("g_all has %d series, want 3 (one per process)\n%s", n, text)
	}
	if n := strings.Count(string(text), "g_liveall{pid="); n != 1 {
		t.Errorf("g_liveall has %d series, want 1 (the live parent)\n%s", n, text)
	}
	// This process's handle reads its own value; mostrecent's is everyone's.
	if g := r.MustGauge("g_sum", "", nil, GaugeModeSum); g.Get() != 5 {
		t.Errorf("own sum value %v, want 5", g.Get())
	}
	if g := r.MustGauge("g_mostrecent", "", nil, GaugeModeMostRecent); g.Get() != 7 {
		t.Errorf("mostrecent %v, want 7", g.Get())
	}
	// Another mode for a registered gauge is refused, by the library (not served by the cache).
	if _, err := r.Gauge("g_sum", "", nil, GaugeModeMax); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("another mode: %v, want ErrInvalidArgument", err)
	}
	if _, err := r.Gauge("g_new", "", nil, GaugeMode(42)); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "unknown gauge mode") {
		t.Errorf("unknown mode: %v, want ErrOutOfRange", err)
	}
	if _, err := r.Gauge("g_pid", "", Labels{"pid": "1"}, 0); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("pid label: %v, want ErrInvalidArgument (reserved)", err)
	}
	for m, name := range map[GaugeMode]string{0: "all", GaugeModeLiveSum: "livesum", GaugeModeMostRecent: "mostrecent", 42: "GaugeMode(42)"} {
		if m.String() != name {
			t.Errorf("GaugeMode(%d).String() = %q, want %q", m, m.String(), name)
		}
	}
}

func TestSharedRegistryMirrorsRegistryAndExportsTheSameText(t *testing.T) {
	shared, _ := newShared(t, nil)
	local := newTestRegistry(t)
	type registry interface {
		Counter(name, help string, labels Labels) (*Counter, error)
		Histogram(name, help string, labels Labels, opts HistogramOpts) (*Histogram, error)
		Timer(name, help string, labels Labels) (*Timer, error)
		Export(Format) ([]byte, error)
	}
	for _, r := range []registry{shared, local} {
		c, _ := r.Counter("requests", "Requests.", LabelPairs("code", "200", "method", "GET"))
		c.Add(3)
		h, _ := r.Histogram("size", "Sizes.", nil, HistogramOpts{Buckets: []float64{1, 10}, Scale: 1})
		h.Record(4)
		tm, _ := r.Timer("rule", "Rule time.", Labels{"rule": "a"})
		tm.Record(250*time.Millisecond, false)
	}
	shared.MustGauge("temperature", "Degrees.", nil, GaugeModeMostRecent).Set(21.5)
	local.MustGauge("temperature", "Degrees.", nil).Set(21.5)
	for _, f := range []Format{FormatPrometheus, FormatOpenMetrics, FormatJSON} {
		if s, l := exportOf(t, shared, f), exportOf(t, local, f); string(s) != string(l) {
			t.Errorf("%v: shared\n%s\nlocal\n%s", f, s, l)
		}
	}
	if _, err := shared.Export(Format(9)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("unknown format: %v, want ErrOutOfRange", err)
	}
	// Look-ups: the same Go value for the same name and labels in any order, from the cache.
	c1 := shared.MustCounter("requests", "", Labels{"method": "GET", "code": "200"})
	if c2 := shared.MustCounter("requests", "", LabelPairs("code", "200", "method", "GET")); c1 != c2 {
		t.Error("two look-ups of one series gave two Go values")
	}
	labels := Labels{"method": "GET", "code": "200"}
	if n := testing.AllocsPerRun(100, func() { shared.MustCounter("requests", "", labels) }); n != 0 {
		t.Errorf("a repeated look-up allocates %v times", n)
	}
	c1.Close() // owned by the registry: does nothing
	c1.Inc()
	if c1.Get() != 4 {
		t.Errorf("after the metric's Close, Get() = %d, want 4", c1.Get())
	}
	if _, err := shared.Counter("temperature", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("another kind: %v, want ErrInvalidArgument", err)
	}
	if _, err := shared.Counter("bad name", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("invalid name: %v, want ErrInvalidArgument", err)
	}
	if _, err := shared.Counter("nul", "", Labels{"k": "a\x00b"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NUL in a label: %v, want ErrInvalidArgument", err)
	}
	if _, err := shared.Histogram("bad_buckets", "", nil, HistogramOpts{Buckets: []float64{2, 1}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("decreasing buckets: %v, want ErrInvalidArgument", err)
	}
	many := Labels{}
	for i := range 20 { // past the 16 label pointers on the C stack
		many[fmt.Sprintf("l%02d", i)] = strconv.Itoa(i)
	}
	shared.MustCounter("many_labels", "", many).Inc()
	if text := exportOf(t, shared, FormatPrometheus); !strings.Contains(string(text), `many_labels_total{l00="0",l01="1",`) {
		t.Errorf("20 labels: export\n%s", text)
	}
	if n, err := shared.SeriesCount(); err != nil || n != 5 {
		t.Errorf("SeriesCount() = %d, %v, want 5", n, err)
	}
	if n, err := shared.MaxSeries(); err != nil || n != 4096 {
		t.Errorf("MaxSeries() = %d, %v, want 4096", n, err)
	}
	if n, err := shared.MaxProcesses(); err != nil || n != 64 {
		t.Errorf("MaxProcesses() = %d, %v, want 64", n, err)
	}
	for name, f := range map[string]func() (uint64, error){"RefusedSeries": shared.RefusedSeries, "RefusedProcesses": shared.RefusedProcesses} {
		if n, err := f(); err != nil || n != 0 {
			t.Errorf("%s() = %d, %v, want 0", name, n, err)
		}
	}
}

func TestSharedRegistryDirectWritesLandInTheSegment(t *testing.T) {
	r, path := newShared(t, &SharedOptions{CounterStripes: 8})
	c := r.MustCounter("direct", "", nil)
	// The counter's cells are described by the library as any counter's, in the segment's
	// layout (8 stripes, as the segment says): Inc writes them with sync/atomic.
	cells := c.describeCells()
	if cells.kind != cellCounterStripes || cells.count != 8 || c.mask != 7 || c.stride != cells.stride {
		t.Fatalf("cells %+v, counter mask %d stride %d", cells, c.mask, c.stride)
	}
	var want uint64
	for i := range cells.count {
		atomic.AddUint64((*uint64)(unsafe.Add(cells.base, cells.offset+i*cells.stride)), uint64(i+1))
		want += uint64(i + 1)
	}
	c.Inc()
	c.Add(10)
	c.AddMany([]uint64{1, 2})
	want += 14
	// Another registry value, with cells mapped at other addresses, reads every write.
	other := MustOpenSharedRegistry(path, nil)
	defer other.Close()
	oc := other.MustCounter("direct", "", nil)
	if oc.describeCells().base == cells.base {
		t.Fatal("the second mapping has the first one's address")
	}
	if oc.Get() != want || c.Get() != want {
		t.Fatalf("Get() = %d and %d, want %d", oc.Get(), c.Get(), want)
	}
	// Gauges: a direct Set through one mapping is read through the other.
	g := r.MustGauge("g", "", nil, GaugeModeMostRecent)
	g.Set(2)
	g.Add(0.5)
	if v := other.MustGauge("g", "", nil, GaugeModeMostRecent).Get(); v != 2.5 {
		t.Fatalf("gauge read through the other mapping: %v, want 2.5", v)
	}
	pg := r.MustGauge("pg", "", nil, GaugeModeSum)
	pg.SetMax(3)
	if v := pg.getCgo(); v != 3 {
		t.Fatalf("per-process gauge: the library reads %v, want 3", v)
	}
	// Histogram and Timer records are direct too.
	h := r.MustHistogram("h", "", nil, HistogramOpts{})
	for v := range uint64(1000) {
		h.Record(v * 1000)
	}
	h.RecordN(5, 3)
	if oh := other.MustHistogram("h", "", nil, HistogramOpts{}); oh.Count() != 1003 || oh.Sum() != 999*1000*1000/2+15 {
		t.Fatalf("histogram through the other mapping: count %d sum %d", oh.Count(), oh.Sum())
	}
	tm := r.MustTimer("t", "", nil)
	tm.Record(time.Second, false)
	tm.RecordNanos(5, true)
	if s := other.MustTimer("t", "", nil).Stats(); s.Count != 2 || s.Errors != 1 || s.Total != time.Second+5 {
		t.Fatalf("timer through the other mapping: %+v", s)
	}
}

func TestSharedRegistryMetricsKeepTheSegmentMappedAfterCloseAndUnlink(t *testing.T) {
	r, path := newShared(t, nil)
	freed := handlesFreed.Load()
	c, h, tm, g := func() (*Counter, *Histogram, *Timer, *Gauge) {
		r := MustOpenSharedRegistry(path, nil)
		defer r.Close()
		return r.MustCounter("kept", "", nil), r.MustHistogram("kept_h", "", nil, HistogramOpts{}),
			r.MustTimer("kept_t", "", nil), r.MustGauge("kept_g", "", nil, GaugeModeLiveSum)
	}()
	if err := r.Unlink(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Unlink: %v", err)
	}
	if err := r.Unlink(); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a second Unlink: %v, want ErrInvalidArgument", err)
	}
	if p, err := r.Path(); err != nil || p != path {
		t.Fatalf("Path() after Unlink = %q, %v, want %q", p, err, path)
	}
	r.Close()
	// Neither registry value holds the segment any more (one closed, one unreachable): the
	// metrics do.
	for i := 0; i < 100 && handlesFreed.Load()-freed < 1; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if handlesFreed.Load()-freed < 1 {
		t.Fatal("the unreachable SharedRegistry's handle was not freed")
	}
	c.Inc()
	h.Record(7)
	tm.Record(time.Millisecond, true)
	g.Set(4)
	if c.Get() != 1 || h.Count() != 1 || tm.Stats().Count != 1 || g.Get() != 4 {
		t.Fatalf("after the registries went: %d %d %d %v", c.Get(), h.Count(), tm.Stats().Count, g.Get())
	}
	// And once the metrics are unreachable their cleanups free them (4 metrics, histogram and
	// timer with a second reference each).
	freed = handlesFreed.Load()
	c, h, tm, g = nil, nil, nil, nil
	for i := 0; i < 200 && handlesFreed.Load()-freed < 6; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if n := handlesFreed.Load() - freed; n < 6 {
		t.Fatalf("freed %d handles of the metrics' 6", n)
	}
}

func TestSharedRegistryClosedValueGivesErrClosed(t *testing.T) {
	r, path := newShared(t, nil)
	c := r.MustCounter("c", "", nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.Close() // idempotent
	if _, err := r.Counter("c", "", nil); err != ErrClosed {
		t.Errorf("Counter: %v", err)
	}
	if _, err := r.Gauge("g", "", nil, 0); err != ErrClosed {
		t.Errorf("Gauge: %v", err)
	}
	if _, err := r.Histogram("h", "", nil, HistogramOpts{}); err != ErrClosed {
		t.Errorf("Histogram: %v", err)
	}
	if _, err := r.Timer("t", "", nil); err != ErrClosed {
		t.Errorf("Timer: %v", err)
	}
	if _, err := r.Export(FormatPrometheus); err != ErrClosed {
		t.Errorf("Export: %v", err)
	}
	if _, err := r.Path(); err != ErrClosed {
		t.Errorf("Path: %v", err)
	}
	if err := r.Unlink(); err != ErrClosed {
		t.Errorf("Unlink: %v", err)
	}
	for name, f := range map[string]func() (uint64, error){"SeriesCount": r.SeriesCount, "MaxSeries": r.MaxSeries,
		"RefusedSeries": r.RefusedSeries, "MaxProcesses": r.MaxProcesses, "RefusedProcesses": r.RefusedProcesses} {
		if n, err := f(); err != ErrClosed || n != 0 {
			t.Errorf("%s: %d, %v", name, n, err)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustCounter on a closed registry did not panic")
			}
		}()
		r.MustCounter("c", "", nil)
	}()
	// The metric still counts, into the segment.
	c.Inc()
	again := MustOpenSharedRegistry(path, &SharedOptions{OpenExisting: true})
	defer again.Close()
	if v := again.MustCounter("c", "", nil).Get(); v != 1 {
		t.Errorf("after the registry's Close, the counter reads %d, want 1", v)
	}
}

func TestSharedRegistryFullSegmentAndProcessTable(t *testing.T) {
	r, path := newShared(t, &SharedOptions{MaxSeries: 3, MaxProcesses: 1})
	r.MustCounter("a", "", nil)
	// This process takes the one process table slot with a per-process gauge value.
	r.MustGauge("g", "", nil, GaugeModeSum).Set(1)
	r.MustCounter("b", "", nil)
	if _, err := r.Counter("c", "", nil); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "is full") {
		t.Fatalf("a fourth series: %v, want ErrInvalidArgument (full)", err)
	}
	if n, _ := r.RefusedSeries(); n != 1 {
		t.Errorf("RefusedSeries() = %d, want 1", n)
	}
	r.MustCounter("a", "", nil).Inc() // existing series keep working
	if n, _ := r.MaxProcesses(); n != 1 {
		t.Errorf("MaxProcesses() = %d, want 1", n)
	}
	// Another live process finds the table full: a clear error, counted.
	runChild(t, "fullgauge", path, "")
	if n, _ := r.RefusedProcesses(); n == 0 {
		t.Error("RefusedProcesses() = 0 after a refusal")
	}
	wantSample(t, r, "g", 1)
	wantSample(t, r, "a_total", 1)
}

func TestSharedRegistryNamesOptionsAndRemove(t *testing.T) {
	dir := t.TempDir()
	name := fmt.Sprintf("gotest-%d", os.Getpid())
	r, err := OpenSharedRegistry(name, &SharedOptions{Dir: dir, Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := filepath.Join(dir, "atomicperf-"+name)
	if p, err := r.Path(); err != nil || p != want {
		t.Fatalf("Path() = %q, %v, want %q", p, err, want)
	}
	if st, err := os.Stat(want); err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("the file: %v, %v, want mode 0640", st, err)
	}
	c := r.MustCounter("kept", "", nil)
	if err := RemoveSharedRegistry(name, &SharedOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	c.Inc() // still mapped
	if c.Get() != 1 {
		t.Fatalf("after remove: %d", c.Get())
	}
	fresh := MustOpenSharedRegistry(name, &SharedOptions{Dir: dir})
	defer fresh.Close()
	if n, _ := fresh.SeriesCount(); n != 0 {
		t.Fatalf("a new segment holds %d series", n)
	}
	if err := RemoveSharedRegistry(name, &SharedOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveSharedRegistry(name, &SharedOptions{Dir: dir}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("removing a missing segment: %v", err)
	}
	// The default directory (/dev/shm), by name.
	def := fmt.Sprintf("gotest-default-%d-%d", os.Getpid(), time.Now().UnixNano())
	d := MustOpenSharedRegistry(def, nil)
	p, _ := d.Path()
	if !strings.HasSuffix(p, "/atomicperf-"+def) {
		t.Errorf("default path %q", p)
	}
	if err := d.Unlink(); err != nil {
		t.Error(err)
	}
	d.Close()
}

func TestSharedRegistryBadInputIsAClearError(t *testing.T) {
	dir := t.TempDir()
	open := func(path string, opts *SharedOptions, want string) {
		t.Helper()
		r, err := OpenSharedRegistry(path, opts)
		if err == nil {
			r.Close()
			t.Errorf("open %q: no error, want one with %q", path, want)
			return
		}
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "atomicperf: OpenSharedRegistry: ") {
			t.Errorf("open %q: %v, want ErrInvalidArgument with %q", path, err, want)
		}
	}
	open("a b", nil, "invalid shared registry name")
	open("", nil, "invalid shared registry name")
	open("..", nil, "invalid shared registry name")
	open("a\x00b", nil, "NUL")
	open("ok", &SharedOptions{Dir: "x\x00"}, "NUL")
	open(filepath.Join(dir, "missing"), &SharedOptions{OpenExisting: true}, "no shared registry")
	open(filepath.Join(dir, "no-such-dir", "segment"), nil, "No such file or directory")
	open(filepath.Join(dir, "odd"), &SharedOptions{CounterStripes: 3}, "invalid shared registry options")
	open(filepath.Join(dir, "mode"), &SharedOptions{Mode: os.ModeSetuid}, "not a file permission mode")
	open(dir, nil, "Is a directory")

	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a segment", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	open(junk, nil, "not an atomicperf shared registry")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open(empty, &SharedOptions{OpenExisting: true}, "not an atomicperf shared registry")

	// A real segment cut short, at a few lengths.
	seg := filepath.Join(dir, "seg")
	r := MustOpenSharedRegistry(seg, &SharedOptions{MaxSeries: 16, DataBytes: 1 << 16})
	r.MustCounter("c", "", nil).Inc()
	r.Close()
	whole, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{8, 64, 4096, len(whole) / 2, len(whole) - 8} {
		cut := filepath.Join(dir, fmt.Sprintf("cut-%d", n))
		if err := os.WriteFile(cut, whole[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		open(cut, nil, "")
		// And the bytes of a segment with its header spoiled.
		bad := append([]byte(nil), whole...)
		bad[n%64] ^= 0xff
		if err := os.WriteFile(cut, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if r, err := OpenSharedRegistry(cut, nil); err == nil {
			// A byte the header check does not cover: the segment must still work.
			if _, err := r.Export(FormatPrometheus); err != nil {
				t.Errorf("spoiled byte %d: export: %v", n%64, err)
			}
			r.Close()
		} else if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("spoiled byte %d: %v", n%64, err)
		}
	}

	// A file this process may not read and write: with the permission bits as non-root, as
	// another user when running as root (root's own opens ignore the bits).
	private := filepath.Join(dir, "private")
	r = MustOpenSharedRegistry(private, nil) // mode 0600
	r.Close()
	if os.Geteuid() != 0 {
		if err := os.Chmod(private, 0o400); err != nil {
			t.Fatal(err)
		}
		open(private, nil, "ermission denied")
		return
	}
	// The child must be able to execute a copy of this binary and reach the file.
	bin := filepath.Join(dir, "child.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} { // t.TempDir() and its parent are 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := child(t, "open", private, "ermission denied")
	cmd.Path = bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Skipf("cannot run a child as another user here: %v", err)
		}
		t.Fatalf("as another user: %v\n%s", err, cmd.Stderr)
	}
}

func TestSharedRegistryJSONExportDecodes(t *testing.T) {
	r, _ := newShared(t, nil)
	r.MustCounter("jobs", "Jobs.", nil).Add(2)
	var doc struct {
		Families []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"families"`
	}
	if err := json.Unmarshal(exportOf(t, r, FormatJSON), &doc); err != nil || len(doc.Families) != 1 || doc.Families[0].Name != "jobs" || doc.Families[0].Kind != "counter" {
		t.Fatalf("JSON export: %+v, %v", doc, err)
	}
}

func TestSharedCollectorReportsEveryProcesssValues(t *testing.T) {
	r, path := newShared(t, nil)
	r.MustCounter("jobs_done", "Jobs done.", Labels{"queue": "mail"}).Inc()
	other := MustOpenSharedRegistry(path, nil)
	other.MustCounter("jobs_done", "", Labels{"queue": "mail"}).Add(2)
	other.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewSharedCollector(r))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 1 || mfs[0].GetName() != "jobs_done_total" || mfs[0].GetMetric()[0].GetCounter().GetValue() != 3 {
		t.Fatalf("gathered %v", mfs)
	}
	r.Close()
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Gather of a closed registry: %v", err)
	}
}

package atomicperf

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSummaryQuantilesOfKnownDataAreWithinThePrecision(t *testing.T) {
	s, err := NewSummary(SummaryOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Quantile(0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("Quantile of an empty window: %v, want ErrEmpty", err)
	}
	for v := uint64(1); v <= 1000; v++ {
		s.Record(v * 1000)
	}
	for _, c := range []struct {
		q    float64
		want uint64
	}{{0.5, 500_000}, {0.9, 900_000}, {0.99, 990_000}} {
		got, err := s.Quantile(c.q)
		if err != nil || !withinPrecision(got, c.want, 2) {
			t.Errorf("Quantile(%v) = %d, %v, want %d within 1%%", c.q, got, err, c.want)
		}
	}
	if got, _ := s.Quantile(1); got != 1_000_000 {
		t.Errorf("Quantile(1) = %d, want the exact max", got)
	}
	if s.Count() != 1000 || s.Sum() != 1000*1000*1001/2 || s.WindowCount() != 1000 {
		t.Errorf("Count, Sum, WindowCount = %d, %d, %d", s.Count(), s.Sum(), s.WindowCount())
	}
	s.RecordDuration(-time.Second) // recorded as 0
	if got, _ := s.Quantile(0); got != 0 {
		t.Errorf("Quantile(0) after a negative duration = %d, want 0", got)
	}
	for _, q := range []float64{-0.1, 1.5} {
		if _, err := s.Quantile(q); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Quantile(%v): %v, want ErrOutOfRange", q, err)
		}
	}
}

func TestSummaryWindowExpiresAfterAShortMaxAgeWhileCountAndSumStay(t *testing.T) {
	// 600 ms in 2 steps of 300 ms: the record is still in the window right after it even on a
	// loaded machine (a goroutine descheduled for a whole step between the two calls would not).
	s := MustNewSummary(SummaryOpts{MaxAge: 600 * time.Millisecond, AgeBuckets: 2})
	defer s.Close()
	s.Record(7)
	if got, err := s.Quantile(0.5); err != nil || got != 7 {
		t.Fatalf("Quantile(0.5) = %d, %v, want 7", got, err)
	}
	time.Sleep(1500 * time.Millisecond) // far past MaxAge, whatever the coarse clock's resolution
	if _, err := s.Quantile(0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("Quantile after MaxAge: %v, want ErrEmpty", err)
	}
	if s.WindowCount() != 0 || s.Count() != 1 || s.Sum() != 7 {
		t.Errorf("WindowCount, Count, Sum = %d, %d, %d, want 0, 1, 7", s.WindowCount(), s.Count(), s.Sum())
	}
}

func TestSummaryBadOptionsSayWhy(t *testing.T) {
	for _, c := range []struct {
		opts SummaryOpts
		want string
	}{
		{SummaryOpts{Quantiles: []float64{0.5, 2}}, "within [0, 1]"},
		{SummaryOpts{Quantiles: []float64{0.9, 0.9}}, "twice"},
		{SummaryOpts{AgeBuckets: 256}, "age buckets"},
		{SummaryOpts{MaxAge: time.Microsecond}, "at least 1 ms"},
		{SummaryOpts{MaxAge: -time.Second}, "at least 1 ms"},
		{SummaryOpts{SignificantFigures: 6}, "precision"},
	} {
		_, err := NewSummary(c.opts)
		if !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSummary(%+v) = %v, want ErrOutOfRange saying %q", c.opts, err, c.want)
		}
	}
	s := MustNewSummary(SummaryOpts{Quantiles: []float64{}}) // none: count and sum only
	s.Record(1)
	if s.Count() != 1 {
		t.Errorf("Count = %d", s.Count())
	}
	s.Close()
}

func TestSummaryAfterCloseIsInertAndSaysClosed(t *testing.T) {
	s := MustNewSummary(SummaryOpts{})
	s.Record(5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Record(6) // nothing
	if _, err := s.Quantile(0.5); !errors.Is(err, ErrClosed) {
		t.Errorf("Quantile after Close: %v, want ErrClosed", err)
	}
	if s.Count() != 0 || s.Sum() != 0 || s.WindowCount() != 0 {
		t.Errorf("stats after Close = %d, %d, %d, want 0", s.Count(), s.Sum(), s.WindowCount())
	}
	s.Close()
}

func TestSummaryRecordsFromManyGoroutinesAreAllCounted(t *testing.T) {
	s := MustNewSummary(SummaryOpts{})
	defer s.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10_000; i++ {
				s.Record(uint64(i))
			}
		}()
	}
	wg.Wait()
	if s.Count() != 80_000 || s.WindowCount() != 80_000 {
		t.Errorf("Count, WindowCount = %d, %d, want 80000", s.Count(), s.WindowCount())
	}
}

func TestRegistrySummaryExportsQuantilesSumAndCount(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	s, err := r.Summary("rpc_seconds", "RPC latency.", Labels{"method": "get"}, SummaryOpts{Quantiles: []float64{0.9, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	for ms := uint64(1); ms <= 100; ms++ {
		s.Record(ms * 1_000_000)
	}
	again := r.MustSummary("rpc_seconds", "RPC latency.", Labels{"method": "get"}, SummaryOpts{Quantiles: []float64{0.9, 0.5}})
	if again.Count() != 100 {
		t.Errorf("the same series has Count %d", again.Count())
	}
	again.Close() // ignored: owned by the registry
	s.Record(1)
	out, err := r.Export(FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"# TYPE rpc_seconds summary\n",
		`rpc_seconds{method="get",quantile="0.5"} 0.05`,
		`rpc_seconds{method="get",quantile="0.9"} 0.0`,
		"rpc_seconds_count{method=\"get\"} 101\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	if _, err := r.Summary("q", "", Labels{"quantile": "x"}, SummaryOpts{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("label quantile: %v, want ErrInvalidArgument", err)
	}
	if _, err := r.Gauge("rpc_seconds_sum", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("gauge rpc_seconds_sum: %v, want ErrInvalidArgument", err)
	}
	if _, err := r.Summary("never", "", nil, SummaryOpts{AgeBuckets: 300}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("bad options: %v, want ErrOutOfRange", err)
	}
	if _, err := r.Summary("never", "", nil, SummaryOpts{Scale: -1}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative scale: %v, want ErrInvalidArgument", err)
	}
	r.Close()
	if _, err := r.Summary("late", "", nil, SummaryOpts{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

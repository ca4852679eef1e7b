package atomicperf

import (
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

func newHistogram(t *testing.T) *Histogram {
	t.Helper()
	h, err := NewHistogram()
	if err != nil {
		t.Fatalf("NewHistogram: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// withinPrecision reports whether got is within the relative error of sigfigs significant
// figures of want.
func withinPrecision(got, want uint64, sigfigs int) bool {
	return math.Abs(float64(got)-float64(want)) <= float64(want)*math.Pow(10, -float64(sigfigs))
}

func TestHistogramReportsCountSumMinMaxMeanOfRecordedValues(t *testing.T) {
	h := newHistogram(t)
	for v := uint64(1); v <= 100; v++ {
		h.Record(v * 1000)
	}
	if got := h.Count(); got != 100 {
		t.Errorf("Count() = %d, want 100", got)
	}
	if got := h.Sum(); got != 5_050_000 {
		t.Errorf("Sum() = %d, want 5050000", got)
	}
	if v, ok := h.Min(); !ok || v != 1000 {
		t.Errorf("Min() = %d, %v, want 1000, true", v, ok)
	}
	if v, ok := h.Max(); !ok || v != 100_000 {
		t.Errorf("Max() = %d, %v, want 100000, true", v, ok)
	}
	if v, ok := h.Mean(); !ok || v != 50_500 {
		t.Errorf("Mean() = %v, %v, want 50500, true", v, ok)
	}
	if got := h.OverflowCount(); got != 0 {
		t.Errorf("OverflowCount() = %d, want 0", got)
	}
	if got := h.MemoryBytes(); got <= 0 {
		t.Errorf("MemoryBytes() = %d, want > 0", got)
	}
}

func TestHistogramQuantilesAreWithinPrecisionOfAnExactSortedReference(t *testing.T) {
	h, err := NewHistogramWithPrecision(3, 10_000_000)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	values := make([]uint64, 0, 5000)
	x := uint64(12345)
	for i := 0; i < cap(values); i++ {
		x = x*6364136223846793005 + 1442695040888963407
		values = append(values, 1+x>>40%5_000_000)
	}
	h.RecordMany(values)
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
		got, err := h.Quantile(q)
		if err != nil {
			t.Fatalf("Quantile(%v): %v", q, err)
		}
		rank := int(math.Ceil(q*float64(len(sorted)))) - 1
		want := sorted[max(rank, 0)]
		if !withinPrecision(got, want, 3) {
			t.Errorf("Quantile(%v) = %d, want %d within 0.1%%", q, got, want)
		}
	}
}

func TestHistogramRecordNAndRecordManyAndRecordDuration(t *testing.T) {
	h := newHistogram(t)
	h.RecordN(500, 4)
	h.RecordMany([]uint64{100, 900})
	h.RecordMany(nil)
	h.RecordDuration(2 * time.Microsecond)
	h.RecordDuration(-time.Second)
	if got := h.Count(); got != 8 {
		t.Errorf("Count() = %d, want 8", got)
	}
	if got := h.Sum(); got != 2000+1000+2000+0 {
		t.Errorf("Sum() = %d, want 5000", got)
	}
	if v, ok := h.Min(); !ok || v != 0 {
		t.Errorf("Min() = %d, %v, want 0 (negative duration), true", v, ok)
	}
	if v, ok := h.Max(); !ok || v != 2000 {
		t.Errorf("Max() = %d, %v, want 2000, true", v, ok)
	}
}

func TestHistogramClampsValuesAboveHighestAndCountsThemAsOverflow(t *testing.T) {
	h := MustNewHistogramWithPrecision(3, 1000)
	defer h.Close()
	h.Record(7)
	h.Record(5000)
	if got := h.OverflowCount(); got != 1 {
		t.Errorf("OverflowCount() = %d, want 1", got)
	}
	if v, ok := h.Max(); !ok || v != 1000 {
		t.Errorf("Max() = %d, %v, want 1000 (clamped), true", v, ok)
	}
}

func TestEmptyHistogramHasNoMinMaxMeanAndQuantileIsErrEmpty(t *testing.T) {
	h := newHistogram(t)
	if v, ok := h.Min(); ok {
		t.Errorf("Min() = %d, true on an empty histogram", v)
	}
	if v, ok := h.Max(); ok {
		t.Errorf("Max() = %d, true on an empty histogram", v)
	}
	if v, ok := h.Mean(); ok {
		t.Errorf("Mean() = %v, true on an empty histogram", v)
	}
	_, err := h.Quantile(0.5)
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("Quantile on empty: error = %v, want ErrEmpty", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeEmpty || e.Op != "Histogram.Quantile" || e.Message == "" {
		t.Errorf("Quantile on empty: error = %#v, want *Error{Op, CodeEmpty, message}", err)
	}
	if h.Count() != 0 || h.Sum() != 0 {
		t.Errorf("Count, Sum = %d, %d, want 0, 0", h.Count(), h.Sum())
	}
}

func TestQuantileOutsideZeroToOneOrNaNIsErrOutOfRange(t *testing.T) {
	h := newHistogram(t)
	h.Record(1)
	for _, q := range []float64{-0.1, 1.1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := h.Quantile(q); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Quantile(%v) error = %v, want ErrOutOfRange", q, err)
		}
	}
	if errors.Is(ErrOutOfRange, ErrEmpty) {
		t.Error("sentinels must be distinct")
	}
}

func TestNewHistogramWithPrecisionRejectsBadLayoutsWithErrOutOfRange(t *testing.T) {
	for _, c := range []struct {
		sigfigs uint32
		highest uint64
	}{{0, 1000}, {6, 1000}, {3, 1}, {3, 0}} {
		h, err := NewHistogramWithPrecision(c.sigfigs, c.highest)
		if !errors.Is(err, ErrOutOfRange) || h != nil {
			t.Errorf("NewHistogramWithPrecision(%d, %d) = %v, %v, want nil, ErrOutOfRange", c.sigfigs, c.highest, h, err)
		}
	}
	for sigfigs := uint32(1); sigfigs <= 5; sigfigs++ {
		h, err := NewHistogramWithPrecision(sigfigs, 1_000_000)
		if err != nil {
			t.Fatalf("NewHistogramWithPrecision(%d, 1e6): %v", sigfigs, err)
		}
		h.Close()
	}
}

func TestMustNewHistogramWithPrecisionPanicsOnBadInput(t *testing.T) {
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("recovered %v, want an error matching ErrOutOfRange", err)
		}
	}()
	MustNewHistogramWithPrecision(6, 1000)
}

func TestSnapshotIsIndependentOfTheHistogram(t *testing.T) {
	h := newHistogram(t)
	h.RecordMany([]uint64{10, 20, 30})
	s, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h.Record(1_000_000)
	h.Reset()
	h.Record(5)
	if got := s.Count(); got != 3 {
		t.Errorf("snapshot Count() = %d, want 3 (unchanged by later records and reset)", got)
	}
	if v, _ := s.Max(); v != 30 {
		t.Errorf("snapshot Max() = %d, want 30", v)
	}
	s.Record(40)
	if got := h.Count(); got != 1 {
		t.Errorf("histogram Count() = %d, want 1 (unchanged by records into the snapshot)", got)
	}
	h.Close()
	if got := s.Sum(); got != 100 {
		t.Errorf("snapshot Sum() after closing the source = %d, want 100", got)
	}
}

func TestMergeAddsOtherAndLeavesOtherUnchanged(t *testing.T) {
	a, b := newHistogram(t), newHistogram(t)
	a.RecordMany([]uint64{1, 2, 3})
	b.RecordMany([]uint64{100, 200})
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if a.Count() != 5 || a.Sum() != 306 {
		t.Errorf("merged Count, Sum = %d, %d, want 5, 306", a.Count(), a.Sum())
	}
	if v, _ := a.Max(); v != 200 {
		t.Errorf("merged Max() = %d, want 200", v)
	}
	if b.Count() != 2 || b.Sum() != 300 {
		t.Errorf("source Count, Sum = %d, %d, want 2, 300", b.Count(), b.Sum())
	}
	if err := a.Merge(a); err != nil {
		t.Fatal(err)
	}
	if a.Count() != 10 {
		t.Errorf("self-merge Count() = %d, want 10", a.Count())
	}
}

func TestMergeAcrossLayoutsClampsToTheDestination(t *testing.T) {
	small := MustNewHistogramWithPrecision(2, 1000)
	defer small.Close()
	big := newHistogram(t)
	big.RecordMany([]uint64{10, 100_000})
	if err := small.Merge(big); err != nil {
		t.Fatal(err)
	}
	if small.Count() != 2 || small.OverflowCount() != 1 {
		t.Errorf("Count, OverflowCount = %d, %d, want 2, 1", small.Count(), small.OverflowCount())
	}
}

func TestMergeNilIsErrNullHandle(t *testing.T) {
	h := newHistogram(t)
	if err := h.Merge(nil); !errors.Is(err, ErrNullHandle) {
		t.Fatalf("Merge(nil) error = %v, want ErrNullHandle", err)
	}
}

func TestResetEmptiesTheHistogram(t *testing.T) {
	h := newHistogram(t)
	h.RecordMany([]uint64{1, 2, 3})
	h.Reset()
	if h.Count() != 0 || h.Sum() != 0 {
		t.Errorf("after Reset Count, Sum = %d, %d, want 0, 0", h.Count(), h.Sum())
	}
	if _, ok := h.Min(); ok {
		t.Error("Min() ok after Reset")
	}
}

func TestHistogramIsExactUnder8GoroutinesHammeringIt(t *testing.T) {
	h := MustNewHistogram()
	defer h.Close()
	const goroutines, per = 8, 5_000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := []uint64{1, 2, 3, 4}
			for i := 1; i <= per; i++ {
				h.Record(uint64(i))
				if i%50 == 0 {
					h.RecordMany(batch)
				}
			}
		}()
	}
	wg.Wait()
	wantCount := uint64(goroutines * (per + per/50*4))
	wantSum := uint64(goroutines * (per*(per+1)/2 + per/50*10))
	if got := h.Count(); got != wantCount {
		t.Errorf("Count() = %d, want %d", got, wantCount)
	}
	if got := h.Sum(); got != wantSum {
		t.Errorf("Sum() = %d, want %d", got, wantSum)
	}
	if v, _ := h.Max(); v != per {
		t.Errorf("Max() = %d, want %d", v, per)
	}
}

func TestHistogramAfterCloseIgnoresWritesAndReturnsErrClosed(t *testing.T) {
	h := MustNewHistogram()
	other := MustNewHistogram()
	defer other.Close()
	h.Record(5)
	h.Close()
	h.Close()
	h.Record(1)
	h.RecordN(1, 2)
	h.RecordMany([]uint64{1})
	h.RecordDuration(time.Second)
	h.Reset()
	if h.Count() != 0 || h.Sum() != 0 || h.OverflowCount() != 0 || h.MemoryBytes() != 0 {
		t.Error("reads after Close must return zero")
	}
	if _, ok := h.Min(); ok {
		t.Error("Min() ok after Close")
	}
	if _, ok := h.Max(); ok {
		t.Error("Max() ok after Close")
	}
	if _, ok := h.Mean(); ok {
		t.Error("Mean() ok after Close")
	}
	if _, err := h.Quantile(0.5); !errors.Is(err, ErrClosed) {
		t.Errorf("Quantile after Close: %v, want ErrClosed", err)
	}
	if s, err := h.Snapshot(); !errors.Is(err, ErrClosed) || s != nil {
		t.Errorf("Snapshot after Close: %v, %v, want nil, ErrClosed", s, err)
	}
	if err := h.Merge(other); !errors.Is(err, ErrClosed) {
		t.Errorf("Merge into closed: %v, want ErrClosed", err)
	}
	if err := other.Merge(h); !errors.Is(err, ErrClosed) {
		t.Errorf("Merge from closed: %v, want ErrClosed", err)
	}
}

func TestHistogramCloseIsSafeWhileOtherGoroutinesUseIt(t *testing.T) {
	for round := 0; round < 50; round++ {
		h := MustNewHistogram()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 100; i++ {
					h.Record(uint64(i))
					h.RecordMany([]uint64{1, 2})
					_, _ = h.Quantile(0.5)
					if s, err := h.Snapshot(); err == nil {
						s.Close()
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			h.Close()
		}()
		close(start)
		wg.Wait()
		if h.h.load() != nil {
			t.Fatalf("round %d: handle not freed after Close and all calls returned", round)
		}
	}
}

func TestHistogramCountsSaturateInsteadOfWrapping(t *testing.T) {
	h := MustNewHistogram()
	defer h.Close()
	h.RecordN(1000, math.MaxUint64)
	h.Record(1000)
	if got := h.Count(); got != math.MaxUint64 {
		t.Fatalf("Count() = %d, want %d", got, uint64(math.MaxUint64))
	}
	if v, ok := h.Min(); !ok || v != 1000 {
		t.Fatalf("Min() = %d, %v; want 1000, true", v, ok)
	}
	if v, err := h.Quantile(0.5); err != nil || v != 1000 {
		t.Fatalf("Quantile(0.5) = %d, %v; want 1000", v, err)
	}
}

package atomicperf

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// bucketLow is the lowest value of bucket i for a layout with sub_bits m (the core's
// HistogramConfig::bucket_low), computed independently of the index function under test.
func bucketLow(i uint64, m int) uint64 {
	k := max(i>>m, 1) - 1
	return (i - k<<m) << k
}

// compareIndex checks Go's index function against the library's for every value of vs.
func compareIndex(t *testing.T, h *Histogram, sigfigs uint32, vs []uint64, out []uintptr) {
	t.Helper()
	h.indexOfMany(vs, out)
	for i, v := range vs {
		if got := h.goIndexOf(v); got != out[i] {
			t.Fatalf("sigfigs %d: Go index(%d) = %d, the library's = %d", sigfigs, v, got, out[i])
		}
	}
}

func TestGoBucketIndexEqualsTheLibrarysOnEveryBoundaryAndTenMillionRandomValues(t *testing.T) {
	const batch = 1 << 16
	vs := make([]uint64, 0, batch)
	out := make([]uintptr, batch)
	rng := rand.New(rand.NewPCG(1, 2))
	for sigfigs := uint32(1); sigfigs <= 5; sigfigs++ {
		h := MustNewHistogramWithPrecision(sigfigs, math.MaxUint64)
		m, buckets := h.layout.subBits, h.layout.index(math.MaxUint64)+1
		flush := func() {
			compareIndex(t, h, sigfigs, vs, out)
			vs = vs[:0]
		}
		// Every bucket boundary, and the values on either side of it.
		for i := uint64(0); i < uint64(buckets); i++ {
			low := bucketLow(i, m)
			vs = append(vs, low, low+1, low-1) // low-1 wraps to MaxUint64 for bucket 0
			if len(vs) >= batch-3 {
				flush()
			}
		}
		flush()
		// 10 million random values over the whole range: half uniform (mostly the top bands),
		// half with a random bit length (every band equally).
		for n := 0; n < 10_000_000; n++ {
			v := rng.Uint64()
			if n&1 == 1 {
				v >>= rng.IntN(64)
			}
			vs = append(vs, v)
			if len(vs) == batch {
				flush()
			}
		}
		flush()
		h.Close()
	}
	// A histogram with a smaller range clamps in both.
	h := MustNewHistogramWithPrecision(2, 1000)
	defer h.Close()
	compareIndex(t, h, 2, []uint64{0, 999, 1000, 1001, math.MaxUint64}, out)
}

func TestHistogramRecordedFromGoAndFromCAtOnceIsExact(t *testing.T) {
	h := MustNewHistogramWithPrecision(3, 1_000_000)
	defer h.Close()
	const goroutines, per = 4, 20_000
	batch := make([]uint64, 1000)
	var batchSum uint64
	for i := range batch {
		batch[i] = uint64(i*997%5000) + 10
		batchSum += batch[i]
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(2)
		go func() { // direct writes from Go
			defer wg.Done()
			for i := 0; i < per; i++ {
				h.Record(uint64(i%1000) + 5)
			}
			h.RecordN(2_000_000, 3) // above highest: clamped, overflow 3
			h.RecordN(7, 0)         // nothing
		}()
		go func() { // the library's own records, one cgo call per batch
			defer wg.Done()
			for i := 0; i < 20; i++ {
				h.RecordMany(batch)
			}
		}()
	}
	wg.Wait()
	var goSum uint64
	for i := 0; i < per; i++ {
		goSum += uint64(i%1000) + 5
	}
	wantCount := uint64(goroutines * (per + 3 + 20*len(batch)))
	wantSum := goroutines * (goSum + 3*1_000_000 + 20*batchSum)
	if got := h.Count(); got != wantCount {
		t.Errorf("Count() = %d, want %d", got, wantCount)
	}
	if got := h.Sum(); got != wantSum {
		t.Errorf("Sum() = %d, want %d", got, wantSum)
	}
	if v, ok := h.Min(); !ok || v != 5 {
		t.Errorf("Min() = %d, %v; want 5", v, ok)
	}
	if v, ok := h.Max(); !ok || v != 1_000_000 {
		t.Errorf("Max() = %d, %v; want 1000000 (clamped)", v, ok)
	}
	if got := h.OverflowCount(); got != goroutines*3 {
		t.Errorf("OverflowCount() = %d, want %d", got, goroutines*3)
	}
	// Quantile 1 reads the top bucket that the clamped Go records went to.
	if q, err := h.Quantile(1); err != nil || q != 1_000_000 {
		t.Errorf("Quantile(1) = %d, %v; want 1000000", q, err)
	}
}

func TestHistogramGoRecordsLandInTheLibrarysBuckets(t *testing.T) {
	// Every value recorded from Go and from C into two histograms gives the same quantiles.
	viaGo := MustNewHistogramWithPrecision(2, 1<<40)
	viaC := MustNewHistogramWithPrecision(2, 1<<40)
	defer viaGo.Close()
	defer viaC.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	vs := make([]uint64, 50_000)
	for i := range vs {
		vs[i] = rng.Uint64() >> rng.IntN(64)
		viaGo.Record(vs[i])
	}
	viaC.RecordMany(vs)
	for _, q := range []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1} {
		a, _ := viaGo.Quantile(q)
		b, _ := viaC.Quantile(q)
		if a != b {
			t.Errorf("Quantile(%g): recorded from Go %d, from C %d", q, a, b)
		}
	}
	if viaGo.Sum() != viaC.Sum() || viaGo.OverflowCount() != viaC.OverflowCount() {
		t.Errorf("sum %d vs %d, overflow %d vs %d", viaGo.Sum(), viaC.Sum(), viaGo.OverflowCount(), viaC.OverflowCount())
	}
}

func TestHistogramGoRecordNSaturatesTheBucketLikeTheLibrary(t *testing.T) {
	h := MustNewHistogram()
	defer h.Close()
	h.RecordN(1000, math.MaxUint64-1)
	h.RecordN(1000, 5) // carries the bucket past MaxUint64: set to MaxUint64
	if got := h.Count(); got != math.MaxUint64 {
		t.Fatalf("Count() = %d, want %d", got, uint64(math.MaxUint64))
	}
	h.RecordN(math.MaxUint64, math.MaxUint64)
	h.RecordN(math.MaxUint64, 2)
	if got := h.OverflowCount(); got != math.MaxUint64 {
		t.Fatalf("OverflowCount() = %d, want %d", got, uint64(math.MaxUint64))
	}
}

func TestTimerAndMinMaxRecordedFromGoAndFromCAtOnceAreExact(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	mm := MustNewMinMax()
	defer mm.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 1; i <= 10_000; i++ {
				tm.Record(time.Duration(i), i%10 != 0) // 1,000 failures
				mm.Record(uint64(i) + 100)
			}
		}()
		go func() {
			defer wg.Done()
			for i := 1; i <= 1_000; i++ {
				tm.recordCgo(uint64(i), i%2 == 0) // 500 failures
				mm.recordCgo(uint64(i) * 1000)
			}
		}()
	}
	wg.Wait()
	s := tm.Stats()
	if s.Count != 4*11_000 || s.Errors != 4*1_500 {
		t.Errorf("Count, Errors = %d, %d; want %d, %d", s.Count, s.Errors, 4*11_000, 4*1_500)
	}
	if want := time.Duration(4 * (10_000*10_001/2 + 1_000*1_001/2)); s.Total != want {
		t.Errorf("Total = %d, want %d", s.Total, want)
	}
	if s.Min != 1 || s.Max != 10_000 {
		t.Errorf("Min, Max = %d, %d; want 1, 10000", s.Min, s.Max)
	}
	if v, ok := mm.Min(); !ok || v != 101 {
		t.Errorf("MinMax.Min() = %d, %v; want 101", v, ok)
	}
	if v, ok := mm.Max(); !ok || v != 1_000_000 {
		t.Errorf("MinMax.Max() = %d, %v; want 1000000", v, ok)
	}
}

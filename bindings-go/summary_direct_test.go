package atomicperf

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of Summary's direct path: Record writing the current histogram's C cells (see
// summaryCells) instead of calling ap_summary_record, under the word hold holds until its
// slot's timer fires.

// directCells returns s's direct-path description, failing the test when Record has none.
func directCells(t *testing.T, s *Summary) *summaryCells {
	t.Helper()
	c := s.cells.Load()
	if c == nil {
		t.Fatal("the summary has no direct path (ap_summary_layout's clock is not CLOCK_MONOTONIC?)")
	}
	return c
}

// currentWord loads the summary's current word (slot and entry index).
func (c *summaryCells) currentWord() uint64 {
	return atomic.LoadUint64((*uint64)(c.current))
}

func TestSummaryDirectPathDescribesTheRing(t *testing.T) {
	s := MustNewSummary(SummaryOpts{}) // 10 minutes in 5 age buckets
	defer s.Close()
	c := directCells(t, s)
	if c.slotNs != uint64(2*time.Minute) || len(c.entries) != 7 || c.indexBits != 16 {
		t.Errorf("slot %d ns, %d entries, %d index bits; want 2 min, 7, 16", c.slotNs, len(c.entries), c.indexBits)
	}
	word := c.currentWord()
	if slot, now := word>>c.indexBits, uint64(nanotime())/c.slotNs; slot != now && slot+1 != now {
		t.Errorf("the current word's slot %d, CLOCK_MONOTONIC's %d", slot, now)
	}
	h := MustNewHistogram()
	defer h.Close()
	for i, e := range c.entries {
		want := h.layout
		// Each entry has its own cells, laid out as a default histogram's.
		if e.buckets == want.buckets || e.highest != want.highest || e.subBits != want.subBits ||
			uintptr(e.buckets)-uintptr(e.min) != uintptr(want.buckets)-uintptr(want.min) {
			t.Errorf("entry %d: %+v, a default histogram: %+v", i, e, want)
		}
	}
}

// The same values through the direct path (the library only at a slot change) and through one
// cgo call each give the same count, sum, window and quantiles.
func TestSummaryDirectPathRecordsWhatTheLibraryRecords(t *testing.T) {
	for _, opts := range []SummaryOpts{
		{},
		{SignificantFigures: 3, Highest: 1_000_000_000},
		{MaxAge: time.Hour, AgeBuckets: 255, SignificantFigures: 1, Highest: 2},
	} {
		direct, called := MustNewSummary(opts), MustNewSummary(opts)
		c := directCells(t, direct)
		vs := append(latencies(20_000), 0, 1, 2, 1<<40, ^uint64(0)) // and past highest: clamped
		written := 0
		for _, v := range vs {
			if c.record(v) {
				written++
			} else {
				direct.recordCgo(v)
			}
			called.recordCgo(v)
			direct.Record(v) // the public method, twice over
			called.recordCgo(v)
		}
		if written == 0 {
			t.Errorf("%+v: no value went through the direct path", opts)
		}
		if direct.Count() != called.Count() || direct.Sum() != called.Sum() ||
			direct.WindowCount() != called.WindowCount() || direct.Count() != uint64(2*len(vs)) {
			t.Errorf("%+v: Count, Sum, WindowCount = %d, %d, %d through the cells, %d, %d, %d through cgo",
				opts, direct.Count(), direct.Sum(), direct.WindowCount(), called.Count(), called.Sum(), called.WindowCount())
		}
		for _, q := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
			a, errA := direct.Quantile(q)
			b, errB := called.Quantile(q)
			if a != b || errA != nil || errB != nil {
				t.Errorf("%+v: Quantile(%v) = %d, %v through the cells, %d, %v through cgo", opts, q, a, errA, b, errB)
			}
		}
		direct.Close()
		called.Close()
	}
}

// The held word is the current one from the first record of a slot until the slot's timer
// fires; then records go through the library until one claims the next slot, which is held in
// turn.
func TestSummaryDirectPathHoldsEachSlotUntilItsTimerFires(t *testing.T) {
	s := MustNewSummary(SummaryOpts{MaxAge: 30 * time.Millisecond, AgeBuckets: 3})
	defer s.Close()
	c := directCells(t, s)
	var ones, fours uint64
	for c.held.Load() == noWord { // held from creation, or from a record of this slot on
		s.Record(1)
		ones++
	}
	w := c.held.Load()
	if w != c.currentWord() || w&c.indexMask >= uint64(len(c.entries)) {
		t.Fatalf("held %#x, current word %#x", w, c.currentWord())
	}
	if !c.record(2) { // only if the slot has just ended
		if c.held.Load() == w {
			t.Error("a record under the held word went to the library")
		}
		s.recordCgo(2)
	}
	for c.held.Load() == w { // nobody records: only the timer lets go of it
		time.Sleep(time.Millisecond)
	}
	if got := c.held.Load(); got != noWord {
		t.Errorf("after the slot's timer: held %#x, want none", got)
	}
	if c.record(3) {
		t.Error("a record with no held word was written directly")
	}
	s.recordCgo(3)
	for c.held.Load() == noWord { // a later slot, once the library has claimed it
		s.Record(4)
		fours++
	}
	if next := c.held.Load(); next>>c.indexBits <= w>>c.indexBits || next != c.currentWord() {
		t.Errorf("held %#x after %#x, current word %#x", next, w, c.currentWord())
	}
	if s.Count() != ones+fours+2 || s.Sum() != ones+2+3+4*fours {
		t.Errorf("Count, Sum = %d, %d, want %d, %d", s.Count(), s.Sum(), ones+fours+2, ones+2+3+4*fours)
	}
}

func TestSummaryDirectPathCountsEveryRecordOfManyGoroutines(t *testing.T) {
	const goroutines, each = 8, 20_000
	s := MustNewSummary(SummaryOpts{})
	defer s.Close()
	directCells(t, s)
	vs := latencies(each)
	var want uint64
	for _, v := range vs {
		want += v * goroutines
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, v := range vs {
				s.Record(v)
			}
		}()
	}
	wg.Wait()
	// A slot change (every 2 minutes) moves values to another histogram of the window: none is
	// lost.
	if s.Count() != goroutines*each || s.Sum() != want || s.WindowCount() != goroutines*each {
		t.Errorf("Count, Sum, WindowCount = %d, %d, %d, want %d, %d, %d",
			s.Count(), s.Sum(), s.WindowCount(), goroutines*each, want, goroutines*each)
	}
}

// Goroutines record while the 10 ms age buckets of a 30 ms window turn over under them: count
// and sum stay exact, and once max age has passed the window is empty.
func TestSummaryDirectPathAcrossSlotChangesUnderLoad(t *testing.T) {
	s := MustNewSummary(SummaryOpts{MaxAge: 30 * time.Millisecond, AgeBuckets: 3})
	defer s.Close()
	c := directCells(t, s)
	const goroutines = 4
	var stop atomic.Bool
	counts, sums, direct := make([]uint64, goroutines), make([]uint64, goroutines), make([]uint64, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs := latencies(batchLen)
			for i := 0; !stop.Load(); i++ {
				v := vs[i%batchLen] + uint64(g)
				// Every other value by the public method, the rest by the direct step itself, to
				// count how many went direct.
				if i%2 == 0 {
					s.Record(v)
				} else if c.record(v) {
					direct[g]++
				} else {
					s.recordCgo(v)
				}
				counts[g]++
				sums[g] += v
			}
		}()
	}
	// Until the ring has turned over 6 times (2 whole windows); no time limit but the test's.
	slots := map[uint64]bool{c.currentWord() >> c.indexBits: true}
	for len(slots) < 7 {
		time.Sleep(time.Millisecond)
		slots[c.currentWord()>>c.indexBits] = true
	}
	stop.Store(true)
	wg.Wait()
	var count, sum, written uint64
	for g := range counts {
		count, sum, written = count+counts[g], sum+sums[g], written+direct[g]
	}
	if s.Count() != count || s.Sum() != sum {
		t.Errorf("Count, Sum = %d, %d, want %d, %d", s.Count(), s.Sum(), count, sum)
	}
	if written == 0 || s.WindowCount() > count {
		t.Errorf("%d values written directly, WindowCount %d of %d", written, s.WindowCount(), count)
	}
	time.Sleep(200 * time.Millisecond) // far past MaxAge, whatever the coarse clock's resolution
	if _, err := s.Quantile(0.5); !errors.Is(err, ErrEmpty) || s.WindowCount() != 0 {
		t.Errorf("after MaxAge: Quantile %v, WindowCount %d, want ErrEmpty and 0", err, s.WindowCount())
	}
	s.Record(42) // a slot change: the library claims an entry
	s.Record(42) // most likely direct
	if s.Count() != count+2 || s.Sum() != sum+84 {
		t.Errorf("after MaxAge, two records: Count, Sum = %d, %d, want %d, %d", s.Count(), s.Sum(), count+2, sum+84)
	}
}

func TestSummaryDirectPathStopsAtCloseAndRacesItSafely(t *testing.T) {
	s := MustNewSummary(SummaryOpts{})
	directCells(t, s)
	s.Record(1)
	s.Close()
	if s.cells.Load() != nil {
		t.Error("Close left the direct path on")
	}
	s.Record(2) // nothing
	if s.Count() != 0 {
		t.Errorf("Count after Close = %d", s.Count())
	}
	// Records racing Close: each may or may not count; none crashes or touches freed memory.
	for round := 0; round < 20; round++ {
		s := MustNewSummary(SummaryOpts{MaxAge: 3 * time.Millisecond, AgeBuckets: 3})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := uint64(0); i < 2000; i++ {
					s.Record(i)
				}
			}()
		}
		runtime.Gosched()
		s.Close()
		wg.Wait()
	}
}

func TestSummaryDirectPathFreesBothHandlesOnceUnreachable(t *testing.T) {
	// Earlier tests' garbage first, so that the count below is this summary's.
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	before := handlesFreed.Load()
	func() {
		s := MustNewSummary(SummaryOpts{})
		directCells(t, s)
		s.Record(1)
		s.Close() // frees the handle; the cells reference waits for the collector
	}()
	for i := 0; i < 100 && handlesFreed.Load()-before < 2; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := handlesFreed.Load() - before; got != 2 {
		t.Errorf("%d handles freed, want 2 (the handle and the cells reference)", got)
	}
}

func TestRegistrySummaryHasTheDirectPath(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	s := r.MustSummary("rpc_seconds", "RPC latency.", Labels{"method": "get"}, SummaryOpts{})
	c := directCells(t, s)
	written := 0
	for ms := uint64(1); ms <= 100; ms++ {
		if c.record(ms * 1_000_000) {
			written++
		} else {
			s.recordCgo(ms * 1_000_000)
		}
	}
	if written == 0 {
		t.Error("no value went through the direct path")
	}
	s.Close() // ignored: owned by the registry
	s.Record(1_000_000)
	if s.cells.Load() == nil || s.Count() != 101 {
		t.Errorf("after Close of a registry summary: direct path %v, Count %d", s.cells.Load() != nil, s.Count())
	}
	out, err := r.Export(FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	if want := "rpc_seconds_count{method=\"get\"} 101\n"; !strings.Contains(string(out), want) {
		t.Errorf("export lacks %q:\n%s", want, out)
	}
}

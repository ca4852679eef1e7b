package atomicperf

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGaugeStartsAtInitialAndSetsAndAdjusts(t *testing.T) {
	g := MustNewGauge(2.5)
	defer g.Close()
	steps := []struct {
		name string
		do   func()
		want float64
	}{
		{"initial", func() {}, 2.5},
		{"Set", func() { g.Set(10) }, 10},
		{"Add", func() { g.Add(1.5) }, 11.5},
		{"Add negative", func() { g.Add(-0.5) }, 11},
		{"Sub", func() { g.Sub(4) }, 7},
		{"Inc", func() { g.Inc() }, 8},
		{"Dec", func() { g.Dec(); g.Dec() }, 6},
		{"SetMax higher", func() { g.SetMax(9) }, 9},
		{"SetMax lower keeps", func() { g.SetMax(3) }, 9},
		{"SetMin lower", func() { g.SetMin(-1.25) }, -1.25},
		{"SetMin higher keeps", func() { g.SetMin(5) }, -1.25},
	}
	for _, s := range steps {
		s.do()
		if got := g.Get(); got != s.want {
			t.Fatalf("after %s: Get() = %v, want %v", s.name, got, s.want)
		}
	}
}

func TestGaugeHoldsNaNAndInfinities(t *testing.T) {
	g, err := NewGauge(math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := g.Get(); !math.IsInf(got, 1) {
		t.Fatalf("Get() = %v, want +Inf", got)
	}
	g.Set(math.NaN())
	if got := g.Get(); !math.IsNaN(got) {
		t.Fatalf("Get() = %v, want NaN", got)
	}
}

func TestGaugeLosesNoUpdateUnder8Goroutines(t *testing.T) {
	g := MustNewGauge(0)
	defer g.Close()
	const goroutines, per = 8, 10_000
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < per; j++ {
				g.Add(2)
				g.Dec()
			}
		}()
	}
	wg.Wait()
	if got, want := g.Get(), float64(goroutines*per); got != want {
		t.Fatalf("Get() = %v, want %v", got, want)
	}
}

func TestGaugeAfterCloseIgnoresWritesAndReadsZero(t *testing.T) {
	g := MustNewGauge(3)
	g.Close()
	g.Close()
	g.Set(1)
	g.Add(1)
	g.Sub(1)
	g.Inc()
	g.Dec()
	g.SetMax(100)
	g.SetMin(-100)
	if got := g.Get(); got != 0 {
		t.Fatalf("Get() after Close = %v, want 0", got)
	}
}

func TestGaugeDirectAddsFrom8GoroutinesAreExactThroughTheLibrary(t *testing.T) {
	g := MustNewGauge(0)
	defer g.Close()
	const goroutines, per = 8, 100_000
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < per; j++ {
				g.Add(1.0)
				if j%100 == 0 {
					g.addCgo(1.0) // the library's CAS loop on the same word
				}
			}
		}()
	}
	wg.Wait()
	want := float64(goroutines * (per + per/100))
	if got := g.getCgo(); got != want {
		t.Fatalf("library reads %v, want %v", got, want)
	}
	if got := g.Get(); got != want {
		t.Fatalf("Get() = %v, want %v", got, want)
	}
}

func TestGaugeConcurrentSetsLeaveOneOfTheValues(t *testing.T) {
	g := MustNewGauge(-1)
	defer g.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10_000; j++ {
				g.Set(float64(i))
			}
		}()
	}
	wg.Wait()
	got := g.getCgo()
	if got != math.Trunc(got) || got < 0 || got > 7 {
		t.Fatalf("library reads %v after concurrent Sets of 0..7", got)
	}
	g.setCgo(42.5)
	if got := g.Get(); got != 42.5 {
		t.Fatalf("Get() after the library's set = %v, want 42.5", got)
	}
}

func TestGaugeSetMaxAndSetMinMatchTheLibraryIncludingNaN(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	values := []float64{nan, -inf, -2, -0.5, 0, 1, 3.25, inf}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	direct, lib := MustNewGauge(0), MustNewGauge(0)
	defer direct.Close()
	defer lib.Close()
	for _, cur := range values {
		for _, v := range values {
			direct.Set(cur)
			lib.Set(cur)
			direct.SetMax(v)
			lib.setMaxCgo(v)
			if a, b := direct.Get(), lib.Get(); !same(a, b) {
				t.Errorf("SetMax(%v) from %v: direct %v, library %v", v, cur, a, b)
			}
			direct.Set(cur)
			lib.Set(cur)
			direct.SetMin(v)
			lib.setMinCgo(v)
			if a, b := direct.Get(), lib.Get(); !same(a, b) {
				t.Errorf("SetMin(%v) from %v: direct %v, library %v", v, cur, a, b)
			}
		}
	}
}

func TestGaugeConcurrentSetMaxAndSetMinKeepTheExtremes(t *testing.T) {
	hi, lo := MustNewGauge(0), MustNewGauge(0)
	defer hi.Close()
	defer lo.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10_000; j++ {
				hi.SetMax(float64(i*10_000 + j))
				lo.SetMin(-float64(i*10_000 + j))
			}
		}()
	}
	wg.Wait()
	if got := hi.getCgo(); got != 79_999 {
		t.Errorf("high-water mark = %v, want 79999", got)
	}
	if got := lo.getCgo(); got != -79_999 {
		t.Errorf("low-water mark = %v, want -79999", got)
	}
}

func TestGaugeCellsDescriptionIsOneAlignedWord(t *testing.T) {
	g := MustNewGauge(1.5)
	defer g.Close()
	d := g.describeCells()
	if d.kind != cellGaugeBits || d.count != 1 || d.base == nil || (uintptr(d.base)+d.offset)%8 != 0 {
		t.Fatalf("gauge cells = %+v, want one 8-byte-aligned AP_CELL_GAUGE_BITS cell", d)
	}
}

func TestGaugeCloseWhileOthersWriteIsSafe(t *testing.T) {
	for round := 0; round < 20; round++ {
		g := MustNewGauge(0)
		var started, done sync.WaitGroup
		var stop atomic.Bool
		for w := 0; w < 4; w++ {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				for i := 0; i < 1000; i++ {
					g.Add(1)
				}
				started.Done()
				for !stop.Load() {
					g.Add(1)
					g.Inc()
					g.Dec()
					g.SetMax(-1) // never raises: the value only grows from 0
				}
			}()
		}
		started.Wait() // every writer has made its first 1,000 adds and is still writing
		if got := g.Get(); got < 4000 {
			t.Fatalf("round %d: Get() before Close = %v, want at least 4000", round, got)
		}
		g.Close()
		if got := g.Get(); got != 0 {
			t.Fatalf("round %d: Get() after Close = %v, want 0", round, got)
		}
		runtime.Gosched()
		stop.Store(true)
		done.Wait()
		if g.h.load() == nil {
			t.Fatalf("round %d: Close freed the word of a reachable gauge", round)
		}
	}
	before := handlesFreed.Load()
	func() { MustNewGauge(1).Close() }()
	for i := 0; i < 100 && handlesFreed.Load() == before; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if handlesFreed.Load() == before {
		t.Fatal("the cleanup did not free a closed, unreachable gauge")
	}
}

package atomicperf

import (
	"math"
	"sync"
	"testing"
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

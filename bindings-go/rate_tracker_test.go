package atomicperf

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestRateTrackerFirstCallIsZeroThenReportsDeltasInCreationOrder(t *testing.T) {
	a, b := MustNewCounter(), MustNewCounter()
	defer a.Close()
	defer b.Close()
	r := MustNewRateTracker([]string{"requests", "errors"}, []*Counter{a, b})
	defer r.Close()
	a.Add(10)
	first, err := r.Rates()
	if err != nil {
		t.Fatal(err)
	}
	want := []Rate{{"requests", 0, 0}, {"errors", 0, 0}}
	if !slices.Equal(first, want) {
		t.Errorf("first Rates() = %+v, want %+v", first, want)
	}
	a.Add(30)
	b.Add(5)
	rates, err := r.Rates()
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 2 || rates[0].Name != "requests" || rates[0].Delta != 30 ||
		rates[1].Name != "errors" || rates[1].Delta != 5 {
		t.Fatalf("Rates() = %+v, want requests +30, errors +5", rates)
	}
	for _, x := range rates {
		if x.PerSecond < 0 || x.PerSecond != x.PerSecond {
			t.Errorf("%s: PerSecond = %v, want a non-negative number", x.Name, x.PerSecond)
		}
	}
	if got := r.Names(); !slices.Equal(got, []string{"requests", "errors"}) {
		t.Errorf("Names() = %v", got)
	}
}

func TestRateTrackerOfAMapReportsCountersSortedByName(t *testing.T) {
	c1, c2 := MustNewCounter(), MustNewCounter()
	defer c1.Close()
	defer c2.Close()
	r, err := NewRateTrackerOf(map[string]*Counter{"zeta": c1, "alpha": c2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Rates()
	c2.Add(7)
	rates, _ := r.Rates()
	if len(rates) != 2 || rates[0].Name != "alpha" || rates[0].Delta != 7 || rates[1].Name != "zeta" {
		t.Errorf("Rates() = %+v, want alpha +7 then zeta", rates)
	}
}

func TestRateTrackerWithoutCountersReportsNothing(t *testing.T) {
	r := MustNewRateTracker(nil, nil)
	defer r.Close()
	if rates, err := r.Rates(); err != nil || len(rates) != 0 {
		t.Errorf("Rates() = %v, %v, want empty, nil", rates, err)
	}
}

func TestNewRateTrackerRejectsMismatchedNilAndClosedCounters(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	if _, err := NewRateTracker([]string{"a", "b"}, []*Counter{c}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("2 names, 1 counter: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := NewRateTracker([]string{"a", "b"}, []*Counter{c, nil}); !errors.Is(err, ErrNullHandle) {
		t.Errorf("nil counter: err = %v, want ErrNullHandle", err)
	}
	closed := MustNewCounter()
	closed.Close()
	if _, err := NewRateTracker([]string{"a", "b"}, []*Counter{c, closed}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed counter: err = %v, want ErrClosed", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNewRateTracker with mismatched slices did not panic")
		}
	}()
	MustNewRateTracker([]string{"a"}, nil)
}

func TestRateTrackerKeepsWorkingAfterItsCountersGoValueIsClosed(t *testing.T) {
	c := MustNewCounter()
	r := MustNewRateTracker([]string{"c"}, []*Counter{c})
	defer r.Close()
	c.Close()
	if _, err := r.Rates(); err != nil {
		t.Errorf("Rates() after the counter's Close: %v", err)
	}
}

func TestRateTrackerConcurrentCallersNeverFailOrReportMoreThanWasAdded(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	r := MustNewRateTracker([]string{"c"}, []*Counter{c})
	defer r.Close()
	r.Rates()
	// Callers that saw the same previous snapshot both report the growth since it, so the 1000
	// may show up more than once; what holds is that no call fails, blocks or reports more
	// than was added.
	c.Add(1000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				rates, err := r.Rates()
				if err != nil || len(rates) != 1 || rates[0].Delta > 1000 || rates[0].PerSecond < 0 {
					t.Errorf("Rates() = %+v, %v", rates, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRateTrackerAfterCloseIsErrClosed(t *testing.T) {
	r := MustNewRateTracker(nil, nil)
	r.Close()
	r.Close()
	if _, err := r.Rates(); err != ErrClosed {
		t.Errorf("Rates() after Close: err = %v, want ErrClosed", err)
	}
}

package atomicperf

// Soak: every primitive from several goroutines for a bounded time, resident memory sampled.
// Skipped unless APGO_SOAK_SECONDS is set (scripts/soak.sh sets it):
//
//	APGO_SOAK_SECONDS=12 go test -run '^TestSoak$' -v .
//
// Passes when RSS (/proc/self/statm) is flat after warm-up (growth from the first sample after a
// quarter of the run to the end under 10% + 8 MiB) and every total is exact at the end. The
// workload's state is bounded (keys, series and accounts cycle over fixed sets), so growth
// means a leak.

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func soakRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize()) / 1024
}

func TestSoak(t *testing.T) {
	secsText := os.Getenv("APGO_SOAK_SECONDS")
	if secsText == "" {
		t.Skip("set APGO_SOAK_SECONDS to run the soak")
	}
	secs, err := strconv.ParseFloat(secsText, 64)
	if err != nil || secs <= 0 {
		t.Fatalf("APGO_SOAK_SECONDS=%q: want a positive number", secsText)
	}
	const threads, keys, accounts = 4, 256, 16
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	counter, err := NewCounter()
	must(err)
	gauge, err := NewGauge(0)
	must(err)
	hist, err := NewHistogram()
	must(err)
	minmax, err := NewMinMax()
	must(err)
	timer, err := NewTimer()
	must(err)
	rates, err := NewRateTrackerOf(map[string]*Counter{"ops": counter})
	must(err)
	window, err := NewThroughputWindow(10*time.Second, 10, time.Millisecond)
	must(err)
	asyncHist, err := NewHistogram()
	must(err)
	recorder, err := NewHistogramRecorder(asyncHist, &AsyncConfig{Capacity: 4096, Workers: 2, Batch: 256, Overflow: OverflowBlock})
	must(err)
	smap, err := NewShardedMap(0)
	must(err)
	once, err := NewOnceMap()
	must(err)
	ledger, err := NewLedger()
	must(err)
	for a := uint64(0); a < accounts; a++ {
		must(ledger.Open(a, false))
		_, err = ledger.Deposit(a, 1_000_000)
		must(err)
	}
	cell, err := NewSnapshotCell([]byte("initial"))
	must(err)
	root, err := NewCancellationToken()
	must(err)
	registry, err := NewRegistry()
	must(err)

	var stop atomic.Bool
	var errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		if err != nil {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}
	}
	rounds := make([]uint64, threads)
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			i := uint64(0)
			for !stop.Load() {
				i++
				counter.Inc()
				gauge.Add(1)
				gauge.Sub(1)
				hist.Record(i % 1_000_000)
				minmax.Record(i)
				timer.RecordNanos(i%10_000, i%7 != 0)
				window.Record(time.Duration(i % 2_000_000))
				_, err := recorder.Record(i % 1000)
				fail(err)
				key := []byte(fmt.Sprintf("%d-%d", w, i%keys))
				_, err = smap.Insert(key, []byte("value"))
				fail(err)
				if i%3 == 0 {
					_, err = smap.Remove(key)
					fail(err)
				}
				fail(ledger.Transfer(i%accounts, (i+1+uint64(w))%accounts, 1))
				if i%64 == 0 {
					_, err = cell.Store(key)
					fail(err)
					_, err = rates.Rates()
					fail(err)
					_, err = once.Remove(key[:3])
					fail(err)
				}
				_, _, err = cell.Load()
				fail(err)
				_, err = once.GetOrInit(key[:3], func() ([]byte, error) { return key, nil })
				fail(err)
				child, err := root.Child()
				fail(err)
				grandchild, err := child.Child()
				fail(err)
				fail(grandchild.Close())
				fail(child.Close())
				c, err := registry.Counter("soak_ops", "", Labels{"code": strconv.Itoa(int(i % 8))})
				fail(err)
				c.Inc()
				fail(c.Close())
				if i%4096 == 0 {
					_, err = registry.Export(FormatPrometheus)
					fail(err)
				}
			}
			for k := 0; k < keys; k++ {
				_, err := smap.Insert([]byte(fmt.Sprintf("%d-%d", w, k)), []byte("value"))
				fail(err)
			}
			rounds[w] = i
		}(w)
	}
	duration := time.Duration(secs * float64(time.Second))
	start := time.Now()
	var baseline, last, peak int64
	for time.Since(start) < duration {
		time.Sleep(250 * time.Millisecond)
		last = soakRSSKiB()
		if last > peak {
			peak = last
		}
		if baseline == 0 && time.Since(start) >= duration/4 {
			baseline = last
		}
	}
	stop.Store(true)
	wg.Wait()
	if errs.Load() != 0 {
		t.Errorf("%d calls failed; first: %v", errs.Load(), firstErr.Load())
	}
	var total uint64
	for _, r := range rounds {
		total += r
	}
	if !recorder.Flush(time.Minute) {
		t.Error("async recorder did not flush")
	}
	check := func(ok bool, format string, args ...any) {
		if !ok {
			t.Errorf(format, args...)
		}
	}
	check(counter.Get() == total, "counter %d != %d", counter.Get(), total)
	check(hist.Count() == total, "histogram count %d != %d", hist.Count(), total)
	check(timer.Stats().Count == total, "timer count %d != %d", timer.Stats().Count, total)
	check(asyncHist.Count() == total, "async applied %d != %d", asyncHist.Count(), total)
	check(gauge.Get() == 0, "gauge %g", gauge.Get())
	lt, err := ledger.Total()
	must(err)
	check(lt == accounts*1_000_000, "ledger total %d", lt)
	check(smap.Len() == threads*keys, "map len %d", smap.Len())
	check(once.Len() <= threads*keys, "once-map len %d", once.Len())
	var series uint64
	for c := 0; c < 8; c++ {
		rc, err := registry.Counter("soak_ops", "", Labels{"code": strconv.Itoa(c)})
		must(err)
		series += rc.Get()
		rc.Close()
	}
	check(series == total, "registry series sum %d != %d", series, total)
	bound := baseline + baseline/10 + 8*1024
	check(last <= bound, "RSS grew: %d KiB after warm-up -> %d KiB (bound %d)", baseline, last, bound)
	fmt.Printf("soak go: %g s, %d goroutines, %d rounds of every primitive; RSS after warm-up %d MiB, end %d MiB, peak %d MiB (bound %d MiB); counter=%d histogram=%d ledger total=%d map=%d once=%d\n",
		secs, threads, total, baseline/1024, last/1024, peak/1024, bound/1024, counter.Get(), hist.Count(), lt, smap.Len(), once.Len())
	must(recorder.Close())
}

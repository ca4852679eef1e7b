//go:build cgo

package atomicperf

import "unsafe"

// The objects that build on other metrics (RateTracker over counters, AsyncRecorder over any
// metric) borrow the metric's C handle for the duration of their constructor's C call through
// borrow; the library then keeps its own reference, so the Go metric may be closed afterwards.
// metricHandle is the only place outside counter.go and gauge.go that reaches into Counter's and
// Gauge's internals.

// metricHandle returns the handle of a metric of this package, or nil for a nil metric.
func metricHandle(m any) *handle {
	switch m := m.(type) {
	case *Counter:
		if m != nil {
			return &m.h
		}
	case *Gauge:
		if m != nil {
			return &m.h
		}
	case *Histogram:
		if m != nil {
			return &m.h
		}
	case *MinMax:
		if m != nil {
			return &m.h
		}
	case *Timer:
		if m != nil {
			return &m.h
		}
	}
	return nil
}

// borrow returns the live C handle of metric m and registers a call in flight, which done
// ends. A nil m gives a nil pointer (the library reports AP_ERR_NULL_HANDLE for it) and ok ==
// true; a closed m gives ok == false.
func borrow(m any) (p unsafe.Pointer, done func(), ok bool) {
	h := metricHandle(m)
	if h == nil {
		return nil, func() {}, true
	}
	if p = h.acquire(); p == nil {
		return nil, nil, false
	}
	return p, h.release, true
}

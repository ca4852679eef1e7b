package atomicperf

/*
#include <math.h>
#include "apgo.h"

// apgo_counter_exemplar adds n with the exemplar described by `packed` (see apgo_lookup; name
// and help empty).
static ap_status apgo_counter_exemplar(const ap_counter *c, uint64_t n, const char *packed,
		size_t n_labels, double ts, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	s = ap_counter_add_with_exemplar(c, n, l.names, l.values, n_labels, ts);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

static ap_status apgo_histogram_exemplar(const ap_histogram *h, uint64_t v, const char *packed,
		size_t n_labels, double ts, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	s = ap_histogram_record_with_exemplar(h, v, l.names, l.values, n_labels, ts);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}
*/
import "C"

import (
	"math"
	"time"
	"unsafe"
)

// exemplarTime is the library's timestamp argument: seconds since the Unix epoch, NaN for none
// (the zero time.Time).
func exemplarTime(t time.Time) C.double {
	if t.IsZero() {
		return C.double(math.NaN())
	}
	return C.double(float64(t.UnixNano()) / 1e9)
}

// AddWithExemplar adds n and makes exemplar (a trace's labels, such as trace_id and span_id)
// the counter's exemplar, with value n, stamped with ts (the zero time: none). A [Registry]
// exports the latest one in OpenMetrics and protobuf (never in the Prometheus text format), so
// a point on a dashboard links to its trace. One cgo call (the plain Inc and Add make none). A
// label name outside the Prometheus data model, more than 128 characters of names and values
// together (OpenMetrics' limit) or a NUL byte give an error matching [ErrInvalidArgument], and
// nothing is added; after Close, [ErrClosed].
func (c *Counter) AddWithExemplar(n uint64, exemplar Labels, ts time.Time) error {
	const op = "Counter.AddWithExemplar"
	var stack [packLen]byte
	packed, err := pack(op, "", "", exemplar, &stack)
	if err != nil {
		return err
	}
	p := (*C.ap_counter)(c.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer c.h.release()
	var msg *C.char
	return check(op, C.apgo_counter_exemplar(p, C.uint64_t(n), (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(exemplar)), exemplarTime(ts), &msg), msg)
}

// IncWithExemplar is AddWithExemplar(1, exemplar, ts).
func (c *Counter) IncWithExemplar(exemplar Labels, ts time.Time) error {
	return c.AddWithExemplar(1, exemplar, ts)
}

// RecordWithExemplar records v and makes exemplar (a trace's labels) the exemplar of the
// exported bucket v falls in, stamped with ts (the zero time: none): a [Registry] exports the
// latest exemplar of each le bucket in OpenMetrics and protobuf, with its value in the exported
// unit (seconds for nanoseconds). One cgo call (the plain Record makes none). Errors as
// [Counter.AddWithExemplar]; nothing is recorded on error.
func (h *Histogram) RecordWithExemplar(v uint64, exemplar Labels, ts time.Time) error {
	const op = "Histogram.RecordWithExemplar"
	var stack [packLen]byte
	packed, err := pack(op, "", "", exemplar, &stack)
	if err != nil {
		return err
	}
	p := (*C.ap_histogram)(h.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer h.h.release()
	var msg *C.char
	return check(op, C.apgo_histogram_exemplar(p, C.uint64_t(v), (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(exemplar)), exemplarTime(ts), &msg), msg)
}

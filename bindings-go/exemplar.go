package atomicperf

/*
#cgo noescape apgo_counter_exemplar
#cgo nocallback apgo_counter_exemplar
#cgo noescape apgo_histogram_exemplar
#cgo nocallback apgo_histogram_exemplar
#include <math.h>
#include "apgo.h"

// apgo_counter_exemplar adds n with the exemplar whose labels are packed (name\0value\0 per
// label, len bytes; see packExemplar).
static ap_status apgo_counter_exemplar(const ap_counter *c, uint64_t n, const char *packed,
		size_t len, double ts, char **msg) {
	return apgo_fail(ap_counter_add_with_exemplar_packed(c, n, packed, len, ts), msg);
}

static ap_status apgo_histogram_exemplar(const ap_histogram *h, uint64_t v, const char *packed,
		size_t len, double ts, char **msg) {
	return apgo_fail(ap_histogram_record_with_exemplar_packed(h, v, packed, len, ts), msg);
}
*/
import "C"

import (
	"bytes"
	"math"
	"time"
	"unsafe"
)

// packExemplar writes the labels as ap_counter_add_with_exemplar_packed takes them, name\0value\0
// per label in the map's order (the library sorts an exemplar's labels itself), in one pass over
// the map into stack (a new buffer past its size), and returns the bytes. A NUL byte in a name or
// value gives an error matching [ErrInvalidArgument], as in pack: one count of the NULs of the
// whole buffer instead of a search per string.
func packExemplar(op string, labels Labels, stack *[packLen]byte) ([]byte, error) {
	buf := stack[:0]
	for k, v := range labels {
		buf = append(append(buf, k...), 0)
		buf = append(append(buf, v...), 0)
	}
	if bytes.Count(buf, nul) != 2*len(labels) {
		return nil, newError(op, CodeInvalidArgument, "a name, help text or label contains a NUL byte")
	}
	return buf, nil
}

var nul = []byte{0}

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
	packed, err := packExemplar(op, exemplar, &stack)
	if err != nil {
		return err
	}
	p := (*C.ap_counter)(c.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer c.h.release()
	var msg *C.char
	return check(op, C.apgo_counter_exemplar(p, C.uint64_t(n), (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(packed)), exemplarTime(ts), &msg), msg)
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
	packed, err := packExemplar(op, exemplar, &stack)
	if err != nil {
		return err
	}
	p := (*C.ap_histogram)(h.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer h.h.release()
	var msg *C.char
	return check(op, C.apgo_histogram_exemplar(p, C.uint64_t(v), (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(packed)), exemplarTime(ts), &msg), msg)
}

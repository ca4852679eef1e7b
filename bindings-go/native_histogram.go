package atomicperf

/*
#cgo noescape ap_native_histogram_record
#cgo nocallback ap_native_histogram_record
#cgo noescape apgo_native_histogram_new
#cgo nocallback apgo_native_histogram_new
#cgo noescape apgo_native_histogram_quantile
#cgo nocallback apgo_native_histogram_quantile
#cgo noescape apgo_native_histogram_snapshot
#cgo nocallback apgo_native_histogram_snapshot
#cgo noescape apgo_native_histogram_merge
#cgo nocallback apgo_native_histogram_merge
#cgo noescape ap_native_histogram_layout
#cgo nocallback ap_native_histogram_layout
#cgo noescape apgo_registry_native
#cgo nocallback apgo_registry_native
#include "apgo.h"

static inline ap_status apgo_native_histogram_new(int32_t schema, double zero_threshold,
		double lowest, double highest, int defaults, ap_native_histogram **out, char **msg) {
	ap_native_options o;
	ap_native_options_default(&o);
	if (!defaults) {
		o.schema = schema;
		o.zero_threshold = zero_threshold;
		if (lowest != 0 || highest != 0) {
			o.dense_lowest = lowest;
			o.dense_highest = highest;
		}
	}
	return apgo_fail(ap_native_histogram_new(&o, out), msg);
}

// apgo_registry_native gets or creates a native histogram of a registry, described by `packed`
// (see apgo_lookup in apgo.h); defaults != 0 takes the default options.
static ap_status apgo_registry_native(const ap_registry *r, const char *packed, size_t n_labels,
		int defaults, int32_t schema, double zero_threshold, double lowest, double highest,
		const double *classic, size_t n_classic, ap_native_histogram **out, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	ap_native_options o;
	ap_native_options_default(&o);
	if (!defaults) {
		o.schema = schema;
		o.zero_threshold = zero_threshold;
		if (lowest != 0 || highest != 0) {
			o.dense_lowest = lowest;
			o.dense_highest = highest;
		}
	}
	s = ap_registry_native_histogram(r, l.name, l.help, l.names, l.values, n_labels, &o, classic,
	                                 n_classic, out);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

static inline ap_status apgo_native_histogram_quantile(const ap_native_histogram *h, double q,
		double *out, char **msg) {
	return apgo_fail(ap_native_histogram_quantile(h, q, out), msg);
}

static inline ap_status apgo_native_histogram_snapshot(const ap_native_histogram *h,
		ap_native_stats *stats, ap_native_bucket *buckets, size_t capacity, size_t *len,
		char **msg) {
	ap_status st = ap_native_histogram_snapshot(h, stats, buckets, capacity, len);
	return st == AP_ERR_BUFFER_TOO_SMALL ? st : apgo_fail(st, msg);
}

static inline ap_status apgo_native_histogram_merge(const ap_native_histogram *dst,
		const ap_native_histogram *src, char **msg) {
	return apgo_fail(ap_native_histogram_merge(dst, src), msg);
}
*/
import "C"

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// NativeHistogram is a lock-free histogram with the exponential buckets of Prometheus native
// histograms: a schema from -4 to 8 (neighbouring bucket boundaries a factor 2^(2^-schema)
// apart), a zero bucket, float64 values. A value lands in the bucket client_golang's
// Histogram with NativeHistogramBucketFactor puts it in, including values on a boundary, ±Inf
// and NaN (counted, in no bucket).
//
// Any estimate inside a value's bucket is within a factor 2^(2^-schema) of it: a relative error
// of at most 9.05% at the default schema 3. The default histogram takes under 4 KiB.
//
// A NativeHistogram is safe for concurrent use. Record and RecordDuration make no cgo call for
// positive values of the dense range (1 ns to 1 h in seconds by default), zero and NaN: they
// compute the bucket in Go from the parameters the library describes (ap_native_histogram_layout)
// and update the cells in C memory with sync/atomic, exactly as the library's own record does;
// other values (negative, outside the range) take one cgo call. Every other method is one cgo
// call. Close releases the handle; the cells are freed when the NativeHistogram becomes
// unreachable, as for [Histogram].
type NativeHistogram struct {
	// Read by every Record: &layout, or nil once closed (accessed atomically).
	cells    atomic.Pointer[nativeCells]
	layout   nativeCells
	cellsRef unsafe.Pointer // a clone of the handle that keeps the cells alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
}

// nativeCells is ap_native_cells in Go types, with the cell addresses resolved.
type nativeCells struct {
	zero, nan          unsafe.Pointer // *uint64 in C memory
	sums               unsafe.Pointer // sum stripe 0 (float64 bits)
	sumMask, sumStride uintptr
	dense              unsafe.Pointer // dense cell 0
	denseCount         uint64
	firstKey           int64
	schema             int
	zeroThreshold      float64
	lookup             []uint16  // static memory of the library
	bounds             []float64 // static memory of the library
}

// newNativeCells asks the library where p's cells are; ok is false when the description is
// unusable (a broken contract: the caller panics).
func newNativeCells(p *C.ap_native_histogram) (nc nativeCells, ok bool) {
	var c C.ap_native_cells
	if C.ap_native_histogram_layout(p, &c) != C.AP_OK {
		return nc, false
	}
	base := unsafe.Pointer(c.base)
	n := uintptr(c.sum_count)
	nc = nativeCells{
		zero:          unsafe.Add(base, uintptr(c.zero_offset)),
		nan:           unsafe.Add(base, uintptr(c.nan_offset)),
		sums:          unsafe.Add(base, uintptr(c.sum_offset)),
		sumMask:       n - 1,
		sumStride:     uintptr(c.sum_stride),
		dense:         unsafe.Add(base, uintptr(c.dense_offset)),
		denseCount:    uint64(c.dense_count),
		firstKey:      int64(c.first_key),
		schema:        int(c.schema),
		zeroThreshold: float64(c.zero_threshold),
	}
	if c.lookup_len > 0 {
		nc.lookup = unsafe.Slice((*uint16)(unsafe.Pointer(c.lookup)), int(c.lookup_len))
		nc.bounds = unsafe.Slice((*float64)(unsafe.Pointer(c.bounds)), int(c.bounds_len))
	}
	s := nc.schema
	fits := s <= 0 || (len(nc.lookup) == 4<<s && len(nc.bounds) == 1<<s+1)
	if base == nil || n == 0 || n&(n-1) != 0 || nc.sumStride%8 != 0 || s < -4 || s > 8 || !fits {
		return nc, false
	}
	for _, u := range nc.lookup {
		if int(u) >= len(nc.bounds) {
			return nc, false
		}
	}
	return nc, true
}

// key is the bucket key of a positive, finite, normal v (ap_native_cells' key function, with
// frexp done on the bits: v = frac * 2^exp, frac in [0.5, 1) has v's mantissa field).
func (c *nativeCells) key(v float64) int64 {
	bits := math.Float64bits(v)
	exp := int64(bits>>52) - 1022
	if c.schema > 0 {
		s := uint(c.schema)
		below := int64(c.lookup[(bits>>(52-(s+2)))&(4<<s-1)])
		if c.bounds[below] < math.Float64frombits(bits&(1<<52-1)|1022<<52) {
			below++
		}
		return below + (exp-1)<<s
	}
	if bits&(1<<52-1) == 0 { // frac == 0.5
		exp--
	}
	shift := uint(-c.schema)
	return (exp + 1<<shift - 1) >> shift
}

// record records v in the cells and returns true, or returns false (having written nothing)
// when v belongs to the library's spill tables: negative, or outside the dense range.
func (c *nativeCells) record(v float64) bool {
	var cell unsafe.Pointer
	switch {
	case v > c.zeroThreshold:
		if v > math.MaxFloat64 || v < 0x1p-1022 {
			return false // +Inf, past every dense bucket; subnormals: the library's frexp
		}
		i := uint64(c.key(v) - c.firstKey)
		if i >= c.denseCount {
			return false
		}
		// unsafe.Add within the cells the library described: i < dense_count.
		cell = unsafe.Add(c.dense, uintptr(i)*8)
	case v < -c.zeroThreshold:
		return false
	case v != v:
		cell = c.nan
	default:
		cell = c.zero
	}
	sum := (*uint64)(unsafe.Add(c.sums, (stripeHint()&c.sumMask)*c.sumStride))
	for {
		old := atomic.LoadUint64(sum)
		if atomic.CompareAndSwapUint64(sum, old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	atomic.AddUint64((*uint64)(cell), 1)
	return true
}

// NativeOptions lays out a [NativeHistogram]. The zero value is not the default: use
// [DefaultNativeOptions] and change what you need.
type NativeOptions struct {
	// Schema is from -4 to 8 (default 3).
	Schema int32
	// ZeroThreshold: values of magnitude at most this count in the zero bucket (default 2^-128,
	// client_golang's DefNativeHistogramZeroThreshold).
	ZeroThreshold float64
	// DenseLowest and DenseHighest bound the positive values kept in a fixed array of buckets
	// (default 1e-9 to 3600: 1 ns to 1 h in seconds); the others go to tables allocated on first
	// use. They set speed and memory only, never what is recorded. Both 0: the default range.
	DenseLowest, DenseHighest float64
}

// DefaultNativeOptions returns the default layout: schema 3, zero threshold 2^-128, dense from
// 1e-9 to 3600.
func DefaultNativeOptions() NativeOptions {
	var o C.ap_native_options
	C.ap_native_options_default(&o)
	return NativeOptions{
		Schema:        int32(o.schema),
		ZeroThreshold: float64(o.zero_threshold),
		DenseLowest:   float64(o.dense_lowest),
		DenseHighest:  float64(o.dense_highest),
	}
}

// NativeBucket is one non-empty bucket of a [NativeSnapshot]: for a positive bucket, the values
// v with bound(Key-1) < v <= bound(Key), bound(k) = 2^(k * 2^-schema).
type NativeBucket struct {
	Key   int32
	Count uint64
}

// NativeSnapshot is a [NativeHistogram]'s state at one moment.
type NativeSnapshot struct {
	Schema        int32
	ZeroThreshold float64
	ZeroCount     uint64
	// NaNCount is the number of NaN values (in Count, in no bucket).
	NaNCount uint64
	Count    uint64
	Sum      float64
	// Positive and Negative are the non-empty buckets of positive and negative values, by key.
	Positive, Negative []NativeBucket
}

// NewNativeHistogram returns an empty native histogram with the default layout
// ([DefaultNativeOptions]).
func NewNativeHistogram() (*NativeHistogram, error) {
	return newNative("NewNativeHistogram", nil)
}

// NewNativeHistogramWithOptions returns an empty native histogram laid out by o. A schema
// outside -4..8, a negative or non-finite zero threshold or a bad dense range gives an error
// matching [ErrOutOfRange].
func NewNativeHistogramWithOptions(o NativeOptions) (*NativeHistogram, error) {
	return newNative("NewNativeHistogramWithOptions", &o)
}

func newNative(op string, o *NativeOptions) (*NativeHistogram, error) {
	var p *C.ap_native_histogram
	var msg *C.char
	var st C.ap_status
	if o == nil {
		st = C.apgo_native_histogram_new(0, 0, 0, 0, 1, &p, &msg)
	} else {
		st = C.apgo_native_histogram_new(C.int32_t(o.Schema), C.double(o.ZeroThreshold),
			C.double(o.DenseLowest), C.double(o.DenseHighest), 0, &p, &msg)
	}
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	return wrapNative(p), nil
}

// wrapNative wraps a new owning handle p.
func wrapNative(p *C.ap_native_histogram) *NativeHistogram {
	layout, ok := newNativeCells(p)
	if !ok {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_native_histogram_free(p)
		panic("atomicperf: ap_native_histogram_layout returned an unusable description")
	}
	n := &NativeHistogram{layout: layout}
	n.cellsRef = unsafe.Pointer(C.ap_native_histogram_clone(p))
	n.cells.Store(&n.layout)
	n.h.init(unsafe.Pointer(p), freeNative)
	n.h.cleanup = runtime.AddCleanup(n, freeNative, unsafe.Pointer(p))
	runtime.AddCleanup(n, freeNative, n.cellsRef)
	return n
}

// NativeHistogramOpts lays out a native histogram family of a [Registry].
type NativeHistogramOpts struct {
	// Options of the histograms (nil: [DefaultNativeOptions]).
	Options *NativeOptions
	// ClassicBuckets are `le` bounds (increasing, finite, in seconds) exported beside the
	// native buckets: each counts the values of the native buckets wholly at or below it (exact
	// on a native boundary, such as a power of two). None: the text formats export only +Inf,
	// _sum and _count, as client_golang does for a native-only histogram.
	ClassicBuckets []float64
}

// cacheKey is the look-up cache's key for these options: the classic buckets followed by the
// layout (the cache compares HistogramOpts; Scale 1 tells these keys from a classic family's
// default).
func (o *NativeHistogramOpts) cacheKey() HistogramOpts {
	d := DefaultNativeOptions()
	if o.Options != nil {
		d = *o.Options
	}
	b := append(append([]float64(nil), o.ClassicBuckets...), float64(d.Schema), d.ZeroThreshold, d.DenseLowest, d.DenseHighest)
	return HistogramOpts{Buckets: b, Scale: 1}
}

// NativeHistogram returns the native histogram name with labels, creating it if absent; opts
// lays out a new family and is ignored for an existing one. It is exported natively in
// [FormatProtobuf], and in the text formats as a histogram of its classic buckets, +Inf, _sum
// and _count. Errors as [Registry.Histogram], and an error matching [ErrOutOfRange] for bad
// options.
func (r *Registry) NativeHistogram(name, help string, labels Labels, opts NativeHistogramOpts) (*NativeHistogram, error) {
	key := opts.cacheKey()
	const op = "Registry.NativeHistogram"
	return cachedLookup(&r.h, &r.cache, regNative, name, help, labels, &key, func() (unsafe.Pointer, error) {
		var stack [packLen]byte
		packed, err := pack(op, name, help, labels, &stack)
		if err != nil {
			return nil, err
		}
		rp := (*C.ap_registry)(r.h.acquire())
		if rp == nil {
			return nil, ErrClosed
		}
		defer r.h.release()
		o, defaults := DefaultNativeOptions(), C.int(1)
		if opts.Options != nil {
			o, defaults = *opts.Options, 0
		}
		var out *C.ap_native_histogram
		var msg *C.char
		st := C.apgo_registry_native(rp, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))),
			C.size_t(len(labels)), defaults, C.int32_t(o.Schema), C.double(o.ZeroThreshold),
			C.double(o.DenseLowest), C.double(o.DenseHighest),
			(*C.double)(unsafe.Pointer(unsafe.SliceData(opts.ClassicBuckets))), C.size_t(len(opts.ClassicBuckets)),
			&out, &msg)
		runtime.KeepAlive(opts.ClassicBuckets)
		if err := check(op, st, msg); err != nil {
			return nil, err
		}
		return unsafe.Pointer(out), nil
	}, func(p unsafe.Pointer) (*NativeHistogram, *handle) {
		n := wrapNative((*C.ap_native_histogram)(p))
		return n, &n.h
	})
}

// MustNativeHistogram is like NativeHistogram but panics on error.
func (r *Registry) MustNativeHistogram(name, help string, labels Labels, opts NativeHistogramOpts) *NativeHistogram {
	return mustMetric(r.NativeHistogram(name, help, labels, opts))
}

// MustNewNativeHistogram is like NewNativeHistogram but panics on error.
func MustNewNativeHistogram() *NativeHistogram {
	n, err := NewNativeHistogram()
	if err != nil {
		panic(err)
	}
	return n
}

func freeNative(p unsafe.Pointer) {
	C.ap_native_histogram_free((*C.ap_native_histogram)(p))
	handlesFreed.Add(1)
}

// Record records one value: a few atomic operations on the histogram's cells for positive
// values of the dense range, zero and NaN; one cgo call for the others. It does nothing after
// Close.
func (n *NativeHistogram) Record(v float64) {
	if c := n.cells.Load(); c != nil && c.record(v) {
		// n must stay reachable until the record is done: its cleanup frees the cells.
		runtime.KeepAlive(n)
		return
	}
	if p := (*C.ap_native_histogram)(n.h.acquire()); p != nil {
		C.ap_native_histogram_record(p, C.double(v))
		n.h.release()
	}
}

// RecordDuration records d in seconds: d.Seconds(), the same float64 as the library's
// ap_native_histogram_record_nanos and client_golang's Observe(d.Seconds()). A negative d is
// recorded as 0. It does nothing after Close.
func (n *NativeHistogram) RecordDuration(d time.Duration) {
	n.Record(max(d, 0).Seconds())
}

// Quantile returns the value at quantile q (0 to 1), estimated as Prometheus'
// histogram_quantile does for a native histogram. The error matches [ErrOutOfRange] when q is
// NaN or outside [0, 1], [ErrEmpty] when nothing was recorded, and is [ErrClosed] after Close.
func (n *NativeHistogram) Quantile(q float64) (float64, error) {
	p := (*C.ap_native_histogram)(n.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var out C.double
	var msg *C.char
	st := C.apgo_native_histogram_quantile(p, C.double(q), &out, &msg)
	n.h.release()
	if err := check("NativeHistogram.Quantile", st, msg); err != nil {
		return 0, err
	}
	return float64(out), nil
}

// Snapshot returns the histogram's state at one moment. The error is [ErrClosed] after Close.
func (n *NativeHistogram) Snapshot() (NativeSnapshot, error) {
	p := (*C.ap_native_histogram)(n.h.acquire())
	if p == nil {
		return NativeSnapshot{}, ErrClosed
	}
	defer n.h.release()
	var stats C.ap_native_stats
	buf := make([]C.ap_native_bucket, 64)
	for {
		var length C.size_t
		var msg *C.char
		st := C.apgo_native_histogram_snapshot(p, &stats, unsafe.SliceData(buf), C.size_t(len(buf)), &length, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			buf = make([]C.ap_native_bucket, int(length)+16) // room for buckets added meanwhile
			continue
		}
		if err := check("NativeHistogram.Snapshot", st, msg); err != nil {
			return NativeSnapshot{}, err
		}
		s := NativeSnapshot{
			Schema:        int32(stats.schema),
			ZeroThreshold: float64(stats.zero_threshold),
			ZeroCount:     uint64(stats.zero_count),
			NaNCount:      uint64(stats.nan_count),
			Count:         uint64(stats.count),
			Sum:           float64(stats.sum),
		}
		for _, b := range buf[:length] {
			nb := NativeBucket{Key: int32(b.key), Count: uint64(b.count)}
			if b.negative != 0 {
				s.Negative = append(s.Negative, nb)
			} else {
				s.Positive = append(s.Positive, nb)
			}
		}
		return s, nil
	}
}

// Merge adds every value of other to n. A finer schema merges exactly; a coarser one gives an
// error matching [ErrInvalidArgument]. The error is [ErrClosed] if either is closed.
func (n *NativeHistogram) Merge(other *NativeHistogram) error {
	p := (*C.ap_native_histogram)(n.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer n.h.release()
	q := (*C.ap_native_histogram)(other.h.acquire())
	if q == nil {
		return ErrClosed
	}
	defer other.h.release()
	var msg *C.char
	return check("NativeHistogram.Merge", C.apgo_native_histogram_merge(p, q, &msg), msg)
}

// Reset sets every count and the sum back to zero. It does nothing after Close.
func (n *NativeHistogram) Reset() {
	if p := (*C.ap_native_histogram)(n.h.acquire()); p != nil {
		C.ap_native_histogram_reset(p)
		n.h.release()
	}
}

// Close releases the histogram. Later calls do nothing or return [ErrClosed]; Close may be
// called many times. A histogram owned by a [Registry] ignores Close.
func (n *NativeHistogram) Close() error {
	if n.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	n.cells.Store(nil)
	n.h.close()
	return nil
}

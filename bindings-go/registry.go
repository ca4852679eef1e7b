package atomicperf

/*
#cgo noescape apgo_registry_metric
#cgo nocallback apgo_registry_metric
#cgo noescape apgo_registry_export
#cgo nocallback apgo_registry_export
#include "apgo.h"

static inline ap_status apgo_registry_default(ap_registry **out, char **msg) {
	return apgo_fail(ap_registry_default(out), msg);
}

static inline ap_status apgo_registry_named(const char *name, ap_registry **out, char **msg) {
	return apgo_fail(ap_registry_named(name, out), msg);
}

static inline ap_status apgo_registry_new(ap_registry **out, char **msg) {
	return apgo_fail(ap_registry_new(out), msg);
}

// apgo_registry_metric gets or creates the metric of `kind` (APGO_REG_*) described by `packed`
// (see apgo_lookup in apgo.h).
static ap_status apgo_registry_metric(const ap_registry *r, int kind, const char *packed,
                                      size_t n_labels, const double *buckets, size_t n_buckets,
                                      double scale, void **out, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	switch (kind) {
	case APGO_REG_COUNTER:
		s = ap_registry_counter(r, l.name, l.help, l.names, l.values, n_labels, (ap_counter **)out);
		break;
	case APGO_REG_GAUGE:
		s = ap_registry_gauge(r, l.name, l.help, l.names, l.values, n_labels, (ap_gauge **)out);
		break;
	case APGO_REG_HISTOGRAM:
		s = ap_registry_histogram(r, l.name, l.help, l.names, l.values, n_labels, buckets, n_buckets,
		                          scale, (ap_histogram **)out);
		break;
	case APGO_REG_TIMER:
		s = ap_registry_timer(r, l.name, l.help, l.names, l.values, n_labels, (ap_timer **)out);
		break;
	case APGO_REG_INFO:
		s = ap_registry_info(r, l.name, l.help, l.names, l.values, n_labels, (ap_info **)out);
		break;
	default:
		s = ap_registry_minmax(r, l.name, l.help, l.names, l.values, n_labels, (ap_minmax **)out);
		break;
	}
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

// apgo_registry_remove removes the series described by `packed` (see apgo_lookup; its help is
// empty and unused).
static ap_status apgo_registry_remove(const ap_registry *r, const char *packed, size_t n_labels,
		uint8_t *removed, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	s = ap_registry_remove(r, l.name, l.names, l.values, n_labels, removed);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

static inline ap_status apgo_registry_clear_family(const ap_registry *r, const char *name,
		uint64_t *removed, char **msg) {
	return apgo_fail(ap_registry_clear_family(r, name, removed), msg);
}

static inline ap_status apgo_registry_clear(const ap_registry *r, uint64_t *removed, char **msg) {
	return apgo_fail(ap_registry_clear(r, removed), msg);
}

// As ap_registry_export, with the messages of apgo_fail_text.
static inline ap_status apgo_registry_export(const ap_registry *r, uint32_t format, char *buf,
                                             size_t capacity, size_t *len, char **msg) {
	return apgo_fail_text(ap_registry_export(r, format, buf, capacity, len), msg);
}
*/
import "C"

import (
	"hash/maphash"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Registry holds named metrics with help text and labels, created on first use and shared
// afterwards, and exports them as Prometheus text, OpenMetrics text or JSON.
//
// The same name and label values give the same metric: two calls of [Registry.Counter] with
// equal arguments return two *Counter values that update the same cells, in any goroutine and
// in any language of the process that uses the same registry ([DefaultRegistry] and
// [NamedRegistry] are process-wide; [NewRegistry] is private to its caller). A name registered
// as another kind, or with another set of label names, is an error matching
// [ErrInvalidArgument], as is a name or label name outside the Prometheus data model.
//
// The metrics a registry returns are the ordinary types of this package, built the same way as
// by their constructors ([Counter.Inc] and every [Gauge] method write the cells directly,
// without a cgo call). The registry owns them: it keeps each metric, and exports it, for the
// registry's lifetime, and their Close does nothing (a look-up hands the same Go value to every
// caller, so closing it for one would silently stop it for all). Closing the Registry itself releases only the Go value's reference to
// it (the default and named registries live as long as the process). A Registry is safe for
// concurrent use.
//
// Look-ups are cached in the Registry Go value: the first look-up of a metric is a cgo call or
// two and allocates the Go value; a repeated look-up with the same kind, name, help, labels
// (and, for a histogram, options) finds that Go value again without a cgo call and without
// allocating (hashing the labels, one map look-up under a read lock, comparing the entry), so
// looking a labelled series up on each update, as with client_golang's
// CounterVec.WithLabelValues, is cheap. Only successful look-ups are cached, keyed by
// everything that decides the answer, so a look-up that would fail (another kind, another label
// set, an invalid name or option) misses the cache and reports its error as before. A repeated
// look-up therefore returns the same Go value, which is why Close on it does nothing.
type Registry struct {
	h          handle
	exportHint atomic.Int64 // length of the last export, to size the next buffer
	cache      lookupCache
}

// lookupCache holds the Go values of successful look-ups, keyed by a hash of everything that
// decides a look-up's answer; entries are compared in full on a hit.
//
// Series can be removed ([Registry.Remove]): an entry cached before a removal may be of a
// removed series. The cache therefore reads the registry's removal count (a word in C memory,
// ap_registry_removals_cell) before each look-up, and its entries are valid for one count only:
// when the count has moved, every entry is dropped (removals are rare next to look-ups).
type lookupCache struct {
	mu      sync.RWMutex
	entries map[uint64][]*lookupEntry
	// removals is the registry's removal count (*uint64 in C memory, atomic loads only), nil
	// for a registry that never removes series; gen is the count the entries are valid for
	// (under mu).
	removals unsafe.Pointer
	gen      uint64
}

// count returns the registry's removal count now.
func (c *lookupCache) count() uint64 {
	if c.removals == nil {
		return 0
	}
	return atomic.LoadUint64((*uint64)(c.removals))
}

// lookupEntry is one successful look-up: its arguments and the Go value it returned.
type lookupEntry struct {
	kind       C.int
	name, help string
	labels     []labelPair // sorted by name
	buckets    []float64
	scale      float64
	metric     any     // *Counter, *Gauge, *Histogram, *Timer, *MinMax or *NativeHistogram
	h          *handle // the metric's handle, to tell a closed one
}

type labelPair struct{ k, v string }

// lookupSeed seeds the cache's hashes.
var lookupSeed = maphash.MakeSeed()

// lookupHash hashes a look-up's arguments; the labels' order does not count.
func lookupHash(kind C.int, name, help string, labels Labels, opts *HistogramOpts) uint64 {
	h := maphash.String(lookupSeed, name)*31 + maphash.String(lookupSeed, help) + uint64(kind)
	for k, v := range labels {
		h += maphash.String(lookupSeed, k)*0x9E3779B97F4A7C15 ^ maphash.String(lookupSeed, v)
	}
	if opts != nil {
		h += uint64(len(opts.Buckets))*7 + math.Float64bits(opts.Scale)
	}
	return h
}

// matches reports whether e answers a look-up with these arguments.
func (e *lookupEntry) matches(kind C.int, name, help string, labels Labels, opts *HistogramOpts) bool {
	if e.kind != kind || e.name != name || e.help != help || len(e.labels) != len(labels) {
		return false
	}
	for _, p := range e.labels {
		if v, ok := labels[p.k]; !ok || v != p.v {
			return false
		}
	}
	if opts != nil && (math.Float64bits(e.scale) != math.Float64bits(opts.Scale) || !slices.Equal(e.buckets, opts.Buckets)) {
		return false
	}
	return true
}

// cached returns the Go value of an earlier successful look-up with these arguments that was
// not closed since, or nil, and the arguments' hash.
// cached returns the cached Go value for these arguments (nil if none), the key's hash, and the
// removal count read before the look-up, which remember takes.
func (c *lookupCache) cached(kind C.int, name, help string, labels Labels, opts *HistogramOpts) (any, uint64, uint64) {
	hash := lookupHash(kind, name, help, labels, opts)
	gen := c.count()
	c.mu.RLock()
	bucket := c.entries[hash]
	if gen != c.gen {
		bucket = nil // series were removed since these entries were made
	}
	c.mu.RUnlock()
	for _, e := range bucket {
		if e.matches(kind, name, help, labels, opts) && !e.h.closed() {
			return e.metric, hash, gen
		}
	}
	return nil, hash, gen
}

// remember caches the Go value of a successful look-up made when the removal count was gen,
// replacing a closed one. Entries of an older count are dropped; a look-up older than the
// entries is not cached (its series may have been removed since).
func (c *lookupCache) remember(hash, gen uint64, kind C.int, name, help string, labels Labels, opts *HistogramOpts, metric any, h *handle) {
	e := &lookupEntry{kind: kind, name: name, help: help, metric: metric, h: h}
	for k, v := range labels {
		e.labels = append(e.labels, labelPair{k, v})
	}
	if opts != nil {
		e.buckets, e.scale = slices.Clone(opts.Buckets), opts.Scale
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.gen {
		return
	}
	if c.entries == nil || gen != c.gen {
		c.entries = make(map[uint64][]*lookupEntry)
		c.gen = gen
	}
	old := c.entries[hash]
	kept := make([]*lookupEntry, 0, len(old)+1)
	for _, o := range old {
		if !o.h.closed() && !o.matches(kind, name, help, labels, opts) {
			kept = append(kept, o)
		}
	}
	// A new slice, never an append to the old one: readers iterate the old one unlocked.
	c.entries[hash] = append(kept, e)
}

// Labels are the label names and values of one series. The order of the entries does not
// matter: the first registration of a family orders its labels by name in the export. A nil or
// empty Labels is the series without labels.
type Labels map[string]string

// LabelPairs returns the Labels of kv, alternating names and values:
// LabelPairs("method", "GET", "code", "200"). It panics on an odd number of arguments, like
// strings.NewReplacer.
func LabelPairs(kv ...string) Labels {
	if len(kv)%2 != 0 {
		panic("atomicperf: LabelPairs: odd number of arguments")
	}
	l := make(Labels, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return l
}

// HistogramOpts are the export options of a histogram family, used when the family is created
// and ignored afterwards. Buckets are the upper bounds of the exported cumulative buckets, finite
// and increasing, in exported units (nil: Prometheus' default buckets, .005 to 10). Scale
// converts a recorded value to exported units (0: 1e-9, i.e. record nanoseconds and export
// seconds; 1: export as recorded).
type HistogramOpts struct {
	Buckets []float64
	Scale   float64
}

// Format is an export format of [Registry.Export].
type Format uint32

// Export formats.
const (
	// FormatPrometheus is the Prometheus text exposition format 0.0.4 ([ContentTypePrometheus]).
	FormatPrometheus Format = C.AP_FORMAT_PROMETHEUS
	// FormatOpenMetrics is OpenMetrics 1.0 text, ending with "# EOF" ([ContentTypeOpenMetrics]).
	FormatOpenMetrics Format = C.AP_FORMAT_OPENMETRICS
	// FormatJSON is {"families": [{"name", "kind", "help", "labels", "series": [...]}]}, as
	// documented by the Rust Registry::export_json ([ContentTypeJSON]).
	FormatJSON Format = C.AP_FORMAT_JSON
	// FormatProtobuf is the Prometheus protobuf exposition: length-delimited
	// io.prometheus.client.MetricFamily messages ([ContentTypeProtobuf]), the one format that
	// carries native histograms. Binary.
	FormatProtobuf Format = C.AP_FORMAT_PROTOBUF
)

// Content types of the export formats, for an HTTP Content-Type header.
const (
	ContentTypePrometheus  = "text/plain; version=0.0.4; charset=utf-8"
	ContentTypeOpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	ContentTypeJSON        = "application/json"
	ContentTypeProtobuf    = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
)

// ContentType returns the HTTP content type of the format ("" for an unknown format).
func (f Format) ContentType() string {
	switch f {
	case FormatPrometheus:
		return ContentTypePrometheus
	case FormatOpenMetrics:
		return ContentTypeOpenMetrics
	case FormatJSON:
		return ContentTypeJSON
	case FormatProtobuf:
		return ContentTypeProtobuf
	}
	return ""
}

// String returns "prometheus", "openmetrics", "json", "protobuf" or "Format(n)".
func (f Format) String() string {
	switch f {
	case FormatPrometheus:
		return "prometheus"
	case FormatOpenMetrics:
		return "openmetrics"
	case FormatJSON:
		return "json"
	case FormatProtobuf:
		return "protobuf"
	}
	return "Format(" + strconv.FormatUint(uint64(f), 10) + ")"
}

func freeRegistry(p unsafe.Pointer) {
	C.ap_registry_free((*C.ap_registry)(p))
	handlesFreed.Add(1)
}

func wrapRegistry(p *C.ap_registry) *Registry {
	r := &Registry{}
	r.exportHint.Store(4096)
	// The removal count lives in the registry: a clone of the handle keeps it allocated until
	// r is unreachable, whenever r is closed.
	var cell *C.uint64_t
	if C.ap_registry_removals_cell(p, &cell) != C.AP_OK || cell == nil {
		panic("atomicperf: ap_registry_removals_cell failed on a live registry")
	}
	ref := unsafe.Pointer(C.ap_registry_clone(p))
	r.cache.removals = unsafe.Pointer(cell)
	runtime.AddCleanup(r, freeRegistry, ref)
	r.h.init(unsafe.Pointer(p), freeRegistry)
	r.h.cleanup = runtime.AddCleanup(r, freeRegistry, unsafe.Pointer(p))
	return r
}

// DefaultRegistry returns the process-wide default registry: every goroutine, and every
// language binding in the process, that uses it sees the same metrics. Each call returns a new
// Go value (Close releases only its reference).
func DefaultRegistry() *Registry {
	var p *C.ap_registry
	var msg *C.char
	if err := check("DefaultRegistry", C.apgo_registry_default(&p, &msg), msg); err != nil {
		panic(err) // the library fails only for a NULL out-pointer
	}
	return wrapRegistry(p)
}

// NamedRegistry returns the process-wide registry called name, created on first use. A name
// that is not valid UTF-8 or holds a NUL byte gives an error matching [ErrInvalidArgument].
func NamedRegistry(name string) (*Registry, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, newError("NamedRegistry", CodeInvalidArgument, "name contains a NUL byte")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var p *C.ap_registry
	var msg *C.char
	if err := check("NamedRegistry", C.apgo_registry_named(cname, &p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapRegistry(p), nil
}

// MustNamedRegistry is like NamedRegistry but panics on error.
func MustNamedRegistry(name string) *Registry {
	r, err := NamedRegistry(name)
	if err != nil {
		panic(err)
	}
	return r
}

// NewRegistry returns an empty registry of its own, shared with no one.
func NewRegistry() (*Registry, error) {
	var p *C.ap_registry
	var msg *C.char
	if err := check("NewRegistry", C.apgo_registry_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapRegistry(p), nil
}

// MustNewRegistry is like NewRegistry but panics on error.
func MustNewRegistry() *Registry {
	r, err := NewRegistry()
	if err != nil {
		panic(err)
	}
	return r
}

// Close releases this Go value's reference to the registry; the metrics obtained from it stay
// valid. Afterwards look-ups and Export return [ErrClosed]. Idempotent; always returns nil.
func (r *Registry) Close() error {
	r.h.close()
	return nil
}

// Remove removes the series name with labels (any order) and reports whether there was one
// (false also for no such family). A removed series is no longer exported and no longer counts
// against the series limit. Values a caller still holds for it keep working, their updates
// simply never exported again (the direct cell writes included: the cells live until the last
// value is unreachable); the next look-up creates the series anew, from zero. The family stays
// registered. Label names other than the family's give an error matching
// [ErrInvalidArgument]; after Close, [ErrClosed].
func (r *Registry) Remove(name string, labels Labels) (bool, error) {
	const op = "Registry.Remove"
	var stack [packLen]byte
	packed, err := pack(op, name, "", labels, &stack)
	if err != nil {
		return false, err
	}
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return false, ErrClosed
	}
	defer r.h.release()
	var removed C.uint8_t
	var msg *C.char
	st := C.apgo_registry_remove(rp, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(labels)), &removed, &msg)
	if err := check(op, st, msg); err != nil {
		return false, err
	}
	return removed != 0, nil
}

// ClearFamily removes every series of the family name, as [Registry.Remove] does one, and
// returns how many there were (0 for no such family). A name holding a NUL byte gives an error
// matching [ErrInvalidArgument]; after Close, [ErrClosed].
func (r *Registry) ClearFamily(name string) (int, error) {
	const op = "Registry.ClearFamily"
	if strings.IndexByte(name, 0) >= 0 {
		return 0, newError(op, CodeInvalidArgument, "name contains a NUL byte")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return 0, ErrClosed
	}
	defer r.h.release()
	var n C.uint64_t
	var msg *C.char
	if err := check(op, C.apgo_registry_clear_family(rp, cname, &n, &msg), msg); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Clear removes every series of every family, as [Registry.Remove] does one, and returns how
// many there were. The families stay registered. After Close, [ErrClosed].
func (r *Registry) Clear() (int, error) {
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return 0, ErrClosed
	}
	defer r.h.release()
	var n C.uint64_t
	var msg *C.char
	if err := check("Registry.Clear", C.apgo_registry_clear(rp, &n, &msg), msg); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Kinds of metric for apgo_registry_metric.
const (
	regCounter   = C.APGO_REG_COUNTER
	regGauge     = C.APGO_REG_GAUGE
	regHistogram = C.APGO_REG_HISTOGRAM
	regTimer     = C.APGO_REG_TIMER
	regMinMax    = C.APGO_REG_MINMAX
	regNative    = C.APGO_REG_NATIVE
	regInfo      = C.APGO_REG_INFO
)

// packLen is the size of the stack buffer for the packed strings of a look-up; longer
// descriptions allocate their buffer.
const packLen = 512

// pack writes name, help and the labels, each followed by a NUL, into stack (or a new buffer
// when they do not fit) and returns the bytes. Strings holding a NUL byte cannot cross the C ABI
// and give an error matching [ErrInvalidArgument].
func pack(op, name, help string, labels Labels, stack *[packLen]byte) ([]byte, error) {
	// One pass over the map (starting an iteration costs as much as the rest of the packing),
	// then the pairs sorted by name: the first registration fixes the family's label order in
	// the export, and a map's iteration order is random.
	type pair struct{ k, v string }
	var pairStack [8]pair
	pairs := pairStack[:0]
	n := len(name) + len(help) + 2
	bad := strings.IndexByte(name, 0) >= 0 || strings.IndexByte(help, 0) >= 0
	for k, v := range labels {
		pairs = append(pairs, pair{k, v})
		n += len(k) + len(v) + 2
		bad = bad || strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0
	}
	if bad {
		return nil, newError(op, CodeInvalidArgument, "a name, help text or label contains a NUL byte")
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	buf := stack[:0]
	if n > packLen {
		buf = make([]byte, 0, n)
	}
	buf = append(append(buf, name...), 0)
	buf = append(append(buf, help...), 0)
	for _, p := range pairs {
		buf = append(append(buf, p.k...), 0)
		buf = append(append(buf, p.v...), 0)
	}
	return buf, nil
}

// metric gets or creates a metric of kind and returns its new owning C handle.
func (r *Registry) metric(op string, kind C.int, name, help string, labels Labels, opts *HistogramOpts) (unsafe.Pointer, error) {
	var stack [packLen]byte
	packed, err := pack(op, name, help, labels, &stack)
	if err != nil {
		return nil, err
	}
	var buckets *C.double
	var nBuckets C.size_t
	var scale C.double
	if opts != nil {
		buckets = (*C.double)(unsafe.Pointer(unsafe.SliceData(opts.Buckets)))
		nBuckets = C.size_t(len(opts.Buckets))
		scale = C.double(opts.Scale)
	}
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return nil, ErrClosed
	}
	var out unsafe.Pointer
	var msg *C.char
	st := C.apgo_registry_metric(rp, kind, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))),
		C.size_t(len(labels)), buckets, nBuckets, scale, &out, &msg)
	r.h.release()
	if opts != nil {
		runtime.KeepAlive(opts.Buckets)
	}
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	return out, nil
}

// lookup returns the cached Go value of a look-up, or makes the look-up, wraps its handle with
// wrap and caches the result.
func lookup[T any](r *Registry, op string, kind C.int, name, help string, labels Labels, opts *HistogramOpts,
	wrap func(unsafe.Pointer) (T, *handle)) (T, error) {
	return cachedLookup(&r.h, &r.cache, kind, name, help, labels, opts, func() (unsafe.Pointer, error) {
		return r.metric(op, kind, name, help, labels, opts)
	}, wrap)
}

// cachedLookup is the look-up of a registry whose handle is rh and cache is cache: the Go value
// cached under key (kind and the look-up's arguments), or else create's new owning C handle,
// wrapped by wrap, marked as owned by a registry and cached. create runs only on a miss (it does
// not escape, so the closure that callers pass costs no allocation).
func cachedLookup[T any](rh *handle, cache *lookupCache, key C.int, name, help string, labels Labels, opts *HistogramOpts,
	create func() (unsafe.Pointer, error), wrap func(unsafe.Pointer) (T, *handle)) (T, error) {
	var zero T
	if rh.closed() {
		return zero, ErrClosed
	}
	m, hash, gen := cache.cached(key, name, help, labels, opts)
	if m != nil {
		return m.(T), nil
	}
	p, err := create()
	if err != nil {
		return zero, err
	}
	v, h := wrap(p)
	h.registry = true // before the value is shared
	cache.remember(hash, gen, key, name, help, labels, opts, v, h)
	return v, nil
}

// Counter returns the counter name with labels, creating it at 0 if absent. help is kept from
// the first registration. The Prometheus export names the family name_total (with one _total
// suffix whether or not name ends in it).
func (r *Registry) Counter(name, help string, labels Labels) (*Counter, error) {
	return lookup(r, "Registry.Counter", regCounter, name, help, labels, nil, func(p unsafe.Pointer) (*Counter, *handle) {
		c := wrapCounter((*C.ap_counter)(p))
		return c, &c.h
	})
}

// Gauge returns the gauge name with labels, creating it at 0 if absent.
func (r *Registry) Gauge(name, help string, labels Labels) (*Gauge, error) {
	return lookup(r, "Registry.Gauge", regGauge, name, help, labels, nil, func(p unsafe.Pointer) (*Gauge, *handle) {
		g := wrapGauge((*C.ap_gauge)(p))
		return g, &g.h
	})
}

// Histogram returns the histogram name with labels, creating it empty if absent, with the
// library's default precision. opts is used when the family is created (see [HistogramOpts]);
// bounds that are not finite and increasing, or a negative scale, give an error matching
// [ErrInvalidArgument].
func (r *Registry) Histogram(name, help string, labels Labels, opts HistogramOpts) (*Histogram, error) {
	return lookup(r, "Registry.Histogram", regHistogram, name, help, labels, &opts, func(p unsafe.Pointer) (*Histogram, *handle) {
		h := wrapHistogram((*C.ap_histogram)(p))
		return h, &h.h
	})
}

// Timer returns the timer name with labels, creating it if absent. It is exported as a
// histogram of seconds name and a counter name_errors_total.
func (r *Registry) Timer(name, help string, labels Labels) (*Timer, error) {
	return lookup(r, "Registry.Timer", regTimer, name, help, labels, nil, func(p unsafe.Pointer) (*Timer, *handle) {
		t := wrapTimer((*C.ap_timer)(p))
		return t, &t.h
	})
}

// MinMax returns the min/max name with labels, creating it empty if absent. It is exported as
// gauges name_min and name_max once it holds a value.
func (r *Registry) MinMax(name, help string, labels Labels) (*MinMax, error) {
	return lookup(r, "Registry.MinMax", regMinMax, name, help, labels, nil, func(p unsafe.Pointer) (*MinMax, *handle) {
		m := wrapMinMax((*C.ap_minmax)(p))
		return m, &m.h
	})
}

// MustCounter is like Counter but panics on error.
func (r *Registry) MustCounter(name, help string, labels Labels) *Counter {
	return mustMetric(r.Counter(name, help, labels))
}

// MustGauge is like Gauge but panics on error.
func (r *Registry) MustGauge(name, help string, labels Labels) *Gauge {
	return mustMetric(r.Gauge(name, help, labels))
}

// MustHistogram is like Histogram but panics on error.
func (r *Registry) MustHistogram(name, help string, labels Labels, opts HistogramOpts) *Histogram {
	return mustMetric(r.Histogram(name, help, labels, opts))
}

// MustTimer is like Timer but panics on error.
func (r *Registry) MustTimer(name, help string, labels Labels) *Timer {
	return mustMetric(r.Timer(name, help, labels))
}

// MustMinMax is like MinMax but panics on error.
func (r *Registry) MustMinMax(name, help string, labels Labels) *MinMax {
	return mustMetric(r.MinMax(name, help, labels))
}

func mustMetric[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// SetSeriesLimit caps the number of series (one per name and label values) the registry holds;
// 0 removes the cap. A label with unbounded values (a user id, a URL) otherwise grows memory
// without end. Creating a series past the cap is an error matching [ErrInvalidArgument];
// existing series keep working, and [Registry.SeriesStats] counts the refusals. After Close the
// error is [ErrClosed].
func (r *Registry) SetSeriesLimit(limit uint64) error {
	p := (*C.ap_registry)(r.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer r.h.release()
	C.ap_registry_set_series_limit(p, C.uint64_t(limit))
	return nil
}

// SeriesStats returns the number of series in the registry, its cap (0: none) and the number of
// series refused by the cap so far. After Close the error is [ErrClosed].
func (r *Registry) SeriesStats() (series, limit, refused uint64, err error) {
	p := (*C.ap_registry)(r.h.acquire())
	if p == nil {
		return 0, 0, 0, ErrClosed
	}
	defer r.h.release()
	var s, l, f C.uint64_t
	C.ap_registry_series_stats(p, &s, &l, &f)
	return uint64(s), uint64(l), uint64(f), nil
}

// Export returns every metric of the registry in format, families sorted by name and series by
// label values. An unknown format gives an error matching [ErrOutOfRange]; after Close the
// error is [ErrClosed]. The export reads the metrics' atomic cells and never blocks a recorder.
func (r *Registry) Export(format Format) ([]byte, error) {
	p := (*C.ap_registry)(r.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	defer r.h.release()
	return textFromC("Registry.Export", &r.exportHint, func(buf *C.char, capacity C.size_t, n *C.size_t, msg **C.char) C.ap_status {
		return C.apgo_registry_export(p, C.uint32_t(format), buf, capacity, n, msg)
	})
}

// textFromC returns the text that call writes with the buffer protocol of ap_registry_export
// (the length without the NUL in *n, AP_ERR_BUFFER_TOO_SMALL when the buffer is too small, a
// message copied by apgo_fail_text otherwise). The first buffer holds *hint bytes, a too small
// one is replaced by one that fits (the text may grow between two calls), and *hint becomes
// room for this text plus some growth, for the next call.
func textFromC(op string, hint *atomic.Int64, call func(buf *C.char, capacity C.size_t, n *C.size_t, msg **C.char) C.ap_status) ([]byte, error) {
	size := max(hint.Load(), 1)
	for {
		buf := make([]byte, size)
		var n C.size_t
		var msg *C.char
		st := call((*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), C.size_t(len(buf)), &n, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			// n is the length without the NUL.
			size = int64(n) + 1 + int64(n)/8
			continue
		}
		if err := check(op, st, msg); err != nil {
			return nil, err
		}
		hint.Store(int64(n) + 1 + int64(n)/8)
		return buf[:n:n], nil
	}
}

// Negotiate returns the format to answer a scrape whose Accept header is accept with, as the
// library decides it in every language (the supported media range with the highest q, as
// Prometheus negotiates): [FormatProtobuf] for the Prometheus protobuf format,
// [FormatOpenMetrics], or [FormatPrometheus] for text/plain, */*, an empty or unsupported header.
func Negotiate(accept string) Format {
	c := C.CString(accept)
	defer C.free(unsafe.Pointer(c))
	var f C.uint32_t
	if C.ap_negotiate(c, &f) != C.AP_OK {
		return FormatPrometheus // not UTF-8: what an unsupported header gets
	}
	return Format(f)
}

// Handler returns an http.Handler for a /metrics route: it serves the registry in the format
// the request's Accept header asks for ([Negotiate]: Prometheus text by default, OpenMetrics,
// or the protobuf format that carries native histograms), with its Content-Type. A failed
// export (a closed Registry) is a 500.
func (r *Registry) Handler() http.Handler {
	return exportHandler(r.Export)
}

// exportHandler serves export(Negotiate(Accept)), as Registry.Handler documents.
func exportHandler(export func(Format) ([]byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		format := Negotiate(req.Header.Get("Accept"))
		body, err := export(format)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", format.ContentType())
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if req.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

package atomicperf

/*
#cgo noescape apgo_shared_registry_metric
#cgo nocallback apgo_shared_registry_metric
#cgo noescape apgo_shared_registry_export
#cgo nocallback apgo_shared_registry_export
#cgo noescape apgo_shared_registry_path
#cgo nocallback apgo_shared_registry_path
#include "apgo.h"

// The options of ap_shared_registry_open and ap_shared_registry_remove from Go's fields (dir
// NULL for none), so that Go never builds a C struct holding a pointer.
static inline ap_shared_options apgo_shared_options(const char *dir, uint32_t mode,
		uint32_t max_series, uint32_t max_processes, uint32_t counter_stripes, uint64_t data_bytes,
		uint32_t flags) {
	ap_shared_options o = {
		.dir = dir,
		.mode = mode,
		.max_series = max_series,
		.max_processes = max_processes,
		.counter_stripes = counter_stripes,
		.data_bytes = data_bytes,
		.flags = flags,
	};
	return o;
}

static inline ap_status apgo_shared_registry_open(const char *name, const char *dir,
		uint32_t mode, uint32_t max_series, uint32_t max_processes, uint32_t counter_stripes,
		uint64_t data_bytes, uint32_t flags, ap_shared_registry **out, char **msg) {
	ap_shared_options o = apgo_shared_options(dir, mode, max_series, max_processes,
	                                          counter_stripes, data_bytes, flags);
	return apgo_fail(ap_shared_registry_open(name, &o, out), msg);
}

static inline ap_status apgo_shared_registry_remove(const char *name, const char *dir,
		char **msg) {
	ap_shared_options o = apgo_shared_options(dir, 0, 0, 0, 0, 0, 0);
	return apgo_fail(ap_shared_registry_remove(name, &o), msg);
}

static inline ap_status apgo_shared_registry_unlink(const ap_shared_registry *r, char **msg) {
	return apgo_fail(ap_shared_registry_unlink(r), msg);
}

// apgo_shared_registry_metric gets or creates the metric of `kind` (APGO_REG_*, not
// APGO_REG_MINMAX) described by `packed` (see apgo_lookup in apgo.h); `mode` is a gauge's.
static ap_status apgo_shared_registry_metric(const ap_shared_registry *r, int kind,
		const char *packed, size_t n_labels, uint32_t mode, const double *buckets,
		size_t n_buckets, double scale, void **out, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	switch (kind) {
	case APGO_REG_COUNTER:
		s = ap_shared_registry_counter(r, l.name, l.help, l.names, l.values, n_labels,
		                               (ap_counter **)out);
		break;
	case APGO_REG_GAUGE:
		s = ap_shared_registry_gauge(r, l.name, l.help, l.names, l.values, n_labels, mode,
		                             (ap_gauge **)out);
		break;
	case APGO_REG_HISTOGRAM:
		s = ap_shared_registry_histogram(r, l.name, l.help, l.names, l.values, n_labels, buckets,
		                                 n_buckets, scale, (ap_histogram **)out);
		break;
	default:
		s = ap_shared_registry_timer(r, l.name, l.help, l.names, l.values, n_labels,
		                             (ap_timer **)out);
		break;
	}
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

// As ap_shared_registry_export, with the messages of apgo_fail_text.
static inline ap_status apgo_shared_registry_export(const ap_shared_registry *r, uint32_t format,
		char *buf, size_t capacity, size_t *len, char **msg) {
	return apgo_fail_text(ap_shared_registry_export(r, format, buf, capacity, len), msg);
}

// As ap_shared_registry_path, with the messages of apgo_fail_text.
static inline ap_status apgo_shared_registry_path(const ap_shared_registry *r, char *buf,
		size_t capacity, size_t *len, char **msg) {
	return apgo_fail_text(ap_shared_registry_path(r, buf, capacity, len), msg);
}
*/
import "C"

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// SharedRegistry is a registry whose metrics live in one shared-memory segment, a file that
// every process opens by name, in Go or in any other language of the library (C, Python, Rust,
// Node): the workers of a pre-fork server, or any processes of one machine, record into the same
// series, and any of them exports the totals. Its API is [Registry]'s: Counter, Gauge, Histogram
// and Timer get or create a metric by name and labels, Export writes Prometheus text,
// OpenMetrics text or JSON (the same text as a Registry holding the same values), and Handler
// serves it.
//
// The metrics it returns are the ordinary [*Counter], [*Gauge], [*Histogram] and [*Timer], whose
// cells are in the segment: Counter.Inc, the Gauge methods, Histogram.Record and Timer.Record
// write them directly with sync/atomic, without a cgo call, exactly as for an in-process metric
// (the cell layouts are the same), so recording costs what it costs in process. Counters,
// histograms and timers add up across processes and never go backwards, also when a process is
// killed. A gauge keeps one value per process: its handle reads and writes this process's value
// (every process's, for [GaugeModeMostRecent]), and its [GaugeMode] says how the export combines
// them.
//
// As with a Registry, the same name and labels give the same Go value in this process (look-ups
// are cached, so a repeated look-up makes no cgo call and allocates nothing), the registry owns
// the metrics it returns (their Close does nothing) and a name registered as another kind, with
// other label names or, for a gauge, another mode, by this or any process, is an error matching
// [ErrInvalidArgument]. The segment has a fixed capacity, chosen by its creator
// ([SharedOptions]): past it, a new series is an error matching [ErrInvalidArgument] while
// existing ones keep working ([SharedRegistry.RefusedSeries] counts the refusals).
//
// Close releases this Go value's reference to the segment: the metrics obtained from it keep it
// mapped, and keep working, until they are unreachable (each metric's cleanup releases its own
// reference), and the file stays for the other processes until [SharedRegistry.Unlink] or
// [RemoveSharedRegistry]. A SharedRegistry is safe for concurrent use.
//
// A segment is memory for the processes of one machine and one pid namespace, not a file format
// to copy elsewhere; a file that is not a whole segment of this library's layout version (another
// file, a truncated or corrupted one, another version) is refused with an error matching
// [ErrInvalidArgument], never a crash. A segment file truncated while processes have it mapped
// makes them crash (SIGBUS), as any shared mapping would.
type SharedRegistry struct {
	h          handle
	exportHint atomic.Int64 // length of the last export, to size the next buffer
	cache      lookupCache
}

// SharedOptions say where [OpenSharedRegistry] finds or creates a segment and, when it creates
// one, how large it is. The zero value (or a nil *SharedOptions) takes every default. The sizes
// apply only when the segment is created: an existing segment keeps its own.
type SharedOptions struct {
	// Dir is the directory of segments opened by name ("": /dev/shm). Ignored for a path.
	Dir string
	// Mode holds the permission bits of a new segment file (0: 0600, the owner only).
	Mode os.FileMode
	// MaxSeries is the number of series (one per name and label values) the segment holds
	// (0: 4096).
	MaxSeries uint32
	// MaxProcesses is the number of process table slots (0: 64): processes holding per-process
	// gauge values at once; a dead process's slot is reused.
	MaxProcesses uint32
	// CounterStripes is the number of stripes of each counter, a power of two up to 1024 (0:
	// twice the CPUs, at most 64).
	CounterStripes uint32
	// DataBytes is the room for names, labels and cells (0: 64 MiB); the file is sparse, so only
	// what is used takes memory.
	DataBytes uint64
	// OpenExisting opens an existing segment only: without one, OpenSharedRegistry returns an
	// error matching [ErrInvalidArgument] instead of creating it.
	OpenExisting bool
}

// GaugeMode says how the export of a [SharedRegistry] combines the values that the processes
// hold for one gauge series (prometheus_client's multiprocess modes). The zero GaugeMode is
// [GaugeModeAll]. The live modes drop a dead process's value on their own, also after a
// SIGKILL: no exit hook is needed.
type GaugeMode uint32

// Gauge modes.
const (
	// GaugeModeAll exports one series per process, labelled pid, for live and exited processes.
	GaugeModeAll GaugeMode = C.AP_GAUGE_MODE_ALL
	// GaugeModeLiveAll exports one series per live process, labelled pid.
	GaugeModeLiveAll GaugeMode = C.AP_GAUGE_MODE_LIVEALL
	// GaugeModeSum exports the sum of every process's value, live or exited.
	GaugeModeSum GaugeMode = C.AP_GAUGE_MODE_SUM
	// GaugeModeLiveSum exports the sum of the live processes' values.
	GaugeModeLiveSum GaugeMode = C.AP_GAUGE_MODE_LIVESUM
	// GaugeModeMax exports the largest value of any process, live or exited.
	GaugeModeMax GaugeMode = C.AP_GAUGE_MODE_MAX
	// GaugeModeLiveMax exports the largest value of a live process.
	GaugeModeLiveMax GaugeMode = C.AP_GAUGE_MODE_LIVEMAX
	// GaugeModeMin exports the smallest value of any process, live or exited.
	GaugeModeMin GaugeMode = C.AP_GAUGE_MODE_MIN
	// GaugeModeLiveMin exports the smallest value of a live process.
	GaugeModeLiveMin GaugeMode = C.AP_GAUGE_MODE_LIVEMIN
	// GaugeModeMostRecent keeps one value for every process: the last Set, by any process, wins.
	GaugeModeMostRecent GaugeMode = C.AP_GAUGE_MODE_MOSTRECENT
)

// gaugeModeNames are the modes' names, the library's (and Python's mode= strings).
var gaugeModeNames = [...]string{
	GaugeModeAll:        "all",
	GaugeModeLiveAll:    "liveall",
	GaugeModeSum:        "sum",
	GaugeModeLiveSum:    "livesum",
	GaugeModeMax:        "max",
	GaugeModeLiveMax:    "livemax",
	GaugeModeMin:        "min",
	GaugeModeLiveMin:    "livemin",
	GaugeModeMostRecent: "mostrecent",
}

// String returns the mode's name ("all", "livesum", "mostrecent"...), "all" for the zero mode,
// or "GaugeMode(n)" for an unknown one.
func (m GaugeMode) String() string {
	if m == 0 {
		m = GaugeModeAll
	}
	if int(m) < len(gaugeModeNames) && gaugeModeNames[m] != "" {
		return gaugeModeNames[m]
	}
	return "GaugeMode(" + strconv.FormatUint(uint64(m), 10) + ")"
}

// cString returns s as a C string (the caller frees it), or an error matching
// [ErrInvalidArgument] naming what when s holds a NUL byte, which C cannot represent.
func cString(op, what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(op, CodeInvalidArgument, what+" contains a NUL byte")
	}
	return C.CString(s), nil
}

// sharedArgs converts the name and the options' directory for the C calls; free releases them.
func sharedArgs(op, nameOrPath string, opts *SharedOptions) (name, dir *C.char, free func(), err error) {
	if name, err = cString(op, "the name or path", nameOrPath); err != nil {
		return nil, nil, nil, err
	}
	if opts != nil && opts.Dir != "" {
		if dir, err = cString(op, "SharedOptions.Dir", opts.Dir); err != nil {
			C.free(unsafe.Pointer(name))
			return nil, nil, nil, err
		}
	}
	return name, dir, func() {
		C.free(unsafe.Pointer(name))
		C.free(unsafe.Pointer(dir)) // free(NULL) is a no-op
	}, nil
}

func freeSharedRegistry(p unsafe.Pointer) {
	C.ap_shared_registry_free((*C.ap_shared_registry)(p))
	handlesFreed.Add(1)
}

// OpenSharedRegistry opens the shared registry nameOrPath, creating its segment if there is
// none (unless opts.OpenExisting). A name (letters, digits, '.', '_' and '-') is the file
// "<opts.Dir>/atomicperf-<name>", in /dev/shm by default; anything with a '/' is a path, used as
// it is. Every process that opens the same file shares its metrics; processes that open it at
// the same moment are safe (the segment is built whole, under no name, then linked into place).
// opts may be nil for the defaults.
//
// The error matches [ErrInvalidArgument] for an invalid name or option, a file that cannot be
// opened for reading and writing (the message says why: permission, a missing directory...) or
// that is not a whole segment of this layout version (another file, another version, truncated,
// corrupted), and, with OpenExisting, a missing segment; it matches [ErrOutOfRange] on a
// machine whose 128-bit atomics are not lock-free.
func OpenSharedRegistry(nameOrPath string, opts *SharedOptions) (*SharedRegistry, error) {
	const op = "OpenSharedRegistry"
	name, dir, free, err := sharedArgs(op, nameOrPath, opts)
	if err != nil {
		return nil, err
	}
	defer free()
	var o SharedOptions
	if opts != nil {
		o = *opts
	}
	var flags C.uint32_t
	if o.OpenExisting {
		flags = C.AP_SHARED_OPEN_EXISTING
	}
	var p *C.ap_shared_registry
	var msg *C.char
	st := C.apgo_shared_registry_open(name, dir, C.uint32_t(o.Mode), C.uint32_t(o.MaxSeries),
		C.uint32_t(o.MaxProcesses), C.uint32_t(o.CounterStripes), C.uint64_t(o.DataBytes), flags, &p, &msg)
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	r := &SharedRegistry{}
	r.exportHint.Store(4096)
	r.h.init(unsafe.Pointer(p), freeSharedRegistry)
	r.h.cleanup = runtime.AddCleanup(r, freeSharedRegistry, unsafe.Pointer(p))
	return r, nil
}

// MustOpenSharedRegistry is like OpenSharedRegistry but panics on error.
func MustOpenSharedRegistry(nameOrPath string, opts *SharedOptions) *SharedRegistry {
	r, err := OpenSharedRegistry(nameOrPath, opts)
	if err != nil {
		panic(err)
	}
	return r
}

// RemoveSharedRegistry removes the segment file nameOrPath, resolved as OpenSharedRegistry
// resolves it (with opts.Dir; the other options are ignored, and opts may be nil). Processes
// that have it open keep using it; the next OpenSharedRegistry of the name creates a new, empty
// segment. The error matches [ErrInvalidArgument] for an invalid name or a file that cannot be
// removed (a missing one, permission).
func RemoveSharedRegistry(nameOrPath string, opts *SharedOptions) error {
	const op = "RemoveSharedRegistry"
	name, dir, free, err := sharedArgs(op, nameOrPath, opts)
	if err != nil {
		return err
	}
	defer free()
	var msg *C.char
	return check(op, C.apgo_shared_registry_remove(name, dir, &msg), msg)
}

// Close releases this Go value's reference to the segment. The metrics obtained from it stay
// valid and keep the segment mapped while they are reachable, and the file stays for other
// processes. Afterwards look-ups, Export and the other methods return [ErrClosed] (or zero
// values). Idempotent; always returns nil.
func (r *SharedRegistry) Close() error {
	r.h.close()
	return nil
}

// metric gets or creates a metric of kind and returns its new owning C handle.
func (r *SharedRegistry) metric(op string, kind C.int, name, help string, labels Labels, mode GaugeMode, opts *HistogramOpts) (unsafe.Pointer, error) {
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
	rp := (*C.ap_shared_registry)(r.h.acquire())
	if rp == nil {
		return nil, ErrClosed
	}
	var out unsafe.Pointer
	var msg *C.char
	st := C.apgo_shared_registry_metric(rp, kind, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))),
		C.size_t(len(labels)), C.uint32_t(mode), buckets, nBuckets, scale, &out, &msg)
	r.h.release()
	if opts != nil {
		runtime.KeepAlive(opts.Buckets)
	}
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	return out, nil
}

// sharedLookup is lookup for a SharedRegistry; key is kind, made distinct per gauge mode for
// the cache (a look-up with another mode misses it and reports the library's error).
func sharedLookup[T any](r *SharedRegistry, op string, kind C.int, mode GaugeMode, name, help string, labels Labels, opts *HistogramOpts,
	wrap func(unsafe.Pointer) (T, *handle)) (T, error) {
	key := kind + C.int(mode)<<8
	return cachedLookup(&r.h, &r.cache, key, name, help, labels, opts, func() (unsafe.Pointer, error) {
		return r.metric(op, kind, name, help, labels, mode, opts)
	}, wrap)
}

// Counter returns the counter name with labels, creating it at 0 in the segment if no process
// has. Its increments add to every other process's. help is kept from the first registration;
// the export names the family as [Registry.Counter] does. Errors as for Registry.Counter, and
// one matching [ErrInvalidArgument] when the segment is full.
func (r *SharedRegistry) Counter(name, help string, labels Labels) (*Counter, error) {
	return sharedLookup(r, "SharedRegistry.Counter", regCounter, 0, name, help, labels, nil, func(p unsafe.Pointer) (*Counter, *handle) {
		c := wrapCounter((*C.ap_counter)(p))
		return c, &c.h
	})
}

// Gauge returns the gauge name with labels, creating it if no process has; mode says how the
// export combines the processes' values (see [GaugeMode]; 0 is [GaugeModeAll]). The Gauge reads
// and writes this process's value, starting at 0 (every process's one value, for
// [GaugeModeMostRecent]). Errors as for [SharedRegistry.Counter]; one matching [ErrOutOfRange]
// for an unknown mode; one matching [ErrInvalidArgument] for a name registered with another
// mode, a "pid" label on a [GaugeModeAll] or [GaugeModeLiveAll] gauge (the export adds it), or
// a full process table (every slot held by a live process; [SharedRegistry.RefusedProcesses]
// counts those).
func (r *SharedRegistry) Gauge(name, help string, labels Labels, mode GaugeMode) (*Gauge, error) {
	return sharedLookup(r, "SharedRegistry.Gauge", regGauge, mode, name, help, labels, nil, func(p unsafe.Pointer) (*Gauge, *handle) {
		g := wrapGauge((*C.ap_gauge)(p))
		return g, &g.h
	})
}

// Histogram returns the histogram name with labels, creating it empty if no process has, with
// the library's default precision; opts sets the export of a new family (see [HistogramOpts])
// and is ignored for an existing one. Errors as for [Registry.Histogram] and
// [SharedRegistry.Counter].
func (r *SharedRegistry) Histogram(name, help string, labels Labels, opts HistogramOpts) (*Histogram, error) {
	return sharedLookup(r, "SharedRegistry.Histogram", regHistogram, 0, name, help, labels, &opts, func(p unsafe.Pointer) (*Histogram, *handle) {
		h := wrapHistogram((*C.ap_histogram)(p))
		return h, &h.h
	})
}

// Timer returns the timer name with labels, creating it if no process has. It is exported as
// [Registry.Timer]'s timers are: a histogram of seconds name and a counter name_errors_total.
// Errors as for [SharedRegistry.Counter].
func (r *SharedRegistry) Timer(name, help string, labels Labels) (*Timer, error) {
	return sharedLookup(r, "SharedRegistry.Timer", regTimer, 0, name, help, labels, nil, func(p unsafe.Pointer) (*Timer, *handle) {
		t := wrapTimer((*C.ap_timer)(p))
		return t, &t.h
	})
}

// MustCounter is like Counter but panics on error.
func (r *SharedRegistry) MustCounter(name, help string, labels Labels) *Counter {
	return mustMetric(r.Counter(name, help, labels))
}

// MustGauge is like Gauge but panics on error.
func (r *SharedRegistry) MustGauge(name, help string, labels Labels, mode GaugeMode) *Gauge {
	return mustMetric(r.Gauge(name, help, labels, mode))
}

// MustHistogram is like Histogram but panics on error.
func (r *SharedRegistry) MustHistogram(name, help string, labels Labels, opts HistogramOpts) *Histogram {
	return mustMetric(r.Histogram(name, help, labels, opts))
}

// MustTimer is like Timer but panics on error.
func (r *SharedRegistry) MustTimer(name, help string, labels Labels) *Timer {
	return mustMetric(r.Timer(name, help, labels))
}

// Export returns every metric of the segment, with every process's values combined, in format:
// the same text, for the same values, as [Registry.Export] (families sorted by name, series by
// label values). An unknown format gives an error matching [ErrOutOfRange]; after Close the
// error is [ErrClosed]. The export reads the cells and never blocks a recorder, in any process.
func (r *SharedRegistry) Export(format Format) ([]byte, error) {
	p := (*C.ap_shared_registry)(r.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	defer r.h.release()
	return textFromC("SharedRegistry.Export", &r.exportHint, func(buf *C.char, capacity C.size_t, n *C.size_t, msg **C.char) C.ap_status {
		return C.apgo_shared_registry_export(p, C.uint32_t(format), buf, capacity, n, msg)
	})
}

// Handler returns an http.Handler that serves the segment's exposition, every process's values
// combined, in the format the request asks for, as [Registry.Handler] does. A failed export (a closed
// SharedRegistry) is a 500.
func (r *SharedRegistry) Handler() http.Handler {
	return exportHandler(r.Export)
}

// Path returns the segment's file: "<dir>/atomicperf-<name>" for a name, the path itself for a
// path. It stays the same after Unlink. After Close the error is [ErrClosed].
func (r *SharedRegistry) Path() (string, error) {
	p := (*C.ap_shared_registry)(r.h.acquire())
	if p == nil {
		return "", ErrClosed
	}
	defer r.h.release()
	var hint atomic.Int64
	hint.Store(256)
	text, err := textFromC("SharedRegistry.Path", &hint, func(buf *C.char, capacity C.size_t, n *C.size_t, msg **C.char) C.ap_status {
		return C.apgo_shared_registry_path(p, buf, capacity, n, msg)
	})
	return string(text), err
}

// Unlink removes the segment's file, as [RemoveSharedRegistry] does for its path: this
// registry and its metrics keep working on the segment, as do the other processes that have it
// open, and the next OpenSharedRegistry of the name creates a new, empty segment. The error
// matches [ErrInvalidArgument] when the file cannot be removed (already removed, permission),
// and is [ErrClosed] after Close.
func (r *SharedRegistry) Unlink() error {
	p := (*C.ap_shared_registry)(r.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer r.h.release()
	var msg *C.char
	return check("SharedRegistry.Unlink", C.apgo_shared_registry_unlink(p, &msg), msg)
}

// seriesStats returns the segment's series, capacity and refusals (zeros and ErrClosed after
// Close).
func (r *SharedRegistry) seriesStats() (series, limit, refused uint64, err error) {
	p := (*C.ap_shared_registry)(r.h.acquire())
	if p == nil {
		return 0, 0, 0, ErrClosed
	}
	defer r.h.release()
	var s, l, f C.uint64_t
	C.ap_shared_registry_series_stats(p, &s, &l, &f)
	return uint64(s), uint64(l), uint64(f), nil
}

// processStats returns the segment's process table slots and refusals (zeros and ErrClosed
// after Close).
func (r *SharedRegistry) processStats() (slots, refused uint64, err error) {
	p := (*C.ap_shared_registry)(r.h.acquire())
	if p == nil {
		return 0, 0, ErrClosed
	}
	defer r.h.release()
	var s, f C.uint64_t
	C.ap_shared_registry_process_stats(p, &s, &f)
	return uint64(s), uint64(f), nil
}

// SeriesCount returns the number of series in the segment (one per name and label values),
// registered by any process. After Close the error is [ErrClosed].
func (r *SharedRegistry) SeriesCount() (uint64, error) {
	n, _, _, err := r.seriesStats()
	return n, err
}

// MaxSeries returns the segment's capacity in series, fixed by its creator. After Close the
// error is [ErrClosed].
func (r *SharedRegistry) MaxSeries() (uint64, error) {
	_, n, _, err := r.seriesStats()
	return n, err
}

// RefusedSeries returns the number of series refused because the segment was full, by every
// process since its creation. After Close the error is [ErrClosed].
func (r *SharedRegistry) RefusedSeries() (uint64, error) {
	_, _, n, err := r.seriesStats()
	return n, err
}

// MaxProcesses returns the segment's number of process table slots: how many processes can
// hold per-process gauge values at once. After Close the error is [ErrClosed].
func (r *SharedRegistry) MaxProcesses() (uint64, error) {
	n, _, err := r.processStats()
	return n, err
}

// RefusedProcesses returns the number of times a process found the process table full (every
// slot held by a live process), since the segment's creation. After Close the error is
// [ErrClosed].
func (r *SharedRegistry) RefusedProcesses() (uint64, error) {
	_, n, err := r.processStats()
	return n, err
}

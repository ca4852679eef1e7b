package atomicperf

/*
#include "apgo.h"

// As ap_bench_run; AP_ERR_BUFFER_TOO_SMALL copies no message (the caller handles it).
static inline ap_status apgo_bench_run(const char *filter, const size_t *threads, size_t n_threads,
                                       uint64_t cell_ms, char *buf, size_t capacity, size_t *len,
                                       char **msg) {
	ap_status s = ap_bench_run(filter, threads, n_threads, cell_ms, buf, capacity, len);
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unsafe"
)

// BenchOptions select what [Bench] runs. The zero value runs the whole suite at 1, 2 and 4
// threads, 1.5 s per cell (about two minutes).
type BenchOptions struct {
	// Thread counts, each 1 to 256; every workload runs at each. Empty: 1, 2 and 4.
	Threads []int
	// Time per cell (one design of one workload at one thread count), rounded up to whole
	// milliseconds. Zero: 1.5 s.
	Duration time.Duration
	// Workload names to run, matched as substrings ("counter", "map"); empty runs them all. A
	// filter that matches no workload gives an error matching [ErrOutOfRange].
	Filter []string
}

// BenchReport is the suite's report (JSON schema "atomicperf-bench/1").
type BenchReport struct {
	Schema       string           `json:"schema"`        // "atomicperf-bench/1"
	Version      string           `json:"version"`       // library version
	CPUs         int              `json:"cpus"`          // available parallelism of the machine
	Threads      []int            `json:"threads"`       // thread counts run
	CellSeconds  float64          `json:"cell_seconds"`  // time per cell
	TotalSeconds float64          `json:"total_seconds"` // wall time of the whole run
	Cells        []BenchCell      `json:"cells"`         // grouped by workload, then thread count
	Published    []BenchPublished `json:"published"`     // figures published by the services these primitives came from
}

// BenchCell is one measured cell: one design of one workload at one thread count.
type BenchCell struct {
	Workload    string  `json:"workload"`    // "counter", "map_read_heavy", ...
	Description string  `json:"description"` // what the workload does
	Design      string  `json:"design"`      // "atomicperf Counter (striped)", "Mutex<u64>", ...
	Baseline    bool    `json:"baseline"`    // the design the others are compared with
	Threads     int     `json:"threads"`     // threads running the operation
	Ops         uint64  `json:"ops"`         // operations completed by all threads
	Seconds     float64 `json:"seconds"`     // wall time of the cell
	OpsPerSec   float64 `json:"ops_per_sec"` // all threads together
	NsPerOp     float64 `json:"ns_per_op"`   // per operation per thread: seconds × threads / ops
	P50Ns       uint64  `json:"p50_ns"`      // median sampled latency (includes a clock read)
	P99Ns       uint64  `json:"p99_ns"`      // 99th percentile sampled latency
	Speedup     float64 `json:"speedup"`     // OpsPerSec over the baseline's, same threads, same run
}

// BenchPublished is a figure published by the write-ups the library answers, measured
// elsewhere: for comparing designs, not numbers.
type BenchPublished struct {
	Source     string `json:"source"`
	What       string `json:"what"`
	Figure     string `json:"figure"`
	AnsweredBy string `json:"answered_by"` // the workload that measures the same thing
}

// benchDesignsBound bounds the designs of all workloads at one thread count (the suite has 23),
// and benchCellBytes the JSON of one cell (about 300 bytes), for sizing the report's buffer.
const (
	benchDesignsBound = 64
	benchCellBytes    = 1024
	benchFixedBytes   = 16 << 10 // header and published figures
)

// Bench runs the benchmark suite in the library (on Rust threads, whichever goroutine calls)
// and returns its report. It blocks for the whole run, in one cgo call. See [BenchJSON] for the
// report as JSON.
func Bench(opts BenchOptions) (*BenchReport, error) {
	data, err := BenchJSON(opts)
	if err != nil {
		return nil, err
	}
	var r BenchReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("atomicperf: decoding the bench report: %w", err)
	}
	return &r, nil
}

// BenchJSON is [Bench] returning the report as the library wrote it (schema
// "atomicperf-bench/1"). Thread counts outside 1..256, a negative Duration or a filter matching
// no workload give an error matching [ErrOutOfRange]; a filter entry that is empty or holds a
// comma or a NUL byte, one matching [ErrInvalidArgument].
func BenchJSON(opts BenchOptions) ([]byte, error) {
	const op = "Bench"
	threads := make([]C.size_t, len(opts.Threads))
	for i, t := range opts.Threads {
		if t < 1 || t > 256 {
			return nil, newError(op, CodeOutOfRange, fmt.Sprintf("thread counts must be 1 to 256, got %v", opts.Threads))
		}
		threads[i] = C.size_t(t)
	}
	if opts.Duration < 0 {
		return nil, newError(op, CodeOutOfRange, "negative duration "+opts.Duration.String())
	}
	ms := uint64((opts.Duration + time.Millisecond - 1) / time.Millisecond)
	var filter *C.char
	if len(opts.Filter) > 0 {
		for _, f := range opts.Filter {
			if f == "" || strings.ContainsAny(f, ",\x00") {
				return nil, newError(op, CodeInvalidArgument, fmt.Sprintf("invalid workload filter %q", f))
			}
		}
		filter = C.CString(strings.Join(opts.Filter, ","))
		defer C.free(unsafe.Pointer(filter))
	}
	nThreads := len(threads)
	if nThreads == 0 {
		nThreads = 3 // the library's default: 1, 2, 4
	}
	// A report lost to a short buffer means running the suite again, so size it for the
	// largest possible report rather than retry from a small guess.
	size := nThreads*benchDesignsBound*benchCellBytes + benchFixedBytes
	for attempt := 0; ; attempt++ {
		buf := make([]byte, size)
		var n C.size_t
		var msg *C.char
		st := C.apgo_bench_run(filter, unsafe.SliceData(threads), C.size_t(len(threads)), C.uint64_t(ms),
			(*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), C.size_t(len(buf)), &n, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL && attempt == 0 {
			// The suite outgrew benchDesignsBound: run it once more with room for this report.
			size = int(n) + 1 + int(n)/4
			continue
		}
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			return nil, newError(op, CodeBufferTooSmall, fmt.Sprintf("report of %d bytes did not fit %d", int(n), size))
		}
		if err := check(op, st, msg); err != nil {
			return nil, err
		}
		return buf[:n:n], nil
	}
}

package atomicperf

/*
#include "apgo.h"

static inline ap_status apgo_registry_register_process_metrics(const ap_registry *r, char **msg) {
	return apgo_fail(ap_registry_register_process_metrics(r), msg);
}
*/
import "C"

// RegisterProcessMetrics adds the process metrics every Prometheus client exports to r, read
// from /proc at each export and never in between: process_cpu_seconds_total (a counter),
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds and process_start_time_seconds (gauges), with client_golang's names and help
// texts. Their names are taken: a look-up of a family whose exported names meet them fails
// afterwards. Calling it again does nothing.
//
// It returns an error matching [ErrInvalidArgument] on a platform other than Linux, or if r
// already has a family whose exported names meet theirs (nothing is registered then); after
// Close, [ErrClosed].
//
// client_golang's Go runtime metrics (go_goroutines, go_memstats_*, go_gc_duration_seconds)
// stay client_golang's: serve a client_golang registry holding collectors.NewGoCollector() and
// [NewCollector] of r (see the package's README), not its default registry, which has its own
// process collector.
func (r *Registry) RegisterProcessMetrics() error {
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return ErrClosed
	}
	defer r.h.release()
	var msg *C.char
	return check("Registry.RegisterProcessMetrics", C.apgo_registry_register_process_metrics(rp, &msg), msg)
}

// RegisterDefaultMetrics is [Registry.RegisterProcessMetrics], under the name the Python
// (register_default_metrics) and Node (registerDefaultMetrics) bindings give their one call: in
// Go the default metrics are the process metrics, the runtime ones staying client_golang's.
func (r *Registry) RegisterDefaultMetrics() error {
	return r.RegisterProcessMetrics()
}

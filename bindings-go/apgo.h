/* Helpers shared by the cgo preambles of package atomicperf. */
#ifndef APGO_H
#define APGO_H

#include <stdlib.h>
#include <string.h>

/* atomicperf.h (ABI 2) names both a typedef and a function ap_timer_stats, which C forbids in
   one scope. The function-like macro renames only the function's declaration (a typedef name is
   never followed by '('); apgo_timer_stats below reaches the same symbol through an asm label.
   Remove once the header gives the two different names. */
#define ap_timer_stats(t, out) apgo_unused_timer_stats_decl(t, out)
#include <atomicperf.h>
#undef ap_timer_stats
ap_status apgo_timer_stats(const ap_timer *t, ap_timer_stats *out) __asm__("ap_timer_stats");

/* ap_last_error() is per OS thread, and a goroutine may move to another thread between two cgo
   calls, so a failing call copies its message within the same C call. The copy is freed by Go. */
static inline ap_status apgo_fail(ap_status s, char **msg) {
	if (s != AP_OK) {
		*msg = strdup(ap_last_error());
	}
	return s;
}

#endif

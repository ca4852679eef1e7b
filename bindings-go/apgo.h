/* Helpers shared by the cgo preambles of package atomicperf. */
#ifndef APGO_H
#define APGO_H

#include <stdlib.h>
#include <string.h>

#include <atomicperf.h>

/* ap_last_error() is per OS thread, and a goroutine may move to another thread between two cgo
   calls, so a failing call copies its message within the same C call. The copy is freed by Go. */
static inline ap_status apgo_fail(ap_status s, char **msg) {
	if (s != AP_OK) {
		*msg = strdup(ap_last_error());
	}
	return s;
}

#endif

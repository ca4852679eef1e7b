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

/* Kinds of metric of a registry look-up (apgo_registry_metric, apgo_shared_registry_metric). */
enum { APGO_REG_COUNTER, APGO_REG_GAUGE, APGO_REG_HISTOGRAM, APGO_REG_TIMER, APGO_REG_MINMAX,
       APGO_REG_NATIVE, APGO_REG_INFO };

/* The arguments of a registry look-up, unpacked from the one buffer of bytes Go passes (pack in
   registry.go): the name, the help text and n_labels (label name, label value) pairs, each
   NUL-terminated, one after the other. The label arrays that ap_registry_* and
   ap_shared_registry_* want are built on the C stack (or, past 16 labels, in malloc'd memory,
   which apgo_lookup_free releases), so the Go caller allocates nothing in C. */
typedef struct {
	const char *name, *help;
	const char **names, **values;
	const char *stack_names[16], *stack_values[16];
} apgo_lookup;

static inline ap_status apgo_lookup_unpack(apgo_lookup *l, const char *packed, size_t n_labels,
                                           char **msg) {
	l->names = l->stack_names;
	l->values = l->stack_values;
	if (n_labels > 16) {
		l->names = malloc(n_labels * sizeof(char *));
		l->values = malloc(n_labels * sizeof(char *));
		if (l->names == NULL || l->values == NULL) {
			free(l->names);
			free(l->values);
			l->names = l->stack_names;
			l->values = l->stack_values;
			*msg = strdup("out of memory for the label arrays");
			return AP_ERR_INTERNAL;
		}
	}
	l->name = packed;
	l->help = l->name + strlen(l->name) + 1;
	const char *p = l->help + strlen(l->help) + 1;
	for (size_t i = 0; i < n_labels; i++) {
		l->names[i] = p;
		p += strlen(p) + 1;
		l->values[i] = p;
		p += strlen(p) + 1;
	}
	return AP_OK;
}

static inline void apgo_lookup_free(apgo_lookup *l) {
	if (l->names != l->stack_names) {
		free(l->names);
		free(l->values);
	}
}

/* As apgo_fail, but AP_ERR_BUFFER_TOO_SMALL (which the Go caller retries with a larger buffer)
   copies no message. */
static inline ap_status apgo_fail_text(ap_status s, char **msg) {
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}

#endif

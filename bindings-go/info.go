package atomicperf

/*
#include "apgo.h"

static inline ap_status apgo_info_new(ap_info **out, char **msg) {
	return apgo_fail(ap_info_new(out), msg);
}

// apgo_info_set sets the pairs described by `packed` (see apgo_lookup; name and help empty).
static ap_status apgo_info_set(const ap_info *i, const char *packed, size_t n, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n, msg);
	if (s != AP_OK) {
		return s;
	}
	s = ap_info_set(i, l.names, l.values, n);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

// apgo_states splits the n NUL-terminated strings of `packed` into out (malloc'ed when n > 16;
// the caller frees out when it is not stack).
static const char **apgo_states(const char *packed, size_t n, const char **stack) {
	const char **out = n > 16 ? malloc(n * sizeof(char *)) : stack;
	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = packed;
		packed += strlen(packed) + 1;
	}
	return out;
}

static ap_status apgo_enum_new(const char *states, size_t n, ap_enum **out, char **msg) {
	const char *stack[16];
	const char **s = apgo_states(states, n, stack);
	if (s == NULL) {
		*msg = strdup("out of memory for the states");
		return AP_ERR_INTERNAL;
	}
	ap_status st = ap_enum_new(n ? s : NULL, n, out);
	if (s != stack) {
		free(s);
	}
	return apgo_fail(st, msg);
}

static ap_status apgo_registry_enum(const ap_registry *r, const char *packed, size_t n_labels,
		const char *states, size_t n_states, ap_enum **out, char **msg) {
	apgo_lookup l;
	ap_status st = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (st != AP_OK) {
		return st;
	}
	const char *stack[16];
	const char **s = apgo_states(states, n_states, stack);
	if (s == NULL) {
		apgo_lookup_free(&l);
		*msg = strdup("out of memory for the states");
		return AP_ERR_INTERNAL;
	}
	st = ap_registry_enum(r, l.name, l.help, l.names, l.values, n_labels, n_states ? s : NULL,
	                      n_states, out);
	if (s != stack) {
		free(s);
	}
	apgo_lookup_free(&l);
	return apgo_fail(st, msg);
}

static ap_status apgo_enum_set(const ap_enum *e, const char *state, char **msg) {
	return apgo_fail(ap_enum_set(e, state), msg);
}

static ap_status apgo_enum_get(const ap_enum *e, char *buf, size_t cap, size_t *len,
		size_t *index, char **msg) {
	return apgo_fail_text(ap_enum_get(e, buf, cap, len, index), msg);
}
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// Info is a set of label pairs describing something, such as a build's version and commit,
// exported as one sample name_info{...} 1: OpenMetrics' info type (a gauge in the Prometheus
// text format 0.0.4), as prometheus_client's Info. Set replaces the pairs as a whole; an export
// sees the old pairs or the new ones, never a mix.
//
// An Info is safe for concurrent use. Close releases the handle (an Info owned by a [Registry]
// ignores Close).
type Info struct {
	h handle
}

// MustNewInfo is like NewInfo but panics on error.
func MustNewInfo() *Info {
	i, err := NewInfo()
	if err != nil {
		panic(err)
	}
	return i
}

// NewInfo returns an Info with no pairs.
func NewInfo() (*Info, error) {
	var p *C.ap_info
	var msg *C.char
	if err := check("NewInfo", C.apgo_info_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapInfo(p), nil
}

func wrapInfo(p *C.ap_info) *Info {
	i := &Info{}
	i.h.init(unsafe.Pointer(p), freeInfo)
	i.h.cleanup = runtime.AddCleanup(i, freeInfo, unsafe.Pointer(p))
	return i
}

func freeInfo(p unsafe.Pointer) {
	C.ap_info_free((*C.ap_info)(p))
	handlesFreed.Add(1)
}

// Set replaces the pairs (exported sorted by name). A label name outside the Prometheus data
// model, or one of a registry Info's own label names, gives an error matching
// [ErrInvalidArgument] and leaves the pairs unchanged; after Close, [ErrClosed].
func (i *Info) Set(pairs Labels) error {
	const op = "Info.Set"
	var stack [packLen]byte
	packed, err := pack(op, "", "", pairs, &stack)
	if err != nil {
		return err
	}
	p := (*C.ap_info)(i.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer i.h.release()
	var msg *C.char
	return check(op, C.apgo_info_set(p, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(pairs)), &msg), msg)
}

// Close releases the Info. Later calls return [ErrClosed]; Close may be called many times. An
// Info owned by a [Registry] ignores Close.
func (i *Info) Close() error {
	if i.h.registry {
		return nil
	}
	i.h.close()
	return nil
}

// Enum is which one of a fixed set of states something is in (a task starting, running,
// stopped), exported as one sample per state, name{name="state"}, 1 for the current state and 0
// for the others: OpenMetrics' stateset type (a gauge in the Prometheus text format 0.0.4), as
// prometheus_client's Enum. It starts in its first state.
//
// An Enum is safe for concurrent use; Set and Get are one cgo call each. Close releases the
// handle (an Enum owned by a [Registry] ignores Close).
type Enum struct {
	h handle
}

// packStrings writes each string followed by a NUL; a string holding a NUL byte gives an error
// matching [ErrInvalidArgument].
func packStrings(op string, ss []string) ([]byte, error) {
	n := 1
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, newError(op, CodeInvalidArgument, "a state contains a NUL byte")
		}
		n += len(s) + 1
	}
	out := make([]byte, 0, n)
	for _, s := range ss {
		out = append(append(out, s...), 0)
	}
	return append(out, 0), nil
}

// NewEnum returns an Enum over states, in the first. No states, an empty state or one given
// twice give an error matching [ErrInvalidArgument].
func NewEnum(states ...string) (*Enum, error) {
	const op = "NewEnum"
	packed, err := packStrings(op, states)
	if err != nil {
		return nil, err
	}
	var p *C.ap_enum
	var msg *C.char
	st := C.apgo_enum_new((*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(states)), &p, &msg)
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	return wrapEnum(p), nil
}

func wrapEnum(p *C.ap_enum) *Enum {
	e := &Enum{}
	e.h.init(unsafe.Pointer(p), freeEnum)
	e.h.cleanup = runtime.AddCleanup(e, freeEnum, unsafe.Pointer(p))
	return e
}

func freeEnum(p unsafe.Pointer) {
	C.ap_enum_free((*C.ap_enum)(p))
	handlesFreed.Add(1)
}

// Set makes state the current state. A state that is not one of the Enum's gives an error
// matching [ErrInvalidArgument] (nothing changes); after Close, [ErrClosed].
func (e *Enum) Set(state string) error {
	const op = "Enum.Set"
	if strings.IndexByte(state, 0) >= 0 {
		return newError(op, CodeInvalidArgument, "state contains a NUL byte")
	}
	cs := C.CString(state)
	defer C.free(unsafe.Pointer(cs))
	p := (*C.ap_enum)(e.h.acquire())
	if p == nil {
		return ErrClosed
	}
	defer e.h.release()
	var msg *C.char
	return check(op, C.apgo_enum_set(p, cs, &msg), msg)
}

// Get returns the current state; after Close, [ErrClosed].
func (e *Enum) Get() (string, error) {
	p := (*C.ap_enum)(e.h.acquire())
	if p == nil {
		return "", ErrClosed
	}
	defer e.h.release()
	buf := make([]byte, 64)
	for {
		var n, index C.size_t
		var msg *C.char
		st := C.apgo_enum_get(p, (*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), C.size_t(len(buf)), &n, &index, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			buf = make([]byte, int(n)+1)
			continue
		}
		if err := check("Enum.Get", st, msg); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}

// Close releases the Enum. Later calls return [ErrClosed]; Close may be called many times. An
// Enum owned by a [Registry] ignores Close.
func (e *Enum) Close() error {
	if e.h.registry {
		return nil
	}
	e.h.close()
	return nil
}

// Info returns the info name with labels, creating it (with no pairs) if absent. It is exported
// as name_info (one _info suffix whether or not name ends in it); its pairs may not use the
// family's label names. Errors as [Registry.Counter].
func (r *Registry) Info(name, help string, labels Labels) (*Info, error) {
	return lookup(r, "Registry.Info", regInfo, name, help, labels, nil, func(p unsafe.Pointer) (*Info, *handle) {
		i := wrapInfo((*C.ap_info)(p))
		return i, &i.h
	})
}

// MustInfo is like Info but panics on error.
func (r *Registry) MustInfo(name, help string, labels Labels) *Info {
	return mustMetric(r.Info(name, help, labels))
}

// Enum returns the enum name with labels, creating it in its first state if absent. states lays
// out a new family (at least one, none empty or twice) and is ignored for an existing one. Its
// state label is named name, so name must also be a valid label name (no ':') and no other
// label may be called so. Errors as [Registry.Counter], and an error matching
// [ErrInvalidArgument] for bad states. Each call is a cgo call (enums are not cached: they are
// looked up rarely).
func (r *Registry) Enum(name, help string, labels Labels, states []string) (*Enum, error) {
	const op = "Registry.Enum"
	var stack [packLen]byte
	packed, err := pack(op, name, help, labels, &stack)
	if err != nil {
		return nil, err
	}
	ps, err := packStrings(op, states)
	if err != nil {
		return nil, err
	}
	rp := (*C.ap_registry)(r.h.acquire())
	if rp == nil {
		return nil, ErrClosed
	}
	defer r.h.release()
	var out *C.ap_enum
	var msg *C.char
	st := C.apgo_registry_enum(rp, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))), C.size_t(len(labels)),
		(*C.char)(unsafe.Pointer(unsafe.SliceData(ps))), C.size_t(len(states)), &out, &msg)
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	e := wrapEnum(out)
	e.h.registry = true
	return e, nil
}

// MustEnum is like Enum but panics on error.
func (r *Registry) MustEnum(name, help string, labels Labels, states []string) *Enum {
	return mustMetric(r.Enum(name, help, labels, states))
}

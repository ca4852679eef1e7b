package atomicperf

/*
#include "apgo.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Code is a status code of the C library (ap_status). Every Code except CodeOK is an error value
// and is the sentinel that errors.Is matches for an [*Error] carrying it.
type Code int32

// Status codes of the C ABI (AP_OK, AP_ERR_*).
const (
	CodeOK              Code = C.AP_OK
	CodeNullHandle      Code = C.AP_ERR_NULL_HANDLE
	CodeNullPointer     Code = C.AP_ERR_NULL_POINTER
	CodeOutOfRange      Code = C.AP_ERR_OUT_OF_RANGE
	CodeEmpty           Code = C.AP_ERR_EMPTY
	CodeBufferTooSmall  Code = C.AP_ERR_BUFFER_TOO_SMALL
	CodeInvalidArgument Code = C.AP_ERR_INVALID_ARGUMENT
	CodeInternal        Code = C.AP_ERR_INTERNAL
)

// Sentinel errors, one per status code, for errors.Is. An [*Error] matches the sentinel of its
// Code.
var (
	// ErrNullHandle: a handle passed to the C library was NULL. The binding never passes one,
	// so this error points at a bug in the binding.
	ErrNullHandle error = CodeNullHandle
	// ErrNullPointer: an out-pointer or buffer passed to the C library was NULL.
	ErrNullPointer error = CodeNullPointer
	// ErrOutOfRange: an argument was outside its documented range (precision, quantile,
	// stripe count...).
	ErrOutOfRange error = CodeOutOfRange
	// ErrEmpty: the metric holds no value yet (a quantile of an empty histogram).
	ErrEmpty error = CodeEmpty
	// ErrBufferTooSmall: a buffer was too small for the result.
	ErrBufferTooSmall error = CodeBufferTooSmall
	// ErrInvalidArgument: an argument was invalid in a way other than its range.
	ErrInvalidArgument error = CodeInvalidArgument
	// ErrInternal: the library caught a bug of its own (a Rust panic) at the boundary.
	ErrInternal error = CodeInternal
)

// ErrClosed is returned by methods that return an error when they are called on a metric after
// its Close.
var ErrClosed = errors.New("atomicperf: metric is closed")

// String returns the library's name for the code, e.g. "AP_ERR_EMPTY: empty".
func (c Code) String() string {
	return C.GoString(C.ap_status_str(C.ap_status(c)))
}

// Error returns the same text as String, so that a Code is an error value.
func (c Code) Error() string {
	return "atomicperf: " + c.String()
}

// Error is a failure reported by the C library: the operation, the status code and the
// library's message for it.
type Error struct {
	Op      string // the Go function that failed, e.g. "Histogram.Quantile"
	Code    Code   // the ap_status returned by the C call
	Message string // ap_last_error() of the failing call
}

// Error formats the operation, the message and the status code.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	} else {
		msg += " (" + e.Code.String() + ")"
	}
	return "atomicperf: " + e.Op + ": " + msg
}

// Unwrap returns the Code, so that errors.Is(err, ErrEmpty) and its peers match.
func (e *Error) Unwrap() error {
	return e.Code
}

// check turns the status of a C call into an error, taking ownership of the message copied by
// apgo_fail.
func check(op string, st C.ap_status, msg *C.char) error {
	if st == C.AP_OK {
		return nil
	}
	e := &Error{Op: op, Code: Code(st)}
	if msg != nil {
		e.Message = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	return e
}

// Status codes added in ABI version 2.
const (
	CodeTimeout Code = C.AP_ERR_TIMEOUT
	CodeClosed  Code = C.AP_ERR_CLOSED
)

// ErrTimeout: a wait ran out of time before the operation could complete (an
// [AsyncRecorder.RecordTimeout] that found no room in the queue in time).
var ErrTimeout error = CodeTimeout

// Is makes errors.Is match [ErrClosed] for [CodeClosed], so that a library object that reports
// it is closed (AP_ERR_CLOSED) and a Go metric used after its Close give the same sentinel.
func (c Code) Is(target error) bool {
	return c == CodeClosed && target == ErrClosed
}

// newError is an [*Error] raised by the binding itself, before any C call, for an argument
// that C cannot represent (a negative duration, slices of different lengths).
func newError(op string, code Code, message string) error {
	return &Error{Op: op, Code: code, Message: message}
}

// Status codes added with ShardedMap, Ledger, SnapshotCell, OnceMap and CancellationToken.
const (
	CodeUnknownAccount    Code = C.AP_ERR_UNKNOWN_ACCOUNT
	CodeAccountExists     Code = C.AP_ERR_ACCOUNT_EXISTS
	CodeInvalidAmount     Code = C.AP_ERR_INVALID_AMOUNT
	CodeSameAccount       Code = C.AP_ERR_SAME_ACCOUNT
	CodeInsufficientFunds Code = C.AP_ERR_INSUFFICIENT_FUNDS
	CodeOverflow          Code = C.AP_ERR_OVERFLOW
	CodeRevisionMismatch  Code = C.AP_ERR_REVISION_MISMATCH
	CodeAccountClosed     Code = C.AP_ERR_ACCOUNT_CLOSED
	CodeAccountNotEmpty   Code = C.AP_ERR_ACCOUNT_NOT_EMPTY
	// CodeIO: a request to another process failed (the C library's own Pushgateway requests;
	// the Go binding's pushes report a [*PushError] instead).
	CodeIO Code = C.AP_ERR_IO
)

// Sentinel errors of the [Ledger] and the [SnapshotCell], for errors.Is.
var (
	// ErrUnknownAccount: no account of the [Ledger] has this id.
	ErrUnknownAccount error = CodeUnknownAccount
	// ErrAccountExists: [Ledger.Open] found an account with this id already open.
	ErrAccountExists error = CodeAccountExists
	// ErrInvalidAmount: an amount of a [Ledger] operation was zero or negative.
	ErrInvalidAmount error = CodeInvalidAmount
	// ErrSameAccount: a [Ledger.Transfer] from an account to itself.
	ErrSameAccount error = CodeSameAccount
	// ErrInsufficientFunds: a withdrawal or transfer would take an account that does not allow
	// overdraft below zero; nothing was changed.
	ErrInsufficientFunds error = CodeInsufficientFunds
	// ErrOverflow: a balance or total would not fit an int64; nothing was changed.
	ErrOverflow error = CodeOverflow
	// ErrRevisionMismatch: a [SnapshotCell.CompareAndStore] found another revision than the
	// expected one; nothing was stored.
	ErrRevisionMismatch error = CodeRevisionMismatch
	// ErrAccountClosed: the [Ledger] account is closed ([Ledger.ReopenAccount] opens it again).
	ErrAccountClosed error = CodeAccountClosed
	// ErrAccountNotEmpty: [Ledger.CloseAccount] of an account whose balance is not zero or that
	// has a transfer from it in flight; nothing was changed.
	ErrAccountNotEmpty error = CodeAccountNotEmpty
	// ErrIO: a request to another process failed (a server unreachable, silent past its
	// time-out, or answering with an error status).
	ErrIO error = CodeIO
)

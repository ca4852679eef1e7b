package atomicperf

/*
#cgo noescape ap_ledger_len
#cgo nocallback ap_ledger_len
#cgo noescape apgo_ledger_new
#cgo nocallback apgo_ledger_new
#cgo noescape apgo_ledger_open
#cgo nocallback apgo_ledger_open
#cgo noescape apgo_ledger_deposit
#cgo nocallback apgo_ledger_deposit
#cgo noescape apgo_ledger_withdraw
#cgo nocallback apgo_ledger_withdraw
#cgo noescape apgo_ledger_transfer
#cgo nocallback apgo_ledger_transfer
#cgo noescape apgo_ledger_balance
#cgo nocallback apgo_ledger_balance
#cgo noescape apgo_ledger_total
#cgo nocallback apgo_ledger_total
#include "apgo.h"

static inline ap_status apgo_ledger_new(ap_ledger **out, char **msg) {
	return apgo_fail(ap_ledger_new(out), msg);
}

static inline ap_status apgo_ledger_open(const ap_ledger *l, uint64_t id, bool overdraft, char **msg) {
	return apgo_fail(ap_ledger_open(l, id, overdraft), msg);
}

static inline ap_status apgo_ledger_deposit(const ap_ledger *l, uint64_t id, int64_t amount,
		int64_t *balance, char **msg) {
	return apgo_fail(ap_ledger_deposit(l, id, amount, balance), msg);
}

static inline ap_status apgo_ledger_withdraw(const ap_ledger *l, uint64_t id, int64_t amount,
		int64_t *balance, char **msg) {
	return apgo_fail(ap_ledger_withdraw(l, id, amount, balance), msg);
}

static inline ap_status apgo_ledger_transfer(const ap_ledger *l, uint64_t from, uint64_t to,
		int64_t amount, char **msg) {
	return apgo_fail(ap_ledger_transfer(l, from, to, amount), msg);
}

static inline ap_status apgo_ledger_balance(const ap_ledger *l, uint64_t id, int64_t *out, char **msg) {
	return apgo_fail(ap_ledger_balance(l, id, out), msg);
}

static inline ap_status apgo_ledger_total(const ap_ledger *l, int64_t *out, char **msg) {
	return apgo_fail(ap_ledger_total(l, out), msg);
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Ledger holds accounts, keyed by uint64 ids, with int64 balances: deposits, withdrawals and
// transfers between two accounts, each atomic. It replaces the account service's map behind one
// global sync.Mutex: accounts are locked one by one (a transfer locks its two accounts in a fixed
// order, so transfers in opposite directions never deadlock), so operations on different
// accounts run in parallel. Concurrent transfers conserve the total.
//
// A balance never goes below zero unless its account was opened with overdraft; a failed
// operation changes nothing. Every failure is an [*Error] whose Code names the reason and that
// matches one sentinel for errors.Is: [ErrUnknownAccount], [ErrAccountExists],
// [ErrInvalidAmount], [ErrSameAccount], [ErrInsufficientFunds] or [ErrOverflow].
//
// A Ledger is safe for concurrent use. Each method is one cgo call. Close releases the C memory
// (see the package documentation on lifetime); afterwards the methods that return an error
// return [ErrClosed] and Len returns 0.
type Ledger struct {
	h handle
}

// NewLedger returns a ledger without accounts.
func NewLedger() (*Ledger, error) {
	var p *C.ap_ledger
	var msg *C.char
	if err := check("NewLedger", C.apgo_ledger_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	l := &Ledger{}
	l.h.init(unsafe.Pointer(p), freeLedger)
	l.h.cleanup = runtime.AddCleanup(l, freeLedger, unsafe.Pointer(p))
	return l, nil
}

// MustNewLedger is like NewLedger but panics on error.
func MustNewLedger() *Ledger {
	l, err := NewLedger()
	if err != nil {
		panic(err)
	}
	return l
}

func freeLedger(p unsafe.Pointer) {
	C.ap_ledger_free((*C.ap_ledger)(p))
	handlesFreed.Add(1)
}

// Open opens account id at balance 0; overdraft lets its balance go below zero. The error
// matches [ErrAccountExists] when the id is taken.
func (l *Ledger) Open(id uint64, overdraft bool) error {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_ledger_open(p, C.uint64_t(id), C.bool(overdraft), &msg)
	l.h.release()
	return check("Ledger.Open", st, msg)
}

// Deposit adds amount to account id and returns the new balance. The error matches
// [ErrInvalidAmount] for an amount <= 0, [ErrUnknownAccount] and [ErrOverflow] (the balance
// would pass math.MaxInt64).
func (l *Ledger) Deposit(id uint64, amount int64) (balance int64, err error) {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var b C.int64_t
	var msg *C.char
	st := C.apgo_ledger_deposit(p, C.uint64_t(id), C.int64_t(amount), &b, &msg)
	l.h.release()
	if err := check("Ledger.Deposit", st, msg); err != nil {
		return 0, err
	}
	return int64(b), nil
}

// Withdraw takes amount from account id and returns the new balance. The error matches
// [ErrInvalidAmount] for an amount <= 0, [ErrUnknownAccount], [ErrInsufficientFunds] when the
// balance would go below zero in an account without overdraft, and [ErrOverflow].
func (l *Ledger) Withdraw(id uint64, amount int64) (balance int64, err error) {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var b C.int64_t
	var msg *C.char
	st := C.apgo_ledger_withdraw(p, C.uint64_t(id), C.int64_t(amount), &b, &msg)
	l.h.release()
	if err := check("Ledger.Withdraw", st, msg); err != nil {
		return 0, err
	}
	return int64(b), nil
}

// Transfer moves amount from account from to account to, atomically: no reader sees the money
// in both accounts or in neither. The error matches [ErrInvalidAmount] for an amount <= 0,
// [ErrSameAccount] when from == to, [ErrUnknownAccount] for either id,
// [ErrInsufficientFunds] and [ErrOverflow]; on error nothing changed.
func (l *Ledger) Transfer(from, to uint64, amount int64) error {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_ledger_transfer(p, C.uint64_t(from), C.uint64_t(to), C.int64_t(amount), &msg)
	l.h.release()
	return check("Ledger.Transfer", st, msg)
}

// Balance returns the balance of account id. The error matches [ErrUnknownAccount].
func (l *Ledger) Balance(id uint64) (int64, error) {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var b C.int64_t
	var msg *C.char
	st := C.apgo_ledger_balance(p, C.uint64_t(id), &b, &msg)
	l.h.release()
	if err := check("Ledger.Balance", st, msg); err != nil {
		return 0, err
	}
	return int64(b), nil
}

// Total returns the sum of every balance. It is exact when no operation runs concurrently;
// transfers alone never change it. The error matches [ErrOverflow] when the sum does not fit an
// int64.
func (l *Ledger) Total() (int64, error) {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var t C.int64_t
	var msg *C.char
	st := C.apgo_ledger_total(p, &t, &msg)
	l.h.release()
	if err := check("Ledger.Total", st, msg); err != nil {
		return 0, err
	}
	return int64(t), nil
}

// Len returns the number of open accounts (0 after Close).
func (l *Ledger) Len() int {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return 0
	}
	var n C.size_t
	C.ap_ledger_len(p, &n)
	l.h.release()
	return int(n)
}

// Close releases the ledger's C memory. It is idempotent and safe to call concurrently with
// other methods: a call in flight finishes on the live ledger. Close always returns nil.
func (l *Ledger) Close() error {
	l.h.close()
	return nil
}

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
#cgo noescape apgo_ledger_open_hot
#cgo nocallback apgo_ledger_open_hot
#cgo noescape apgo_ledger_close
#cgo nocallback apgo_ledger_close
#cgo noescape apgo_ledger_reopen
#cgo nocallback apgo_ledger_reopen
#cgo noescape apgo_ledger_transfer_many
#cgo nocallback apgo_ledger_transfer_many
#include "apgo.h"

static inline ap_status apgo_ledger_open_hot(const ap_ledger *l, uint64_t id, bool overdraft,
		char **msg) {
	return apgo_fail(ap_ledger_open_hot(l, id, overdraft), msg);
}

static inline ap_status apgo_ledger_close(const ap_ledger *l, uint64_t id, char **msg) {
	return apgo_fail(ap_ledger_close(l, id), msg);
}

static inline ap_status apgo_ledger_reopen(const ap_ledger *l, uint64_t id, char **msg) {
	return apgo_fail(ap_ledger_reopen(l, id), msg);
}

static inline ap_status apgo_ledger_transfer_many(const ap_ledger *l, const ap_transfer *transfers,
		size_t n, ap_status *results, size_t *failed, char **msg) {
	return apgo_fail(ap_ledger_transfer_many(l, transfers, n, results, failed), msg);
}

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
// global sync.Mutex and takes no lock at all: an account is found through an index readers never
// write, and a balance changes by compare-and-swap, so operations on different accounts run in
// parallel and transfers in opposite directions never deadlock. A transfer debits, then credits
// (giving the debit back if the credit fails); concurrent transfers conserve the total.
// [Ledger.OpenHot] opens an account that many transfers credit at once; [Ledger.CloseAccount]
// and [Ledger.ReopenAccount] retire an empty account; [Ledger.TransferMany] runs a batch in one
// cgo call.
//
// A balance never goes below zero unless its account was opened with overdraft, and stays within
// math.MinInt64+2 .. math.MaxInt64; a failed operation changes nothing. Every failure is an
// [*Error] whose Code names the reason and that matches one sentinel for errors.Is:
// [ErrUnknownAccount], [ErrAccountExists], [ErrAccountClosed], [ErrAccountNotEmpty],
// [ErrInvalidAmount], [ErrSameAccount], [ErrInsufficientFunds] or [ErrOverflow].
//
// A Ledger is safe for concurrent use. Each method is one cgo call. Close releases the C memory
// (see the package documentation on lifetime); afterwards the methods that return an error
// return [ErrClosed] and Len returns 0. Closing one account is CloseAccount, not Close.
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
// matches [ErrAccountExists] when the id is open, [ErrAccountClosed] when it was closed (see
// [Ledger.ReopenAccount]).
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

// OpenHot opens account id as a hot account: one that many transfers credit at once (a merchant,
// a fee account). Its credits go to per-thread stripes that debits and reads sum, so that
// concurrent credits do not all wait for one cache line. Errors as [Ledger.Open].
func (l *Ledger) OpenHot(id uint64, overdraft bool) error {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_ledger_open_hot(p, C.uint64_t(id), C.bool(overdraft), &msg)
	l.h.release()
	return check("Ledger.OpenHot", st, msg)
}

// CloseAccount closes account id, whose balance must be zero with no transfer from it in
// flight; operations on it then fail with [ErrAccountClosed] until [Ledger.ReopenAccount]. It is
// not named Close because [Ledger.Close] releases the whole ledger (io.Closer). The error matches
// [ErrAccountNotEmpty] (nothing changes), [ErrAccountClosed] (already closed) or
// [ErrUnknownAccount].
func (l *Ledger) CloseAccount(id uint64) error {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_ledger_close(p, C.uint64_t(id), &msg)
	l.h.release()
	return check("Ledger.CloseAccount", st, msg)
}

// ReopenAccount reopens closed account id at balance 0 (named to pair with
// [Ledger.CloseAccount]). The error matches [ErrAccountExists] if it is open, or
// [ErrUnknownAccount].
func (l *Ledger) ReopenAccount(id uint64) error {
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_ledger_reopen(p, C.uint64_t(id), &msg)
	l.h.release()
	return check("Ledger.ReopenAccount", st, msg)
}

// Transfer is one transfer of [Ledger.TransferMany]. Its layout is the C ABI's ap_transfer, so a
// batch goes to C as it is.
type Transfer struct {
	From   uint64
	To     uint64
	Amount int64
}

// Transfer and C.ap_transfer must have the same size and field offsets: these fail to compile
// otherwise (a negative or out-of-range array length).
var (
	_ [unsafe.Sizeof(Transfer{}) - unsafe.Sizeof(C.ap_transfer{})]struct{}
	_ [unsafe.Sizeof(C.ap_transfer{}) - unsafe.Sizeof(Transfer{})]struct{}
	_ [unsafe.Offsetof(Transfer{}.To) - unsafe.Offsetof(C.ap_transfer{}.to)]struct{}
	_ [unsafe.Offsetof(C.ap_transfer{}.to) - unsafe.Offsetof(Transfer{}.To)]struct{}
	_ [unsafe.Offsetof(Transfer{}.Amount) - unsafe.Offsetof(C.ap_transfer{}.amount)]struct{}
	_ [unsafe.Offsetof(C.ap_transfer{}.amount) - unsafe.Offsetof(Transfer{}.Amount)]struct{}
)

// TransferMany applies transfers in order, each all-or-nothing as [Ledger.Transfer], in one cgo
// call, and returns one error per transfer: nil if it was applied, else an [*Error] that matches
// the sentinel of its reason, as Transfer's would. The second result is the error of the call
// itself ([ErrClosed] after Close), in which case no transfer ran.
//
// The slice is passed to C without a copy (it holds no Go pointers, and C does not keep it).
func (l *Ledger) TransferMany(transfers []Transfer) ([]error, error) {
	if len(transfers) == 0 {
		if l.h.acquire() == nil {
			return nil, ErrClosed
		}
		l.h.release()
		return []error{}, nil
	}
	statuses := make([]C.ap_status, len(transfers))
	p := (*C.ap_ledger)(l.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	var failed C.size_t
	var msg *C.char
	st := C.apgo_ledger_transfer_many(p, (*C.ap_transfer)(unsafe.Pointer(unsafe.SliceData(transfers))),
		C.size_t(len(transfers)), unsafe.SliceData(statuses), &failed, &msg)
	l.h.release()
	if err := check("Ledger.TransferMany", st, msg); err != nil {
		return nil, err
	}
	errs := make([]error, len(transfers))
	if failed > 0 {
		for i, s := range statuses {
			if s != C.AP_OK {
				errs[i] = &Error{Op: "Ledger.TransferMany", Code: Code(s)}
			}
		}
	}
	return errs, nil
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
// [ErrSameAccount] when from == to, [ErrUnknownAccount] for either id, [ErrAccountClosed],
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

// Balance returns the balance of account id. The error matches [ErrUnknownAccount] or
// [ErrAccountClosed].
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

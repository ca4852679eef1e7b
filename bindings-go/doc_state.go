// # Concurrent state
//
// [ShardedMap] (a concurrent map of byte strings, keys spread over locked shards), [Ledger]
// (lock-free accounts with atomic transfers that conserve the total; hot accounts,
// CloseAccount/ReopenAccount and TransferMany batches in one cgo call), [SnapshotCell] (a read-mostly value
// swapped atomically, with a revision and compare-and-store), [OnceMap] (get-or-initialise
// exactly once per key; a failed initialiser is not cached) and [CancellationToken] (cancel,
// children, Wait, and Done and Context for select) follow the same rules of lifetime and errors.
// Keys and values are copied across the boundary: C keeps no Go memory, and no reference into a
// structure outlives the call. Their failures match [ErrUnknownAccount], [ErrAccountExists],
// [ErrAccountClosed], [ErrAccountNotEmpty], [ErrInvalidAmount], [ErrSameAccount],
// [ErrInsufficientFunds], [ErrOverflow], [ErrRevisionMismatch] and [ErrTimeout].
package atomicperf

// The comment above continues the package documentation of doc.go: go/doc joins the package
// comments of all files, in file name order.

package atomicperf

/*
#include <stdint.h>
*/
import "C"

import "unsafe"

// Keys and values cross the C ABI as a pointer and a length. Go memory can be passed as it is
// (bytes hold no Go pointers, and no C function here keeps the pointer after it returns), so a
// []byte or a string costs no copy on the way in. An empty key is a NULL or dangling pointer with
// length 0, which every ap_* function accepts.

// bytesArg returns the pointer and length of b for a C call.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.SliceData(b)), C.size_t(len(b))
}

// stringArg returns the pointer and length of s for a C call. C only reads the bytes.
func stringArg(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.StringData(s)), C.size_t(len(s))
}

// stackBufLen is the size of the buffer on the stack that look-ups try first: values up to it
// cost one allocation (the result), longer ones a second cgo call with a buffer of their size.
const stackBufLen = 128

// result is the value of length n that a look-up wrote to big, or to stack when big is nil: a
// slice the caller owns, with no spare capacity (an append never writes into the library's
// copy), and non-nil even when empty.
func result(stack *[stackBufLen]byte, big []byte, n int) []byte {
	if big != nil {
		return big[:n:n]
	}
	out := make([]byte, n)
	copy(out, stack[:n])
	return out
}

//go:build !cgo

package atomicperf

// The package calls the C library through cgo. With CGO_ENABLED=0 (the default when
// cross-compiling, or when no C compiler is found) the build stops here: set CGO_ENABLED=1 and
// install a C compiler (gcc or clang).
var _ = atomicperf_needs_cgo__set_CGO_ENABLED_1_and_install_a_C_compiler

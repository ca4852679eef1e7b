package atomicperf

// The C library ships inside this module: the header in include/ and, for each platform the
// module was built for, a static library in lib/<GOOS>_<GOARCH>/libatomicperf.a, linked by that
// platform's link_<goos>_<goarch>.go (link_unsupported.go stops the build on any other
// platform, nocgo.go without cgo). No pkg-config, no shared library: a program built with this
// package carries the library and runs wherever it is copied.
//
// The CFLAGS below apply to every cgo file of the package.

/*
#cgo CFLAGS: -I${SRCDIR}/include
*/
import "C"

module github.com/atomicperf/atomicperf/bindings-go

go 1.24

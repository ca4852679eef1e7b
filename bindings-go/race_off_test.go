//go:build !race

package atomicperf

// raceEnabled: the test binary runs under the race detector (slower, more memory).
const raceEnabled = false

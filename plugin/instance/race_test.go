//go:build race

package instance

// raceEnabled: the race detector makes sync.Pool drop items at random and instruments
// allocations, so allocation counts mean nothing under it; the CGO_ENABLED=0 run of
// `make test` (no race detector) holds the zero-allocation promise.
const raceEnabled = true

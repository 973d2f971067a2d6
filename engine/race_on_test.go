//go:build race

package engine

// raceEnabled: the race detector slows the engine down several times, so the
// heavy volume tests shrink under it (their concurrency is covered anyway).
const raceEnabled = true

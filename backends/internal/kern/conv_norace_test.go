//go:build !race

package kern

// convRace: the race detector is on (sync.Pool then drops items on
// purpose, so the allocation tests cannot hold).
const convRace = false

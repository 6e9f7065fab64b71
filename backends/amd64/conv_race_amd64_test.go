//go:build amd64 && !noasm && race

package amd64

// convRace: the race detector is on (sync.Pool then drops items on
// purpose, so the allocation tests cannot hold).
const convRace = true

//go:build !race

package kern

// raceOn is whether the race detector is on.
const raceOn = false

// gemmRaceRead tells the race detector that assembly reads x (a no-op
// without -race).
func gemmRaceRead(x []float32) {}

// gemmRaceWrite tells the race detector that assembly writes x (a no-op
// without -race).
func gemmRaceWrite(x []float32) {}

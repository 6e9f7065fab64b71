//go:build race

package kern

import (
	"runtime"
	"unsafe"
)

// raceOn is whether the race detector is on.
const raceOn = true

// gemmRaceRead tells the race detector that assembly reads x.
func gemmRaceRead(x []float32) {
	if len(x) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(unsafe.SliceData(x)), len(x)*4)
	}
}

// gemmRaceWrite tells the race detector that assembly writes x.
func gemmRaceWrite(x []float32) {
	if len(x) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(unsafe.SliceData(x)), len(x)*4)
	}
}

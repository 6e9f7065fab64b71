//go:build !linux

package kern

import "testing"

// pageEnd returns n float32s (on Linux, followed by an inaccessible page).
func pageEnd(t testing.TB, n int) []float32 { return make([]float32, n) }

package kern

// The activations the SGEMM micro-kernels do not apply themselves
// (LeakyRelu, HardSwish, Sigmoid), for the drivers' pass over each
// finished tile or plane while it is in cache.

import (
	"math"
	"unsafe"
)

// leakyReluGo applies LeakyRelu in place (ISA.LeakyRelu):
//
//	for i, v := range x[:n] {
//		if v < 0 {
//			x[i] = alpha * v
//		}
//	}
func leakyReluGo(x *float32, n int, alpha float32) {
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		if v < 0 {
			xs[i] = alpha * v
		}
	}
}

// hardSwishGo applies HardSwish in place (ISA.HardSwish):
//
//	for i, v := range x[:n] {
//		x[i] = v * min(max(v/6+0.5, 0), 1) // NaN stays NaN
//	}
func hardSwishGo(x *float32, n int) {
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		xs[i] = v * min(max(v/6+0.5, 0), 1)
	}
}

// sigmoidGo applies the logistic function in place (ISA.Sigmoid):
//
//	for i, v := range x[:n] {
//		x[i] = 1 / (1 + exp(-v))
//	}
//
// (in float64 here; assembly computes exp in float32 to a few ulp, its
// argument clamped to [-87.3, 88.3], so 0 below -88.3 and 1 above 87.3,
// the float32 results there anyway but for denormals).
func sigmoidGo(x *float32, n int) {
	xs := unsafe.Slice(x, n)
	for i, v := range xs {
		xs[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// activate applies ep's activation to x with g's routines, for the
// activations the SGEMM kernel leaves to a pass over the finished tile
// (Relu and Clip are applied too, for the callers that do not run them in
// a kernel).
func (g *ISA) activate(x []float32, ep *Epilogue) {
	if len(x) == 0 {
		return
	}
	gemmRaceWrite(x)
	switch ep.Act {
	case ActRelu:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case ActClip:
		lo, hi := ep.Min, ep.Max
		for i, v := range x {
			x[i] = min(max(v, lo), hi)
		}
	case ActLeakyRelu:
		g.LeakyRelu(&x[0], len(x), ep.ActAlpha)
	case ActHardSwish:
		g.HardSwish(&x[0], len(x))
	case ActSigmoid:
		g.Sigmoid(&x[0], len(x))
	}
}

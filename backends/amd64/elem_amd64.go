//go:build amd64 && !noasm

package amd64

// The activations the SGEMM micro-kernels do not apply themselves
// (LeakyRelu, HardSwish, Sigmoid), in AVX2: kern's leakyReluGo,
// hardSwishGo and sigmoidGo (ISA.LeakyRelu, HardSwish, Sigmoid), for the
// drivers' pass over each finished tile or plane while it is in cache.

// elemLeakyReluF32AVX2 applies LeakyRelu in place:
//
//	for i, v := range x[:n] {
//		if v < 0 {
//			x[i] = alpha * v
//		}
//	}
//
// Requires: AVX, AVX2
//
//go:noescape
func elemLeakyReluF32AVX2(x *float32, n int, alpha float32)

// elemHardSwishF32AVX2 applies HardSwish in place:
//
//	for i, v := range x[:n] {
//		x[i] = v * min(max(v/6+0.5, 0), 1) // NaN stays NaN
//	}
//
// Requires: AVX, AVX2
//
//go:noescape
func elemHardSwishF32AVX2(x *float32, n int)

// elemSigmoidF32AVX2 applies the logistic function in place:
//
//	for i, v := range x[:n] {
//		x[i] = 1 / (1 + exp(-v))
//	}
//
// with exp in float32 (Cephes' expf: a few ulp), the argument clamped to
// [-87.3, 88.3] (so 0 below -88.3 and 1 above 87.3, the float32 results
// there anyway but for denormals).
// Requires: AVX, AVX2, FMA3
//
//go:noescape
func elemSigmoidF32AVX2(x *float32, n int)

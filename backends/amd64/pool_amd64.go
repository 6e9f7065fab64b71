//go:build amd64 && !noasm

package amd64

// MaxPool and AveragePool planes run the depthwise kernel's sliding window
// (dw_window_amd64.h) with max or sum as the tap.

import "github.com/onyxml/onyx/backends/internal/kern"

// poolMaxF32AVX2S1 computes one plane of a max pool with stride 1
// (S2: stride 2): kern's poolMaxGo (ISA.MaxS1, MaxS2), 8 output columns
// per vector.
// Requires: AVX, AVX2
//
//go:noescape
func poolMaxF32AVX2S1(args *kern.WinArgs)

// poolMaxF32AVX2S2 is poolMaxF32AVX2S1 with stride 2.
// Requires: AVX, AVX2
//
//go:noescape
func poolMaxF32AVX2S2(args *kern.WinArgs)

// poolAvgF32AVX2S1 computes one plane of an average pool with stride 1
// (S2: stride 2): kern's poolAvgGo (ISA.AvgS1, AvgS2), with MXCSR's FTZ
// and DAZ set for the duration of the call.
// Requires: AVX, AVX2
//
//go:noescape
func poolAvgF32AVX2S1(args *kern.WinArgs)

// poolAvgF32AVX2S2 is poolAvgF32AVX2S1 with stride 2.
// Requires: AVX, AVX2
//
//go:noescape
func poolAvgF32AVX2S2(args *kern.WinArgs)

// poolSumF32AVX2 returns the sum of x[0:n] (n >= 0; x may be nil when n is
// 0), in 32 lanes then 8 then one by one: kern's sumGo (ISA.Sum).
// Requires: AVX, AVX2
//
//go:noescape
func poolSumF32AVX2(x *float32, n int) float32

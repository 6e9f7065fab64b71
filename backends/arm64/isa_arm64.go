//go:build arm64 && !noasm

package arm64

// The neon tier as a kern.ISA table: the 8x8 micro-kernels of
// sgemm_kernels_arm64.s with their tile and blocking.

import "github.com/onyxml/onyx/backends/internal/kern"

// Blocking (see kern.ISA): one strip of A (8 x 256 floats, 8 KiB) stays
// in L1 while the kernel runs over the panels of a 256 x 512 block of B
// (512 KiB) in L2. The sizes suit the common 64 KiB L1d / 1 MiB L2 of
// Neoverse cores; they were not tuned on hardware (only qemu was at hand).
var isaNEON = &kern.ISA{Name: "neon", MR: 8, NR: 8, KC: 256, MC: 128, NC: 512,
	Ready: func() bool { return hasASIMD }, Gemm: gemmNEON}

func init() {
	kern.Register(isaNEON, kern.CPUAllows("neon"))
}

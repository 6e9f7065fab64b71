//go:build arm64 && !noasm

package arm64

// The neon tier as a kern.ISA table: the 8x8 micro-kernels of
// sgemm_kernels_arm64.s with their tile and blocking, and the depthwise
// and pooling routines of window_kernels_arm64.s and the activations of
// elem_kernels_arm64.s, the conv packer and pixel-major transposer of
// conv_kernels_arm64.s and the Winograd transforms of conv_wino_arm64.s
// (with their lane order).

import "github.com/onyxml/onyx/backends/internal/kern"

// Blocking (see kern.ISA): one strip of A (8 x 256 floats, 8 KiB) stays
// in L1 while the kernel runs over the panels of a 256 x 512 block of B
// (512 KiB) in L2. The sizes suit the common 64 KiB L1d / 1 MiB L2 of
// Neoverse cores; they were not tuned on hardware (only qemu was at hand).
//
// The Winograd transforms, also measured under qemu only (it emulates
// each lane, so these say little about a board), against the Go
// definitions the tier ran before, kern's BenchmarkWinoTransforms, median
// of 3: resnet18 layer2 (128ch, 28x28) input 10.5 -> 3.0 ms, output 11.4
// -> 6.2 ms; squeezenet expand3x3 (16->64, 55x55) 5.3 -> 1.5 ms and 22.7
// -> 12.4 ms. In BenchmarkConv, where the GEMMs dominate under qemu, the
// Winograd convs gained 2-14% (min of 9).
var isaNEON = &kern.ISA{Name: "neon", MR: 8, NR: 8, KC: 256, MC: 128, NC: 512,
	Ready: func() bool { return hasASIMD }, Gemm: gemmNEON,
	ConvPack: convPackF32NEON, ConvTranspose: convTransposeF32NEON,
	WinoIn: winoInF32NEON, WinoOut: winoOutF32NEON, WinoLanes: winoLanesNEON,
	DW3x3S1: dw3x3F32NEONS1, DW3x3S2: dw3x3F32NEONS2,
	PaddedWindows: true,
	DWS1:          dwF32NEONS1, DWS2: dwF32NEONS2,
	MaxS1: poolMaxF32NEONS1, MaxS2: poolMaxF32NEONS2,
	AvgS1: poolAvgF32NEONS1, AvgS2: poolAvgF32NEONS2,
	Sum:       sumF32NEON,
	LeakyRelu: elemLeakyReluF32NEON, HardSwish: elemHardSwishF32NEON, Sigmoid: elemSigmoidF32NEON}

func init() {
	kern.Register(isaNEON, kern.CPUAllows("neon"))
}

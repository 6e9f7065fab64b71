//go:build arm64 && !noasm

package arm64

// gemmGetFPCR returns the floating-point control register (for tests: the
// kernels must leave it as they found it).
//
//go:noescape
func gemmGetFPCR() uint64

// gemmSetFPCR sets the floating-point control register.
//
//go:noescape
func gemmSetFPCR(x uint64)

//go:build amd64 && !noasm

package amd64

// gemmGetMXCSR returns the SSE control and status register (for tests:
// the kernels must leave it as they found it).
//
//go:noescape
func gemmGetMXCSR() uint32

// gemmSetMXCSR sets the SSE control and status register.
//
//go:noescape
func gemmSetMXCSR(x uint32)

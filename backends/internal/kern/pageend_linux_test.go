//go:build linux

package kern

import (
	"syscall"
	"testing"
	"unsafe"
)

// pageEnd returns n float32s that end where readable memory does: an
// inaccessible page follows them, so that a kernel reading or writing
// past them faults (the NaN guards of gemmGuarded catch only the writes,
// and only those near the ends).
func pageEnd(t testing.TB, n int) []float32 {
	page := syscall.Getpagesize()
	size := (4*n+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[size-page-4*n])), n)
}

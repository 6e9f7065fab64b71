//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package main

// sysPeakRSS returns 0: the peak resident set size is not measured on this
// OS.
func sysPeakRSS() int64 { return 0 }

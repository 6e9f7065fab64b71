//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	goruntime "runtime"
	"syscall"
)

// sysPeakRSS returns the process's peak resident set size in bytes from
// getrusage's ru_maxrss (bytes on Darwin, KiB on the BSDs), or 0.
func sysPeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0
	}
	if goruntime.GOOS == "darwin" || goruntime.GOOS == "ios" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

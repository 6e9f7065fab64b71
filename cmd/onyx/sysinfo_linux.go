//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysPeakRSS returns the process's peak resident set size in bytes: VmHWM
// of /proc/self/status, else getrusage's ru_maxrss (KiB on Linux), else 0.
func sysPeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if v, ok := sysParseVmHWM(b); ok {
			return v
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil && ru.Maxrss > 0 {
		return int64(ru.Maxrss) * 1024
	}
	return 0
}

// sysParseVmHWM finds the "VmHWM:   1234 kB" line of a /proc/PID/status
// file and returns its value in bytes.
func sysParseVmHWM(status []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 || v > 1<<53 {
			return 0, false
		}
		return v * 1024, true
	}
	return 0, false
}

package main

import (
	"os"
	"regexp"
	goruntime "runtime"
	"testing"
)

func TestOnyxSysinfo(t *testing.T) {
	v := sysGOAMD64()
	if goruntime.GOARCH == "amd64" {
		if !regexp.MustCompile(`^v[1-4]$`).MatchString(v) {
			t.Errorf("GOAMD64 %q, want v1..v4", v)
		}
	} else if v != "" {
		t.Errorf("GOAMD64 %q off amd64", v)
	}
	if sysCPUName() == "" {
		t.Error("empty CPU name")
	}
	rss := sysPeakRSS()
	switch goruntime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		if rss <= 0 {
			t.Fatalf("peak RSS %d on %s", rss, goruntime.GOOS)
		}
		// Touch 64 MiB: the peak must cover it.
		buf := make([]byte, 64<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		// The peak never falls, but Linux reads it from per-CPU counters
		// (6.2+), each read off by up to a batch of pages per CPU (the
		// percpu_counter batch, max(32, 2*CPUs)): two reads may differ by
		// twice that (320 KiB seen on 2 CPUs).
		cpus := goruntime.NumCPU()
		slack := 2 * int64(cpus*max(32, 2*cpus)*os.Getpagesize())
		if after := sysPeakRSS(); after < 64<<20 || after < rss-slack {
			t.Errorf("peak RSS %d after touching 64 MiB (before %d, read slack %d)", after, rss, slack)
		}
		goruntime.KeepAlive(buf)
	default:
		if rss != 0 {
			t.Errorf("peak RSS %d where it is not measured", rss)
		}
	}
}

package main

import (
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
		if after := sysPeakRSS(); after < 64<<20 || after < rss {
			t.Errorf("peak RSS %d after touching 64 MiB (before %d)", after, rss)
		}
		goruntime.KeepAlive(buf)
	default:
		if rss != 0 {
			t.Errorf("peak RSS %d where it is not measured", rss)
		}
	}
}

//go:build linux

package main

import "testing"

func TestOnyxSysinfoVmHWM(t *testing.T) {
	status := "Name:\tonyx\nVmPeak:\t  900000 kB\nVmSize:\t  800000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n"
	if v, ok := sysParseVmHWM([]byte(status)); !ok || v != 123456*1024 {
		t.Errorf("VmHWM = %d, %v; want %d", v, ok, 123456*1024)
	}
	for _, bad := range []string{"", "VmRSS:\t1 kB\n", "VmHWM:\t12 MB\n", "VmHWM:\tx kB\n", "VmHWM:\t-5 kB\n", "VmHWM:\n", "VmHWM:\t99999999999999999999 kB\n"} {
		if v, ok := sysParseVmHWM([]byte(bad)); ok {
			t.Errorf("%q: parsed as %d", bad, v)
		}
	}
}

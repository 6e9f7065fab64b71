//go:build arm64 && !noasm

package arm64

import "testing"

// TestGemmFPCR: the kernels set FZ for themselves and restore the caller's
// FPCR. (Everything else about the kernels is tested by kern's tests,
// which run the neon ISA.)
func TestGemmFPCR(t *testing.T) {
	if !hasASIMD {
		t.Skip("no ASIMD")
	}
	before := gemmGetFPCR()
	a := []float32{1e-20, 1, 1, 1}
	b := []float32{1e-20, 1, 1, 1, 1, 1, 1, 1}
	c := make([]float32, 8)
	isaNEON.Sgemm(1, 8, 1, a, 1, false, b, 8, false, c, 8, nil)
	if after := gemmGetFPCR(); after != before {
		t.Fatalf("FPCR %#x after the kernel, %#x before", after, before)
	}
	if before&(1<<24) != 0 {
		t.Fatalf("FPCR.FZ set outside the kernels")
	}
	if c[0] != 0 {
		t.Logf("1e-20*1e-20 = %g: FZ not honoured (an emulator?)", c[0])
	}
	if c[1] != 1e-20 {
		t.Fatalf("C[0][1] = %g, want 1e-20", c[1])
	}
}

func TestCPUTier(t *testing.T) {
	if hasASIMD != (Tier() == "neon") && useNEON {
		t.Errorf("Tier() = %q with ASIMD %v", Tier(), hasASIMD)
	}
	if hasASIMD && len(Features()) == 0 {
		t.Error("Features: none with ASIMD")
	}
}

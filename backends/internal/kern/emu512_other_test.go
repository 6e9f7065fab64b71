//go:build !amd64

package kern

import "testing"

// emuImpl512 is the AVX-512 emulator's entry (emu512_amd64_test.go): off
// amd64 there is nothing to emulate.
func emuImpl512(t *testing.T) *ISA { return nil }

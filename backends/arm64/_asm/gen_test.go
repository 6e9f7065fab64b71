package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestGenEncodings assembles every WORD's instruction with llvm-mc and
// checks that gen encoded it the same way.
func TestGenEncodings(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not found")
	}
	re := regexp.MustCompile(`WORD \$0x([0-9a-f]{8})\s+// ([^;\n]+)`)
	seen := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(asmFile())+string(winAsmFile())+string(elemAsmFile())+string(convAsmFile())+string(winoAsmFile()), -1) {
		seen[strings.ToLower(strings.ReplaceAll(m[2], "4S", "4s"))] = m[1]
	}
	if len(seen) == 0 {
		t.Fatal("no WORD lines")
	}
	var src bytes.Buffer
	var order []string
	for ins := range seen {
		order = append(order, ins)
		fmt.Fprintln(&src, strings.ReplaceAll(ins, ".s[", ".s["))
	}
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+neon", "-show-encoding")
	cmd.Stdin = &src
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	enc := regexp.MustCompile(`encoding: \[0x(..),0x(..),0x(..),0x(..)\]`)
	got := enc.FindAllStringSubmatch(string(out), -1)
	if len(got) != len(order) {
		t.Fatalf("llvm-mc encoded %d instructions, want %d:\n%s", len(got), len(order), out)
	}
	for i, g := range got {
		w := g[4] + g[3] + g[2] + g[1]
		if w != seen[order[i]] {
			t.Errorf("%s: gen 0x%s, llvm-mc 0x%s", order[i], seen[order[i]], w)
		}
	}
}

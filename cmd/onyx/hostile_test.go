package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunHostileModels runs `onyx run --random` on each crafted model of
// testdata/hostile (made by runtime/hostile_test.go): each must fail with
// exit status 1 and a one-line error naming what is wrong, never a panic,
// a hang or an out-of-memory crash.
func TestRunHostileModels(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "hostile")
	f, err := os.Open(filepath.Join(dir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("cases.txt: bad line %q", line)
		}
		cases++
		t.Run(strings.TrimSuffix(file, ".onnx"), func(t *testing.T) {
			code, _, stderr := cliRun(t, "run", "--random", filepath.Join(dir, file))
			checkOneLineError(t, code, stderr, want)
			if !strings.HasPrefix(stderr, "onyx run: ") {
				t.Errorf("stderr %q does not start with the command", stderr)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 10 {
		t.Fatalf("cases.txt lists %d models", cases)
	}
}

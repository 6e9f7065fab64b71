package arm64

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildGoCmd returns a go command run in dir with the host's GOOS and
// GOARCH (the test binary may itself run under an emulator with GOARCH
// set), or skips the test without a go tool.
func buildGoCmd(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = dir
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOARCH=") && !strings.HasPrefix(e, "GOOS=") && !strings.HasPrefix(e, "GOFLAGS=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestBuildNoasmHasNoAssembly: with -tags noasm no package of the module
// has an assembly file in its build, on amd64 and on arm64.
func TestBuildNoasmHasNoAssembly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := buildGoCmd(t, "../..", []string{"GOOS=linux", "GOARCH=" + arch, "CGO_ENABLED=0"},
			"list", "-tags", "noasm", "-f", "{{.ImportPath}} {{.SFiles}}", "./...")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (%s): %v", arch, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) < 5 {
			t.Fatalf("go list (%s): only %d packages", arch, len(lines))
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, " []") {
				t.Errorf("GOARCH=%s -tags noasm: %s", arch, l)
			}
		}
	}
	// And without the tag, this package does have its assembly on arm64.
	cmd := buildGoCmd(t, ".", []string{"GOOS=linux", "GOARCH=arm64"}, "list", "-f", "{{.SFiles}}", ".")
	out, err := cmd.Output()
	if err != nil || !bytes.Contains(out, []byte("sgemm_kernels_arm64.s")) {
		t.Errorf("go list arm64: %q %v, want the NEON kernels", out, err)
	}
}

// TestGeneratedUpToDate re-runs _asm/gen.go and compares its output with
// the checked-in kernels: the drift check of the generated assembly.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	dir := t.TempDir()
	s, g := filepath.Join(dir, "k.s"), filepath.Join(dir, "k.go")
	ws, wg := filepath.Join(dir, "w.s"), filepath.Join(dir, "w.go")
	es, eg := filepath.Join(dir, "e.s"), filepath.Join(dir, "e.go")
	cs, cg := filepath.Join(dir, "c.s"), filepath.Join(dir, "c.go")
	ns, ng := filepath.Join(dir, "n.s"), filepath.Join(dir, "n.go")
	cmd := buildGoCmd(t, "_asm", nil, "run", ".", "-s", s, "-go", g, "-ws", ws, "-wgo", wg, "-es", es, "-ego", eg,
		"-cs", cs, "-cgo", cg, "-ns", ns, "-ngo", ng)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run _asm: %v\n%s", err, out)
	}
	for gen, have := range map[string]string{s: "sgemm_kernels_arm64.s", g: "sgemm_kernels_arm64.go",
		ws: "window_kernels_arm64.s", wg: "window_kernels_arm64.go",
		es: "elem_kernels_arm64.s", eg: "elem_kernels_arm64.go",
		cs: "conv_kernels_arm64.s", cg: "conv_kernels_arm64.go",
		ns: "conv_wino_arm64.s", ng: "conv_wino_arm64.go"} {
		a, err1 := os.ReadFile(gen)
		b, err2 := os.ReadFile(have)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from _asm/gen.go's output: run go generate in backends/arm64", have)
		}
	}
}

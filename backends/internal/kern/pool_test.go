package kern

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// poolFactory is poolNew and poolNewGlobalAvg as the harness calls
// factories.
func poolFactory(g *ISA, n *ops.Node) (ops.Kernel, error) {
	if n.OpType == "GlobalAveragePool" {
		return poolNewGlobalAvg(g, n)
	}
	return poolNew(g, n)
}

func poolCase(op string, opset int64, x *tensor.Tensor, attrs ...*ir.Attribute) convNodeCase {
	return convNodeCase{op: op, opset: opset, attrs: attrs, in: []*tensor.Tensor{x}}
}

// TestPoolAgainstGeneric runs MaxPool and AveragePool against the generic
// kernels over plane sizes around the vector width, windows, strides,
// paddings, ceil_mode and count_include_pad.
func TestPoolAgainstGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	pads := func(v ...int64) *ir.Attribute { return kerAttrInts("pads", v...) }
	strides := func(v ...int64) *ir.Attribute { return kerAttrInts("strides", v...) }
	ks := func(v ...int64) *ir.Attribute { return kerAttrInts("kernel_shape", v...) }
	for _, hw := range [][2]int{{1, 1}, {4, 7}, {8, 8}, {9, 9}, {5, 16}, {6, 17}, {13, 13}, {3, 24}, {2, 33}, {11, 55}} {
		for _, k := range [][2]int64{{3, 3}, {2, 2}, {1, 1}, {5, 5}, {3, 2}} {
			for _, s := range []int64{1, 2} {
				for _, p := range [][4]int64{{0, 0, 0, 0}, {k[0] / 2, k[1] / 2, k[0] / 2, k[1] / 2}, {0, 1, 1, 0}} {
					if p[1] >= k[1] || p[3] >= k[1] || p[0] >= k[0] || p[2] >= k[0] {
						continue
					}
					if int64(hw[0])+p[0]+p[2] < k[0] || int64(hw[1])+p[1]+p[3] < k[1] {
						continue
					}
					x := kerRand(r, 1, 2, hw[0], hw[1])
					attrs := []*ir.Attribute{ks(k[:]...), strides(s, s), pads(p[:]...)}
					convCheck(t, poolCase("MaxPool", 12, x, attrs...), poolFactory, false)
					convCheck(t, poolCase("AveragePool", 11, x, attrs...), poolFactory, false)
					convCheck(t, poolCase("AveragePool", 11, x, append(attrs, kerAttrInt("count_include_pad", 1))...), poolFactory, false)
					ceil := append(attrs, kerAttrInt("ceil_mode", 1))
					convCheck(t, poolCase("MaxPool", 12, x, ceil...), poolFactory, false)
					convCheck(t, poolCase("AveragePool", 11, x, append(ceil, kerAttrInt("count_include_pad", 1))...), poolFactory, false)
				}
			}
		}
	}
	// Automatic padding, batches, the models' pools.
	for _, ap := range []string{"SAME_UPPER", "SAME_LOWER", "VALID"} {
		x := kerRand(r, 2, 3, 10, 19)
		convCheck(t, poolCase("MaxPool", 12, x, ks(3, 3), strides(2, 2), kerAttrString("auto_pad", ap)), poolFactory, false)
		convCheck(t, poolCase("AveragePool", 11, x, ks(3, 3), kerAttrString("auto_pad", ap)), poolFactory, false)
	}
	convCheck(t, poolCase("MaxPool", 12, kerRand(r, 1, 8, 112, 112), ks(3, 3), strides(2, 2), pads(1, 1, 1, 1)), poolFactory, false)
	convCheck(t, poolCase("MaxPool", 12, kerRand(r, 1, 8, 111, 111), ks(3, 3), strides(2, 2), kerAttrInt("ceil_mode", 1)), poolFactory, false)
	// Older opsets.
	convCheck(t, poolCase("MaxPool", 8, kerRand(r, 1, 3, 9, 9), ks(2, 2), strides(2, 2)), poolFactory, false)
	convCheck(t, poolCase("AveragePool", 7, kerRand(r, 1, 3, 9, 9), ks(2, 2), strides(2, 2)), poolFactory, false)
}

// TestPoolMaxSpecialValues checks that a NaN wins a window and that
// infinities are kept, in the border and the fast columns alike.
func TestPoolMaxSpecialValues(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, s := range []int64{1, 2} {
		x := kerRand(r, 1, 2, 9, 40)
		xd := tensor.Data[float32](x)
		nan, inf := float32(math.NaN()), float32(math.Inf(1))
		xd[0], xd[17], xd[9*40+20], xd[9*40+39], xd[50] = nan, nan, nan, inf, -inf
		for i := 9 * 40; i < 9*40+9; i++ {
			xd[i] = -inf
		}
		convCheck(t, poolCase("MaxPool", 12, x, kerAttrInts("kernel_shape", 3, 3), kerAttrInts("strides", s, s),
			kerAttrInts("pads", 1, 1, 1, 1)), poolFactory, false)
	}
}

func TestPoolDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	x := kerRand(r, 1, 2, 9, 9)
	ks := kerAttrInts("kernel_shape", 3, 3)
	convCheck(t, poolCase("MaxPool", 12, x, ks, kerAttrInts("dilations", 2, 2)), poolFactory, true)
	convCheck(t, poolCase("MaxPool", 12, x, ks, kerAttrInts("strides", 3, 3)), poolFactory, true)
	convCheck(t, poolCase("AveragePool", 11, x, ks, kerAttrInts("strides", 1, 2)), poolFactory, true)
	convCheck(t, poolCase("MaxPool", 12, kerRand(r, 1, 2, 9), kerAttrInts("kernel_shape", 3)), poolFactory, true)
	convCheck(t, poolCase("MaxPool", 12, kerRand(r, 1, 2, 5, 5, 5), kerAttrInts("kernel_shape", 3, 3, 3)), poolFactory, true)
	convCheck(t, poolCase("MaxPool", 12, tensor.Must(tensor.FromSlice(make([]float64, 81), 1, 1, 9, 9)), ks), poolFactory, true)
	// The Indices output.
	c := poolCase("MaxPool", 12, x, ks)
	n, err := c.build(false)
	if err != nil {
		t.Fatal(err)
	}
	n.Outputs = []string{"y", "i"}
	if k, _ := poolFactory(nil, n); k != nil {
		t.Errorf("MaxPool with Indices: accepted")
	}
}

func TestPoolGlobalAverage(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	for _, s := range [][]int{{2, 3, 7, 7}, {1, 5, 1, 1}, {1, 2, 13}, {2, 4, 3, 5, 2}, {1, 3, 0, 4}, {1, 2, 40, 41}, {1, 1, 5, 7}, {3, 2}} {
		convCheck(t, poolCase("GlobalAveragePool", 1, kerRand(r, s...)), poolFactory, false)
	}
	convCheck(t, poolCase("GlobalAveragePool", 1, tensor.Must(tensor.FromSlice(make([]float64, 4), 1, 1, 2, 2))), poolFactory, true)
}

// TestPoolNoAllocs checks that a Run allocates nothing.
func TestPoolNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(69, 70))
	for _, c := range []convNodeCase{
		poolCase("MaxPool", 12, kerRand(r, 1, 4, 20, 20), kerAttrInts("kernel_shape", 3, 3), kerAttrInts("strides", 2, 2)),
		poolCase("AveragePool", 11, kerRand(r, 1, 4, 20, 20), kerAttrInts("kernel_shape", 3, 3), kerAttrInts("pads", 1, 1, 1, 1)),
		poolCase("GlobalAveragePool", 1, kerRand(r, 1, 4, 20, 20)),
	} {
		for _, g := range testISAs(t) {
			n, err := c.build(true)
			if err != nil {
				t.Fatal(err)
			}
			k, _ := poolFactory(g, n)
			dims, _ := n.Out[0].ConcreteShape()
			out := []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, dims...))}
			ec := &ops.ExecContext{Ctx: context.Background(), Threads: 1}
			if a := kerAllocsPerRun(t, k, ec, c.in, out); a != 0 {
				t.Errorf("%s %s: %v allocations per Run", g.Name, c, a)
			}
		}
	}
}

// TestWinRegistered checks that the registry offers this package's conv and
// pool kernels first, by tier, and generic when only generic is allowed.
func TestWinRegistered(t *testing.T) {
	if len(opsTiers) == 0 {
		t.Skip("no tier in use")
	}
	tier := opsTiers[0]
	r := rand.New(rand.NewPCG(71, 72))
	x := kerRand(r, 1, 4, 9, 9)
	pads := kerAttrInts("pads", 1, 1, 1, 1)
	for _, c := range []convNodeCase{
		convMake(x, kerRand(r, 5, 4, 3, 3), nil, nil, "", nil, pads),
		convMake(x, kerRand(r, 5, 4, 3, 3), kerRand(r, 5), kerRand(r, 1, 5, 9, 9), "Relu", nil, pads),
		convMake(x, kerRand(r, 4, 1, 3, 3), kerRand(r, 4), nil, "Clip", []float32{0, 6}, pads, kerAttrInt("group", 4)),
		poolCase("MaxPool", 12, x, kerAttrInts("kernel_shape", 3, 3)),
		poolCase("AveragePool", 11, x, kerAttrInts("kernel_shape", 3, 3)),
		poolCase("GlobalAveragePool", 1, x),
	} {
		n, err := c.build(false)
		if err != nil {
			t.Fatal(err)
		}
		_, backend, err := ops.SelectKernel(n, nil)
		if err != nil || backend != tier {
			t.Errorf("%s: backend %q (%v), want %q", c, backend, err, tier)
		}
		if len(opsTiers) > 1 {
			_, backend, _ = ops.SelectKernel(n, func(b string) bool { return b != tier })
			if backend != opsTiers[1] {
				t.Errorf("%s without %s: backend %q, want %s", c, tier, backend, opsTiers[1])
			}
		}
		_, backend, _ = ops.SelectKernel(n, func(b string) bool { return b == "generic" })
		if backend != "generic" {
			t.Errorf("%s with generic only: backend %q", c, backend)
		}
	}
}

// TestWinOnyxCPUGeneric checks, in a child process, that ONYX_CPU=generic
// keeps this package from registering any conv or pool kernel.
func TestWinOnyxCPUGeneric(t *testing.T) {
	if os.Getenv("ONYX_WIN_CHILD") == "1" {
		for _, op := range [][2]string{{"", "Conv"}, {ops.OnyxDomain, "FusedConv"}, {"", "MaxPool"}, {"", "AveragePool"}, {"", "GlobalAveragePool"}} {
			for _, d := range ops.KernelDefs(op[0], op[1]) {
				if d.Backend != "generic" {
					t.Errorf("ONYX_CPU=generic: %s has a %s kernel", op[1], d.Backend)
				}
			}
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestWinOnyxCPUGeneric$")
	cmd.Env = append(os.Environ(), "ONYX_CPU=generic", "ONYX_WIN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		t.Skipf("cannot run the test binary again (under an emulator?): %v", err)
	}
	if err != nil {
		t.Errorf("child: %v\n%s", err, out)
	}
}

//go:build arm64 && !noasm

package arm64

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	_ "github.com/onyxml/onyx/backends/generic"
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// gemmSetDuringTest sets *flag to v for the duration of the test.
func gemmSetDuringTest(t testing.TB, flag *bool, v bool) {
	old := *flag
	*flag = v
	t.Cleanup(func() { *flag = old })
}

// gemmTestImpls returns the implementations this machine can run, best
// first, with the tier flag set so that each may run (whatever ONYX_CPU
// says).
func gemmTestImpls(t testing.TB) []*gemmImpl {
	if !hasASIMD {
		return []*gemmImpl{gemmGo}
	}
	gemmSetDuringTest(t, &useNEON, true)
	return []*gemmImpl{gemmNEON, gemmGo}
}

func TestGemmArgsLayout(t *testing.T) {
	var a gemmArgs
	offs := map[string]uintptr{
		"a": unsafe.Offsetof(a.a), "b": unsafe.Offsetof(a.b), "c": unsafe.Offsetof(a.c),
		"k": unsafe.Offsetof(a.k), "n": unsafe.Offsetof(a.n), "bPanel": unsafe.Offsetof(a.bPanel),
		"bRow": unsafe.Offsetof(a.bRow), "ldc": unsafe.Offsetof(a.ldc), "flags": unsafe.Offsetof(a.flags),
		"rowBias": unsafe.Offsetof(a.rowBias), "colBias": unsafe.Offsetof(a.colBias), "res": unsafe.Offsetof(a.res),
		"ldRes": unsafe.Offsetof(a.ldRes), "alpha": unsafe.Offsetof(a.alpha),
		"beta": unsafe.Offsetof(a.beta), "lo": unsafe.Offsetof(a.lo), "hi": unsafe.Offsetof(a.hi),
	}
	// The offsets _asm/gen.go writes into the assembly; alpha..hi are read
	// as one vector.
	want := map[string]uintptr{"a": 0, "b": 8, "c": 16, "k": 24, "n": 32, "bPanel": 40, "bRow": 48,
		"ldc": 56, "flags": 64, "rowBias": 72, "colBias": 80, "res": 88, "ldRes": 96,
		"alpha": 104, "beta": 108, "lo": 112, "hi": 116}
	for name, off := range want {
		if offs[name] != off {
			t.Errorf("gemmArgs.%s at offset %d, the assembly reads %d", name, offs[name], off)
		}
	}
}

func gemmRandSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// gemmGuarded returns a slice of n values inside NaN guards of g values on
// each side, and the whole buffer.
func gemmGuarded(n, g int) (inner, all []float32) {
	all = make([]float32, n+2*g)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	return all[g : g+n : g+n], all
}

// gemmGenericGemm runs the generic backend's Gemm (opset 13) on row-major
// A (m x k) and B (k x n): the reference of the size sweep.
func gemmGenericGemm(t *testing.T, m, n, k int, a, b []float32) []float32 {
	t.Helper()
	ta := tensor.Must(tensor.FromSlice(a, m, k))
	tb := tensor.Must(tensor.FromSlice(b, k, n))
	node := &ir.Node{OpType: "Gemm", Inputs: []string{"a", "b"}, Outputs: []string{"y"}}
	out, err := ops.Eval(context.Background(), node, 13, []*tensor.Tensor{ta, tb}, func(b string) bool { return b == "generic" })
	if err != nil {
		t.Fatal(err)
	}
	return tensor.Data[float32](out[0])
}

// gemmAbsDot returns sum over p of |A[i][p]*B[p][j]|, the scale of the
// relative error.
func gemmAbsDot(a, b []float32, i, j, n, k int) float64 {
	var s float64
	for p := range k {
		s += math.Abs(float64(a[i*k+p]) * float64(b[p*n+j]))
	}
	return s
}

// gemmCheckSweep runs m x n x k on g with C inside NaN guards and a row
// stride of n+3 (the gaps must stay NaN), and compares with the generic
// Gemm: relative error <= 1e-5 of sum |a*b|.
func gemmCheckSweep(t *testing.T, g *gemmImpl, r *rand.Rand, m, n, k int) {
	t.Helper()
	a, b := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
	want := gemmGenericGemm(t, m, n, k, a, b)
	const guard = 19
	ldc := n + 3
	c, all := gemmGuarded((m-1)*ldc+n, guard)
	g.run(m, n, k, gemmOpA{a: a, lda: k}, gemmOpB{b: b, ldb: n}, c, ldc, nil)
	for i, v := range all {
		p := i - guard
		inC := p >= 0 && p < len(c) && p%ldc < n
		if !inC && !math.IsNaN(float64(v)) {
			t.Fatalf("%s %dx%dx%d: wrote %g outside C at offset %d", g.name, m, n, k, v, p)
		}
	}
	for i := range m {
		for j := range n {
			got, w := float64(c[i*ldc+j]), float64(want[i*n+j])
			if d := math.Abs(got - w); !(d <= 1e-5*gemmAbsDot(a, b, i, j, n, k)+1e-30) {
				t.Fatalf("%s %dx%dx%d: C[%d][%d] = %g, generic %g", g.name, m, n, k, i, j, got, w)
			}
		}
	}
}

// TestGemmSizesNEON: every m and n in 1..67 with a few k, and every k in
// 1..67 with a few m and n, against the generic Gemm.
func TestGemmSizesNEON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	g := gemmTestImpls(t)[0]
	ks := []int{1, 9, 67}
	if testing.Short() {
		ks = []int{9}
	}
	for _, k := range ks {
		for m := 1; m <= 67; m++ {
			for n := 1; n <= 67; n++ {
				gemmCheckSweep(t, g, r, m, n, k)
			}
		}
	}
	for k := 1; k <= 67; k++ {
		for _, m := range []int{1, 7, 8, 9, 17, 67} {
			for _, n := range []int{1, 7, 8, 9, 16, 67} {
				gemmCheckSweep(t, g, r, m, n, k)
			}
		}
	}
}

// gemmCase is one Sgemm problem with its epilogue.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	ep             Epilogue
}

func (c gemmCase) String() string {
	s := fmt.Sprintf("%dx%dx%d", c.m, c.n, c.k)
	if c.transA {
		s += "/tA"
	}
	if c.transB {
		s += "/tB"
	}
	e := c.ep
	s += fmt.Sprintf("/alpha=%g/beta=%g", e.Alpha, e.Beta)
	if e.RowBias != nil {
		s += "/rowbias"
	}
	if e.ColBias != nil {
		s += "/colbias"
	}
	if e.Residual != nil {
		s += "/res"
	}
	return s + fmt.Sprintf("/act=%d", e.Act)
}

// gemmRef computes the case in float64 from the definitions: the expected
// C and, per element, a bound on the magnitude of the terms.
func gemmRef(c gemmCase, a []float32, lda int, b []float32, ldb int, c0 []float32, ldc int) (want, scale []float64) {
	want = make([]float64, c.m*c.n)
	scale = make([]float64, c.m*c.n)
	e := c.ep
	for i := range c.m {
		for j := range c.n {
			var s, abs float64
			for p := range c.k {
				var av, bv float32
				if c.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if c.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			v := float64(e.Alpha) * s
			abs *= math.Abs(float64(e.Alpha))
			add := func(x float64) { v += x; abs += math.Abs(x) }
			if e.Beta != 0 {
				add(float64(e.Beta) * float64(c0[i*ldc+j]))
			}
			if e.RowBias != nil {
				add(float64(e.RowBias[i]))
			}
			if e.ColBias != nil {
				add(float64(e.ColBias[j]))
			}
			if e.Residual != nil {
				add(float64(e.Residual[i*e.LdResidual+j]))
			}
			switch e.Act {
			case ActRelu:
				v = max(v, 0)
			case ActClip:
				v = min(max(v, float64(e.Min)), float64(e.Max))
			case ActLeakyRelu:
				if v < 0 {
					v *= float64(e.ActAlpha)
				}
			case ActSigmoid:
				v = 1 / (1 + math.Exp(-v))
				abs = 1
			case ActHardSwish:
				v = v * max(0, min(1, v/6+0.5))
				abs *= 2
			}
			want[i*c.n+j], scale[i*c.n+j] = v, abs
		}
	}
	return want, scale
}

// gemmRunCase runs c on g through Sgemm's three entry points (both
// operands per call, B packed, A packed) and checks each result.
func gemmRunCase(t *testing.T, g *gemmImpl, r *rand.Rand, c gemmCase) {
	t.Helper()
	lda, ldb := c.k+1, c.n+2
	arows, brows := c.m, c.k
	if c.transA {
		lda, arows = c.m+1, c.k
	}
	if c.transB {
		ldb, brows = c.k+2, c.n
	}
	a := gemmRandSlice(r, max(arows*lda, 1))
	b := gemmRandSlice(r, max(brows*ldb, 1))
	ldc := c.n + 1
	c0 := gemmRandSlice(r, max(c.m*ldc, 1))
	want, scale := gemmRef(c, a, lda, b, ldb, c0, ldc)
	for _, entry := range []string{"sgemm", "packedB", "packedA"} {
		const guard = 13
		cc, all := gemmGuarded(max(c.m*ldc, 1), guard)
		copy(cc, c0)
		ep := c.ep
		switch entry {
		case "sgemm":
			g.run(c.m, c.n, c.k, gemmOpA{a: a, lda: lda, trans: c.transA}, gemmOpB{b: b, ldb: ldb, trans: c.transB}, cc, ldc, &ep)
		case "packedB":
			g.run(c.m, c.n, c.k, gemmOpA{a: a, lda: lda, trans: c.transA}, gemmOpB{packed: g.packB(c.k, c.n, b, ldb, c.transB)}, cc, ldc, &ep)
		case "packedA":
			g.run(c.m, c.n, c.k, gemmOpA{packed: g.packA(c.m, c.k, a, lda, c.transA)}, gemmOpB{b: b, ldb: ldb, trans: c.transB}, cc, ldc, &ep)
		}
		for i := range guard {
			if !math.IsNaN(float64(all[i])) || !math.IsNaN(float64(all[len(all)-1-i])) {
				t.Fatalf("%s %s %s: wrote into a guard", g.name, entry, c)
			}
		}
		for i := range c.m {
			if c.n < ldc && cc[i*ldc+c.n] != c0[i*ldc+c.n] {
				t.Fatalf("%s %s %s: wrote past row %d", g.name, entry, c, i)
			}
			for j := range c.n {
				got, w := float64(cc[i*ldc+j]), want[i*c.n+j]
				if d := math.Abs(got - w); !(d <= 1e-5*(scale[i*c.n+j]+1e-6)) {
					t.Fatalf("%s %s %s: C[%d][%d] = %g, want %g", g.name, entry, c, i, j, got, w)
				}
			}
		}
	}
}

// TestGemmEpilogues runs every epilogue, transposition and blocking
// boundary on every implementation.
func TestGemmEpilogues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := [][3]int{{1, 1, 1}, {8, 8, 8}, {9, 17, 5}, {7, 15, 0}, {13, 37, 300}, {130, 9, 3}, {3, 530, 7}}
	for _, g := range gemmTestImpls(t) {
		for _, s := range sizes {
			m, n, k := s[0], s[1], s[2]
			eps := []Epilogue{
				{Alpha: 1},
				{Alpha: -0.5, Beta: 1.5},
				{Alpha: 1, RowBias: gemmRandSlice(r, m)},
				{Alpha: 2, ColBias: gemmRandSlice(r, n)},
				{Alpha: 1, Residual: gemmRandSlice(r, m*(n+5)), LdResidual: n + 5},
				{Alpha: 1, Beta: 0.25, RowBias: gemmRandSlice(r, m), ColBias: gemmRandSlice(r, n),
					Residual: gemmRandSlice(r, m*n), LdResidual: n, Act: ActRelu},
				{Alpha: 1, ColBias: gemmRandSlice(r, n), Act: ActClip, Min: -0.2, Max: 0.3},
				{Alpha: 1, RowBias: gemmRandSlice(r, m), Act: ActLeakyRelu, ActAlpha: 0.1},
				{Alpha: 1, Act: ActSigmoid},
				{Alpha: 3, Residual: gemmRandSlice(r, m*n), LdResidual: n, Act: ActHardSwish},
			}
			for _, ep := range eps {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					gemmRunCase(t, g, r, gemmCase{m: m, n: n, k: k, transA: tr[0], transB: tr[1], ep: ep})
				}
			}
		}
	}
}

// TestGemmNaNNEON: NaN in A reaches C through every epilogue, including
// the clamp of Relu (which must not turn it into 0).
func TestGemmNaNNEON(t *testing.T) {
	for _, g := range gemmTestImpls(t) {
		for _, act := range []Activation{ActNone, ActRelu, ActClip} {
			m, n, k := 3, 11, 4
			a := make([]float32, m*k)
			a[k+2] = float32(math.NaN()) // row 1
			b := make([]float32, k*n)
			c := make([]float32, m*n)
			g.run(m, n, k, gemmOpA{a: a, lda: k}, gemmOpB{b: b, ldb: n}, c, n, &Epilogue{Alpha: 1, Act: act, Min: -1, Max: 1})
			for i := range m {
				for j := range n {
					if isNaN := math.IsNaN(float64(c[i*n+j])); isNaN != (i == 1) {
						t.Fatalf("%s act %d: C[%d][%d] = %g", g.name, act, i, j, c[i*n+j])
					}
				}
			}
		}
	}
}

// TestGemmFPCRNEON: the kernels set FZ for themselves and restore the
// caller's FPCR.
func TestGemmFPCRNEON(t *testing.T) {
	if !hasASIMD {
		t.Skip("no ASIMD")
	}
	gemmTestImpls(t)
	before := gemmGetFPCR()
	a := []float32{1e-20, 1, 1, 1}
	b := []float32{1e-20, 1, 1, 1, 1, 1, 1, 1}
	c := make([]float32, 8)
	gemmNEON.run(1, 8, 1, gemmOpA{a: a, lda: 1}, gemmOpB{b: b, ldb: 8}, c, 8, nil)
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

// TestGemmPublicNEON runs the exported entry points once each.
func TestGemmPublicNEON(t *testing.T) {
	gemmTestImpls(t)
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 10, 13, 21
	a, b := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
	want := gemmGenericGemm(t, m, n, k, a, b)
	check := func(what string, c []float32) {
		for i := range c {
			if d := math.Abs(float64(c[i] - want[i])); d > 1e-5*float64(k) {
				t.Fatalf("%s: C[%d] = %g, want %g", what, i, c[i], want[i])
			}
		}
	}
	c := make([]float32, m*n)
	Sgemm(m, n, k, a, k, false, b, n, false, c, n, nil)
	check("Sgemm", c)
	pb := PackB(k, n, b, n, false)
	if kk, nn := pb.Dims(); kk != k || nn != n || pb.Tier() != gemmBest().name {
		t.Fatalf("PackB: %dx%d %s", kk, nn, pb.Tier())
	}
	clear(c)
	SgemmPackedB(m, a, k, false, pb, c, n, nil)
	check("SgemmPackedB", c)
	pa := PackA(m, k, a, k, false)
	clear(c)
	SgemmPackedA(pa, n, b, n, false, c, n, nil)
	check("SgemmPackedA", c)
	if gemmByTier("neon") != gemmNEON || gemmByTier("go") != gemmGo || gemmByTier("avx2") != nil {
		t.Fatal("gemmByTier")
	}
}

func TestCPUAllowsNEON(t *testing.T) {
	for _, c := range []struct {
		env  string
		want bool
	}{{"", true}, {"neon", true}, {"generic", false}, {" generic , neon ", true}, {"avx2", false}} {
		t.Setenv("ONYX_CPU", c.env)
		if got := cpuAllows("neon"); got != c.want {
			t.Errorf("ONYX_CPU=%q: cpuAllows(neon) = %v", c.env, got)
		}
	}
	if hasASIMD != (Tier() == "neon") && useNEON {
		t.Errorf("Tier() = %q with ASIMD %v", Tier(), hasASIMD)
	}
	if hasASIMD && len(Features()) == 0 {
		t.Error("Features: none with ASIMD")
	}
}

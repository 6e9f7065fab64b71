package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// testISAs returns the ISAs to test: every registered one (the tiers of
// the architecture packages this CPU runs, registered because
// arch_test.go imports them), then Go, and goNEONLike.
func testISAs(t testing.TB) []*ISA { return append(ISAs(), Go, goNEONLike) }

// goNEONLike is Go's routines with the neon tier's shape: an 8x8 tile
// whose kernel takes whole panels only (the drivers' tail strips), window
// routines on padded planes only and Winograd tiles in their natural lane
// order, so that every machine tests those paths of the drivers.
var goNEONLike = func() *ISA {
	g := &ISA{Name: "go-neonlike", MR: 8, NR: 8, KC: 256, MC: 128, NC: 512, Ready: func() bool { return true },
		Gemm: make([]func(*GemmArgs), 9), PaddedWindows: true, WinoLanes: [8]int{0, 1, 2, 3, 4, 5, 6, 7}}
	for r := 1; r <= 8; r++ {
		g.Gemm[r] = func(a *GemmArgs) {
			if a.n%8 != 0 {
				panic("go-neonlike: a column tail reached the kernel")
			}
			gemmKernelGo(8, 8, r, a)
		}
	}
	g.fill()
	return g
}()

func TestGemmArgsLayout(t *testing.T) {
	var a GemmArgs
	offs := map[string]uintptr{
		"a": unsafe.Offsetof(a.a), "b": unsafe.Offsetof(a.b), "c": unsafe.Offsetof(a.c),
		"k": unsafe.Offsetof(a.k), "n": unsafe.Offsetof(a.n), "bPanel": unsafe.Offsetof(a.bPanel),
		"bRow": unsafe.Offsetof(a.bRow), "ldc": unsafe.Offsetof(a.ldc), "flags": unsafe.Offsetof(a.flags),
		"rowBias": unsafe.Offsetof(a.rowBias), "colBias": unsafe.Offsetof(a.colBias), "res": unsafe.Offsetof(a.res),
		"ldRes": unsafe.Offsetof(a.ldRes), "mask": unsafe.Offsetof(a.mask), "alpha": unsafe.Offsetof(a.alpha),
		"beta": unsafe.Offsetof(a.beta), "lo": unsafe.Offsetof(a.lo), "hi": unsafe.Offsetof(a.hi),
	}
	// The offsets _asm/gen.go writes into the assembly.
	want := map[string]uintptr{"a": 0, "b": 8, "c": 16, "k": 24, "n": 32, "bPanel": 40, "bRow": 48,
		"ldc": 56, "flags": 64, "rowBias": 72, "colBias": 80, "res": 88, "ldRes": 96, "mask": 104,
		"alpha": 112, "beta": 116, "lo": 120, "hi": 124}
	for name, off := range want {
		if offs[name] != off {
			t.Errorf("GemmArgs.%s at offset %d, the assembly reads %d", name, offs[name], off)
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
	if e.Alpha != 1 {
		s += fmt.Sprintf("/alpha=%g", e.Alpha)
	}
	if e.Beta != 0 {
		s += fmt.Sprintf("/beta=%g", e.Beta)
	}
	if e.RowBias != nil {
		s += "/rowbias"
	}
	if e.ColBias != nil {
		s += "/colbias"
	}
	if e.Residual != nil {
		s += "/res"
	}
	if e.Act != ActNone {
		s += fmt.Sprintf("/act%d", e.Act)
	}
	return s
}

// gemmRandSlice returns n values in [-1, 1).
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

// gemmGuardWritten returns the offset from the inner slice of the first
// value of a gemmGuarded buffer's guards (g values on each side) that is
// no longer NaN, and whether there is one.
func gemmGuardWritten(all []float32, g int) (int, bool) {
	for i, v := range all {
		if (i < g || i >= len(all)-g) && !math.IsNaN(float64(v)) {
			return i - g, true
		}
	}
	return 0, false
}

// gemmRef computes the case in float64 from the definitions: the expected
// C and, per element, a bound on the magnitude of the terms (for the
// tolerance).
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
				// The output is rounded to float32 whatever the input
				// error: allow for that rounding too.
				v = 1 / (1 + math.Exp(-v))
				abs = max(abs, v)
			case ActHardSwish:
				v *= max(0, min(1, v/6+0.5))
			}
			want[i*c.n+j], scale[i*c.n+j] = v, abs+1e-30
		}
	}
	return want, scale
}

// gemmRun runs the case on g in every form (raw, packed B, packed A) and
// checks the results and the guards.
func gemmRun(t *testing.T, r *rand.Rand, g *ISA, c gemmCase) {
	t.Helper()
	lda, ldb := c.k+1, c.n+2
	arows, brows := c.m, c.k
	if c.transA {
		lda, arows = c.m+3, c.k
	}
	if c.transB {
		ldb, brows = c.k+2, c.n
	}
	a := gemmRandSlice(r, max(arows*lda, 1))
	b := gemmRandSlice(r, max(brows*ldb, 1))
	ldc := c.n + 5
	c0 := gemmRandSlice(r, c.m*ldc)
	ep := c.ep
	if ep.RowBias != nil {
		ep.RowBias = gemmRandSlice(r, c.m)
	}
	if ep.ColBias != nil {
		ep.ColBias = gemmRandSlice(r, c.n)
	}
	if ep.Residual != nil {
		ep.LdResidual = c.n + 1
		ep.Residual = gemmRandSlice(r, c.m*ep.LdResidual)
	}
	cs := c
	cs.ep = ep
	want, scale := gemmRef(cs, a, lda, b, ldb, c0, ldc)
	tol := 1e-5 * max(1, float64(c.k)/128)

	for form := range 3 {
		const guard = 37
		out, all := gemmGuarded(c.m*ldc, guard)
		for i := range c.m {
			copy(out[i*ldc:i*ldc+c.n], c0[i*ldc:])
		}
		switch form {
		case 0:
			g.run(c.m, c.n, c.k, gemmOpA{a: a, lda: lda, trans: c.transA}, gemmOpB{b: b, ldb: ldb, trans: c.transB}, out, ldc, &ep)
		case 1:
			pb := g.PackB(c.k, c.n, b, ldb, c.transB)
			g.run(c.m, c.n, c.k, gemmOpA{a: a, lda: lda, trans: c.transA}, gemmOpB{packed: pb}, out, ldc, &ep)
		case 2:
			pa := g.PackA(c.m, c.k, a, lda, c.transA)
			g.run(c.m, c.n, c.k, gemmOpA{packed: pa}, gemmOpB{b: b, ldb: ldb, trans: c.transB}, out, ldc, &ep)
		}
		bad := 0
		for idx, v := range all {
			pos := idx - guard
			i, j := pos/ldc, pos%ldc
			if pos < 0 || pos >= c.m*ldc || j >= c.n {
				if !math.IsNaN(float64(v)) {
					t.Errorf("%s on %s form %d: wrote %g outside C at offset %d", c, g.Name, form, v, pos)
					return
				}
				continue
			}
			w, s := want[i*c.n+j], scale[i*c.n+j]
			if d := math.Abs(float64(v) - w); !(d <= tol*s) {
				if bad++; bad <= 3 {
					t.Errorf("%s on %s form %d: C[%d][%d] = %g, want %g (scale %g)", c, g.Name, form, i, j, v, w, s)
				}
			}
		}
		if bad > 0 {
			return
		}
	}
}

func TestGemmSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range testISAs(t) {
		t.Run(g.Name, func(t *testing.T) {
			plain := Epilogue{Alpha: 1}
			// Every M, N and K around the tiles and unrolls, the others varied.
			for d := 1; d <= 67; d++ {
				o1, o2 := 1+r.IntN(40), r.IntN(40)
				gemmRun(t, r, g, gemmCase{m: d, n: o1, k: o2, ep: plain})
				gemmRun(t, r, g, gemmCase{m: o1, n: d, k: o2, ep: plain})
				gemmRun(t, r, g, gemmCase{m: o1, n: 1 + o2, k: d - 1, ep: plain})
			}
			// Tile edges: every row count and column tail against small k.
			for m := 1; m <= 2*g.MR+1; m++ {
				for n := 1; n <= 2*g.NR+1; n++ {
					gemmRun(t, r, g, gemmCase{m: m, n: n, k: 1 + (m+n)%6, ep: plain})
				}
			}
			// Cache blocks: across kc, mc and nc.
			for _, c := range [][3]int{
				{g.MC + 5, g.NC + 3, g.KC + 7}, {g.MC, g.NC, g.KC}, {2*g.MC + 1, 17, 2*g.KC + 1}, {1, g.NC + g.NR + 1, 3},
			} {
				gemmRun(t, r, g, gemmCase{m: c[0], n: c[1], k: c[2], ep: plain})
			}
		})
	}
}

func TestGemmTransposes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range testISAs(t) {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, s := range [][3]int{{1, 1, 1}, {13, 33, 9}, {7, 17, 300}, {25, 65, 4}} {
					gemmRun(t, r, g, gemmCase{m: s[0], n: s[1], k: s[2], transA: ta, transB: tb, ep: Epilogue{Alpha: 1}})
				}
			}
		}
	}
}

func TestGemmEpilogues(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	some := []float32{1}
	eps := []Epilogue{
		{Alpha: 1},
		{Alpha: -2.5},
		{Alpha: 0.5, Beta: 1},
		{Alpha: 1, Beta: -0.75},
		{Alpha: 1, RowBias: some},
		{Alpha: 1, ColBias: some},
		{Alpha: 1, RowBias: some, ColBias: some, Beta: 2},
		{Alpha: 1, Residual: some},
		{Alpha: 1, Act: ActRelu},
		{Alpha: 1, Act: ActClip, Min: -0.25, Max: 0.5},
		{Alpha: 1, Act: ActLeakyRelu, ActAlpha: 0.1},
		{Alpha: 1, Act: ActSigmoid},
		{Alpha: 1, Act: ActHardSwish},
		{Alpha: 1.5, Beta: 0.5, RowBias: some, ColBias: some, Residual: some, Act: ActClip, Min: 0, Max: 6},
		{Alpha: 1, ColBias: some, Residual: some, Act: ActRelu},
	}
	for _, g := range testISAs(t) {
		for _, ep := range eps {
			for _, s := range [][3]int{{1, 1, 0}, {5, 7, 1}, {g.MR, g.NR, 8}, {g.MR + 1, g.NR + 1, 5}, {2*g.MR - 1, 3*g.NR - 1, 33}, {20, 40, 2*g.KC + 3}} {
				gemmRun(t, r, g, gemmCase{m: s[0], n: s[1], k: s[2], ep: ep})
			}
		}
	}
}

// TestGemmNaN checks that NaN and Inf propagate as in the definition, and
// that beta = 0 does not read C.
func TestGemmNaN(t *testing.T) {
	for _, g := range testISAs(t) {
		const m, n, k = 3, 20, 5
		a := make([]float32, m*k)
		b := make([]float32, k*n)
		for i := range a {
			a[i] = 1
		}
		for i := range b {
			b[i] = 1
		}
		b[2*n+3] = float32(math.NaN()) // column 3
		b[1*n+4] = float32(math.Inf(1))
		c := make([]float32, m*n)
		for i := range c {
			c[i] = float32(math.NaN()) // not read: beta is 0
		}
		for _, act := range []Activation{ActNone, ActRelu, ActClip} {
			ep := Epilogue{Alpha: 1, Act: act, Min: -1, Max: 1}
			g.run(m, n, k, gemmOpA{a: a, lda: k}, gemmOpB{b: b, ldb: n}, c, n, &ep)
			for i := range m {
				for j := range n {
					v := c[i*n+j]
					switch {
					case j == 3:
						if !math.IsNaN(float64(v)) {
							t.Errorf("%s act %d: C[%d][3] = %g, want NaN", g.Name, act, i, v)
						}
					case j == 4 && act != ActClip:
						if !math.IsInf(float64(v), 1) {
							t.Errorf("%s act %d: C[%d][4] = %g, want +Inf", g.Name, act, i, v)
						}
					default:
						want := float32(k)
						if act == ActClip {
							want = 1
						}
						if v != want {
							t.Errorf("%s act %d: C[%d][%d] = %g, want %g", g.Name, act, i, j, v, want)
						}
					}
				}
			}
		}
	}
}

// TestGemmExported runs the exported API of each ISA.
func TestGemmExported(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range testISAs(t) {
		t.Run(g.Name, func(t *testing.T) {
			const m, n, k = 29, 45, 70
			a := gemmRandSlice(r, m*k)
			b := gemmRandSlice(r, k*n)
			want := make([]float32, m*n)
			for i := range m {
				for j := range n {
					var s float64
					for p := range k {
						s += float64(a[i*k+p]) * float64(b[p*n+j])
					}
					want[i*n+j] = float32(s)
				}
			}
			check := func(what string, c []float32) {
				t.Helper()
				for i, v := range c {
					if math.Abs(float64(v-want[i])) > 1e-4 {
						t.Fatalf("%s: C[%d] = %g, want %g", what, i, v, want[i])
					}
				}
			}
			c := make([]float32, m*n)
			g.Sgemm(m, n, k, a, k, false, b, n, false, c, n, nil)
			check("Sgemm", c)
			pb := g.PackB(k, n, b, n, false)
			if pb.Tier() != g.Name {
				t.Errorf("PackB tier %s, want %s", pb.Tier(), g.Name)
			}
			clear(c)
			SgemmPackedB(m, a, k, false, pb, c, n, nil)
			check("SgemmPackedB", c)
			clear(c)
			SgemmPackedA(g.PackA(m, k, a, k, false), n, b, n, false, c, n, &Epilogue{Alpha: 1})
			check("SgemmPackedA", c)
		})
	}
}

func TestGemmPanics(t *testing.T) {
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		f()
	}
	a := make([]float32, 6)
	mustPanic("short A", func() { Go.Sgemm(3, 2, 3, a[:5], 3, false, a, 2, false, make([]float32, 6), 2, nil) })
	mustPanic("short C", func() { Go.Sgemm(2, 2, 3, a, 3, false, a, 2, false, make([]float32, 3), 2, nil) })
	mustPanic("bad ldc", func() { Go.Sgemm(2, 2, 3, a, 3, false, a, 2, false, make([]float32, 6), 1, nil) })
	mustPanic("short bias", func() {
		Go.Sgemm(2, 2, 3, a, 3, false, a, 2, false, make([]float32, 6), 2, &Epilogue{Alpha: 1, RowBias: a[:1]})
	})
}

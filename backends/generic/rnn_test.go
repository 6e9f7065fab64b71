package generic

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// rnnCase is one randomised recurrent configuration.
type rnnCase struct {
	op                    string
	direction             string
	layout                int
	seq, batch, input, hs int
	bias, lens, h0, c0, p bool
	clip                  float32
	lbr, inputForget      bool
	acts                  []string
	alphas, betas         []float32
	wantY, wantYh, wantYc bool
	opset                 int64
}

func (c rnnCase) String() string {
	return fmt.Sprintf("%s/%s/layout%d/s%d.b%d.i%d.h%d/B%v.L%v.h0%v.c0%v.P%v/clip%v/lbr%v.if%v/%v%v%v/op%d",
		c.op, c.direction, c.layout, c.seq, c.batch, c.input, c.hs, c.bias, c.lens, c.h0, c.c0, c.p,
		c.clip, c.lbr, c.inputForget, c.acts, c.alphas, c.betas, c.opset)
}

func (c rnnCase) gates() int {
	return map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[c.op]
}

func (c rnnCase) dirs() int {
	if c.direction == "bidirectional" {
		return 2
	}
	return 1
}

// rnnNaiveAct is an activation function straight from the operator text.
func rnnNaiveAct(name string, alpha, beta float64) func(float64) float64 {
	switch name {
	case "Relu":
		return func(x float64) float64 { return math.Max(0, x) }
	case "Tanh":
		return func(x float64) float64 { return (1 - math.Exp(-2*x)) / (1 + math.Exp(-2*x)) }
	case "Sigmoid":
		return func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	case "Affine":
		return func(x float64) float64 { return alpha*x + beta }
	case "LeakyRelu":
		return func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return alpha * x
		}
	case "ThresholdedRelu":
		return func(x float64) float64 {
			if x >= alpha {
				return x
			}
			return 0
		}
	case "ScaledTanh":
		return func(x float64) float64 { return alpha * math.Tanh(beta*x) }
	case "HardSigmoid":
		return func(x float64) float64 { return math.Min(math.Max(alpha*x+beta, 0), 1) }
	case "Elu":
		return func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return alpha * (math.Exp(x) - 1)
		}
	case "Softsign":
		return func(x float64) float64 { return x / (1 + math.Abs(x)) }
	case "Softplus":
		return func(x float64) float64 { return math.Log(1 + math.Exp(x)) }
	}
	panic(name)
}

// rnnNaiveActs resolves the case's activations per direction the way the
// spec describes: defaults per op, alpha/beta values consumed in order by
// the functions that take them, operator defaults otherwise.
func rnnNaiveActs(c rnnCase) [][]func(float64) float64 {
	per := map[string]int{"RNN": 1, "GRU": 2, "LSTM": 3}[c.op]
	names := c.acts
	if len(names) == 0 {
		names = map[string][]string{"RNN": {"Tanh"}, "GRU": {"Sigmoid", "Tanh"}, "LSTM": {"Sigmoid", "Tanh", "Tanh"}}[c.op]
	}
	if len(names) == per && c.dirs() == 2 {
		names = append(append([]string(nil), names...), names...)
	}
	takesAlpha := map[string]float64{"Affine": 1, "LeakyRelu": 0.01, "ThresholdedRelu": 1, "ScaledTanh": 1, "HardSigmoid": 0.2, "Elu": 1}
	takesBeta := map[string]float64{"Affine": 0, "ScaledTanh": 1, "HardSigmoid": 0.5}
	al, be := c.alphas, c.betas
	out := make([][]func(float64) float64, c.dirs())
	for i, n := range names {
		// Attribute values are float32, defaults included.
		a, okA := takesAlpha[n]
		a = float64(float32(a))
		if okA && len(al) > 0 {
			a, al = float64(al[0]), al[1:]
		}
		b, okB := takesBeta[n]
		b = float64(float32(b))
		if okB && len(be) > 0 {
			b, be = float64(be[0]), be[1:]
		}
		f := rnnNaiveAct(n, a, b)
		if c.clip > 0 {
			g, cl := f, float64(c.clip)
			f = func(x float64) float64 { return g(math.Max(-cl, math.Min(cl, x))) }
		}
		out[i/per] = append(out[i/per], f)
	}
	return out
}

// rnnNaive computes Y, Y_h and Y_c of a case straight from the equations,
// one scalar at a time, in float64.
func rnnNaive(c rnnCase, x, w, r, b []float64, lens []int, h0, c0, p []float64) (y, yh, yc []float64) {
	G, hs, nd := c.gates(), c.hs, c.dirs()
	acts := rnnNaiveActs(c)
	xAt := func(t, bt, i int) float64 {
		if c.layout == 1 {
			return x[(bt*c.seq+t)*c.input+i]
		}
		return x[(t*c.batch+bt)*c.input+i]
	}
	stIdx := func(d, bt, j int) int {
		if c.layout == 1 {
			return (bt*nd+d)*hs + j
		}
		return (d*c.batch+bt)*hs + j
	}
	yIdx := func(t, d, bt, j int) int {
		if c.layout == 1 {
			return ((bt*c.seq+t)*nd+d)*hs + j
		}
		return ((t*nd+d)*c.batch+bt)*hs + j
	}
	y = make([]float64, c.seq*nd*c.batch*hs)
	yh = make([]float64, nd*c.batch*hs)
	yc = make([]float64, nd*c.batch*hs)
	for d := range nd {
		// wx(g, t, bt, j) = sum_i X[t,bt,i] * W[d][g*hs+j][i] + Wb[g*hs+j]
		wx := func(g, t, bt, j int) float64 {
			s := 0.0
			for i := range c.input {
				s += xAt(t, bt, i) * w[((d*G+g)*hs+j)*c.input+i]
			}
			if b != nil {
				s += b[d*2*G*hs+g*hs+j]
			}
			return s
		}
		// rh(g, h, j) = sum_k h[k] * R[d][g*hs+j][k] + Rb[g*hs+j]
		rh := func(g int, h []float64, j int) float64 {
			s := 0.0
			for k := range hs {
				s += h[k] * r[((d*G+g)*hs+j)*hs+k]
			}
			if b != nil {
				s += b[d*2*G*hs+G*hs+g*hs+j]
			}
			return s
		}
		f := acts[d]
		for bt := range c.batch {
			H, C := make([]float64, hs), make([]float64, hs)
			for j := range hs {
				if h0 != nil {
					H[j] = h0[stIdx(d, bt, j)]
				}
				if c0 != nil {
					C[j] = c0[stIdx(d, bt, j)]
				}
			}
			L := c.seq
			if lens != nil {
				L = lens[bt]
			}
			for s := range L {
				t := s
				if c.direction == "reverse" || d == 1 {
					t = L - 1 - s
				}
				nh, nc := make([]float64, hs), make([]float64, hs)
				for j := range hs {
					switch c.op {
					case "RNN":
						nh[j] = f[0](wx(0, t, bt, j) + rh(0, H, j))
					case "GRU":
						z := f[0](wx(0, t, bt, j) + rh(0, H, j))
						rr := make([]float64, hs)
						for k := range hs {
							rr[k] = f[0](wx(1, t, bt, k) + rh(1, H, k))
						}
						var hh float64
						if c.lbr {
							hh = f[1](wx(2, t, bt, j) + rr[j]*rh(2, H, j))
						} else {
							rH := make([]float64, hs)
							for k := range hs {
								rH[k] = rr[k] * H[k]
							}
							hh = f[1](wx(2, t, bt, j) + rh(2, rH, j))
						}
						nh[j] = (1-z)*hh + z*H[j]
					case "LSTM":
						pi, po, pf := 0.0, 0.0, 0.0
						if p != nil {
							pi, po, pf = p[d*3*hs+j], p[d*3*hs+hs+j], p[d*3*hs+2*hs+j]
						}
						ig := f[0](wx(0, t, bt, j) + rh(0, H, j) + pi*C[j])
						fg := f[0](wx(2, t, bt, j) + rh(2, H, j) + pf*C[j])
						if c.inputForget {
							fg = 1 - ig
						}
						cg := f[1](wx(3, t, bt, j) + rh(3, H, j))
						nc[j] = fg*C[j] + ig*cg
						og := f[0](wx(1, t, bt, j) + rh(1, H, j) + po*nc[j])
						nh[j] = og * f[2](nc[j])
					}
				}
				H = nh
				if c.op == "LSTM" {
					C = nc
				}
				for j := range hs {
					y[yIdx(t, d, bt, j)] = H[j]
				}
			}
			for j := range hs {
				yh[stIdx(d, bt, j)] = H[j]
				yc[stIdx(d, bt, j)] = C[j]
			}
		}
	}
	return y, yh, yc
}

// rnnRandF64 returns n uniform values in [-1, 1).
func rnnRandF64(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*r.Float64() - 1
	}
	return v
}

// rnnRunCase evaluates a case with the generic kernel in dt and compares
// it with rnnNaive.
func rnnRunCase(t *testing.T, r *rand.Rand, c rnnCase, dt tensor.DType) {
	t.Helper()
	G, hs, nd := c.gates(), c.hs, c.dirs()
	x := rnnRandF64(r, c.seq*c.batch*c.input)
	w := rnnRandF64(r, nd*G*hs*c.input)
	rw := rnnRandF64(r, nd*G*hs*hs)
	var b, h0, c0, p []float64
	var lens []int
	xShape := []int{c.seq, c.batch, c.input}
	stShape := []int{nd, c.batch, hs}
	if c.layout == 1 {
		xShape = []int{c.batch, c.seq, c.input}
		stShape = []int{c.batch, nd, hs}
	}
	f := func(v []float64, shape ...int) *tensor.Tensor {
		if v == nil {
			return nil
		}
		t32 := make([]float32, len(v))
		for i, e := range v {
			t32[i] = float32(e)
			v[i] = float64(t32[i]) // the reference sees what the kernel sees
		}
		return nnAsType(tensor.Must(tensor.FromSlice(t32, shape...)), dt)
	}
	in := []*tensor.Tensor{f(x, xShape...), f(w, nd, G*hs, c.input), f(rw, nd, G*hs, hs)}
	if c.bias {
		b = rnnRandF64(r, nd*2*G*hs)
	}
	in = append(in, f(b, nd, 2*G*hs))
	var lt *tensor.Tensor
	if c.lens {
		lens = make([]int, c.batch)
		l32 := make([]int32, c.batch)
		for i := range lens {
			lens[i] = r.IntN(c.seq + 1)
			l32[i] = int32(lens[i])
		}
		lt = tensor.Must(tensor.FromSlice(l32, c.batch))
	}
	in = append(in, lt)
	if c.h0 {
		h0 = rnnRandF64(r, nd*c.batch*hs)
	}
	in = append(in, f(h0, stShape...))
	if c.op == "LSTM" {
		if c.c0 {
			c0 = rnnRandF64(r, nd*c.batch*hs)
		}
		if c.p {
			p = rnnRandF64(r, nd*3*hs)
		}
		in = append(in, f(c0, stShape...), f(p, nd, 3*hs))
	}
	// Convert back to what a half-precision kernel really reads.
	if dt == tensor.Float16 || dt == tensor.BFloat16 {
		for i, v := range [][]float64{x, w, rw, b, nil, h0, c0, p} {
			if v != nil && i < len(in) && in[i] != nil {
				copy(v, nnF64s(in[i]))
			}
		}
	}
	for len(in) > 3 && in[len(in)-1] == nil {
		in = in[:len(in)-1]
	}
	attrs := []*ir.Attribute{attrInt("hidden_size", int64(hs)), attrStr("direction", c.direction)}
	if c.layout != 0 {
		attrs = append(attrs, attrInt("layout", int64(c.layout)))
	}
	if c.clip > 0 {
		attrs = append(attrs, attrFloat("clip", c.clip))
	}
	if c.lbr {
		attrs = append(attrs, attrInt("linear_before_reset", 1))
	}
	if c.inputForget {
		attrs = append(attrs, attrInt("input_forget", 1))
	}
	if c.acts != nil {
		attrs = append(attrs, attrStrs("activations", c.acts...))
	}
	if c.alphas != nil {
		attrs = append(attrs, attrFloats("activation_alpha", c.alphas...))
	}
	if c.betas != nil {
		attrs = append(attrs, attrFloats("activation_beta", c.betas...))
	}
	present := make([]bool, len(in))
	for i, v := range in {
		present[i] = v != nil
	}
	nOut := 2
	if c.op == "LSTM" {
		nOut = 3
	}
	node := nnNode(c.op, present, nOut, attrs...)
	want := []bool{c.wantY, c.wantYh, c.wantYc}
	for i := range node.Outputs {
		if !want[i] {
			node.Outputs[i] = ""
		}
	}
	opset := c.opset
	if opset == 0 {
		opset = 14
	}
	got, err := ops.Eval(t.Context(), node, opset, in, func(b string) bool { return b == Name })
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	y, yh, yc := rnnNaive(c, x, w, rw, b, lens, h0, c0, p)
	tol := 1e-5
	switch dt {
	case tensor.Float64:
		tol = 1e-12
	case tensor.Float16:
		tol = 2e-2
	case tensor.BFloat16:
		tol = 1e-1
	}
	yShape := []int{c.seq, nd, c.batch, hs}
	if c.layout == 1 {
		yShape = []int{c.batch, c.seq, nd, hs}
	}
	for i, v := range [][]float64{y, yh, yc} {
		if i >= nOut || !want[i] {
			continue
		}
		if got[i].DType() != dt {
			t.Fatalf("%v: output %d has dtype %v", c, i, got[i].DType())
		}
		shape := stShape
		if i == 0 {
			shape = yShape
		}
		nnCheckF64(t, c.String()+" output "+nnItoa(i), got[i], shape, v, tol, tol)
	}
}

func TestRNNHandComputed(t *testing.T) {
	// Simple RNN, hidden 1, input 1: W=2, R=0.5, Wb=0.1, Rb=-0.2, X=[1, 0].
	x := nnF32([]int{2, 1, 1}, 1, 0)
	out := mustEval(t, "RNN", 14, 2, []*tensor.Tensor{x, nnF32([]int{1, 1, 1}, 2), nnF32([]int{1, 1, 1}, 0.5), nnF32([]int{1, 2}, 0.1, -0.2)},
		attrInt("hidden_size", 1))
	h1 := math.Tanh(2 - 0.1)
	h2 := math.Tanh(0.5*h1 - 0.1)
	nnCheckF64(t, "Y", out[0], []int{2, 1, 1, 1}, []float64{h1, h2}, 1e-6, 1e-6)
	nnCheckF64(t, "Y_h", out[1], []int{1, 1, 1}, []float64{h2}, 1e-6, 1e-6)

	// LSTM, hidden 1, all weights 0 except biases: gates constant.
	// i = o = f = sigmoid(1), c~ = tanh(1); C1 = f*0 + i*c~, H1 = o*tanh(C1).
	zero := nnF32([]int{1, 4, 1}, 0, 0, 0, 0)
	b := nnF32([]int{1, 8}, 1, 1, 1, 1, 0, 0, 0, 0)
	out = mustEval(t, "LSTM", 14, 3, []*tensor.Tensor{nnF32([]int{1, 1, 1}, 5), zero, zero, b}, attrInt("hidden_size", 1))
	s := 1 / (1 + math.Exp(-1))
	c1 := s * math.Tanh(1)
	nnCheckF64(t, "LSTM Y_c", out[2], []int{1, 1, 1}, []float64{c1}, 1e-6, 1e-6)
	nnCheckF64(t, "LSTM Y_h", out[1], []int{1, 1, 1}, []float64{s * math.Tanh(c1)}, 1e-6, 1e-6)

	// GRU, hidden 1, zero weights, Wbz = 100 (z = 1): H stays at initial_h.
	g0 := nnF32([]int{1, 3, 1}, 0, 0, 0)
	out = mustEval(t, "GRU", 14, 2, []*tensor.Tensor{nnF32([]int{3, 1, 1}, 1, 2, 3), g0, g0, nnF32([]int{1, 6}, 100, 0, 0, 0, 0, 0), nil, nnF32([]int{1, 1, 1}, 0.75)},
		attrInt("hidden_size", 1))
	nnCheckF64(t, "GRU Y", out[0], []int{3, 1, 1, 1}, []float64{0.75, 0.75, 0.75}, 1e-6, 1e-6)
}

func TestRNNRandomAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	actsFor := map[string][][]string{
		"RNN":  {nil, {"Relu"}, {"LeakyRelu"}, {"Affine", "Softsign"}},
		"GRU":  {nil, {"HardSigmoid", "Elu"}, {"Sigmoid", "ScaledTanh", "Sigmoid", "Softplus"}},
		"LSTM": {nil, {"HardSigmoid", "ThresholdedRelu", "Softsign"}, {"Sigmoid", "Tanh", "Relu", "Sigmoid", "Affine", "Tanh"}},
	}
	for iter := range 300 {
		c := rnnCase{op: []string{"RNN", "GRU", "LSTM"}[iter%3]}
		c.direction = []string{"forward", "reverse", "bidirectional"}[r.IntN(3)]
		c.layout = r.IntN(2)
		c.seq, c.batch, c.input, c.hs = r.IntN(4), 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(4)
		c.bias, c.lens, c.h0, c.c0, c.p = r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0
		if r.IntN(4) == 0 {
			c.clip = 0.5 + r.Float32()
		}
		c.lbr = c.op == "GRU" && r.IntN(2) == 0
		c.inputForget = c.op == "LSTM" && r.IntN(4) == 0
		acts := actsFor[c.op][r.IntN(len(actsFor[c.op]))]
		if len(acts) == map[string]int{"RNN": 2, "GRU": 4, "LSTM": 6}[c.op] && c.direction != "bidirectional" {
			acts = acts[:len(acts)/2]
		}
		c.acts = acts
		if acts != nil && r.IntN(2) == 0 {
			c.alphas, c.betas = []float32{0.3, 1.5}, []float32{0.25}
		}
		c.wantY, c.wantYh, c.wantYc = r.IntN(3) != 0, r.IntN(3) != 0, r.IntN(2) == 0
		if !c.wantY && !c.wantYh {
			c.wantY = true
		}
		dt := tensor.Float32
		switch iter % 10 {
		case 3:
			dt = tensor.Float64
		case 7:
			dt = tensor.Float16
		}
		rnnRunCase(t, r, c, dt)
	}
}

func TestRNNOpsets(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	// Opset 7 has no layout; opset 22 is current; GRU opset 3 adds
	// linear_before_reset; opset 1 takes output_sequence.
	for _, c := range []rnnCase{
		{op: "LSTM", opset: 7, direction: "bidirectional", seq: 3, batch: 2, input: 2, hs: 3, bias: true, p: true, wantY: true, wantYh: true, wantYc: true},
		{op: "GRU", opset: 3, direction: "forward", seq: 2, batch: 2, input: 3, hs: 2, lbr: true, wantY: true, wantYh: true},
		{op: "RNN", opset: 22, direction: "reverse", layout: 1, seq: 4, batch: 3, input: 2, hs: 2, lens: true, wantY: true, wantYh: true},
		{op: "RNN", opset: 1, direction: "forward", seq: 2, batch: 1, input: 1, hs: 1, wantY: true, wantYh: true},
		{op: "LSTM", opset: 22, direction: "forward", seq: 2, batch: 1, input: 1, hs: 1, wantYh: true},
	} {
		rnnRunCase(t, r, c, tensor.Float32)
		if c.opset == 22 {
			rnnRunCase(t, r, c, tensor.BFloat16)
		}
	}
}

func TestRNNErrors(t *testing.T) {
	x := nnF32([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6)
	w := tensor.Must(tensor.New(tensor.Float32, 1, 2, 3))
	rr := tensor.Must(tensor.New(tensor.Float32, 1, 2, 2))
	hs := attrInt("hidden_size", 2)
	lens := func(v ...int32) *tensor.Tensor { return tensor.Must(tensor.FromSlice(v, len(v))) }
	cases := []struct {
		name  string
		op    string
		in    []*tensor.Tensor
		attrs []*ir.Attribute
		want  error
	}{
		{"direction", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{hs, attrStr("direction", "sideways")}, ops.ErrInvalidNode},
		{"activation", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{hs, attrStrs("activations", "Cosh")}, ops.ErrInvalidNode},
		{"activations count", "GRU", []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float32, 1, 6, 3)), tensor.Must(tensor.New(tensor.Float32, 1, 6, 2))},
			[]*ir.Attribute{hs, attrStrs("activations", "Sigmoid", "Tanh", "Tanh")}, ops.ErrInvalidNode},
		{"clip", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{hs, attrFloat("clip", -1)}, ops.ErrInvalidNode},
		{"layout", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{hs, attrInt("layout", 2)}, ops.ErrInvalidNode},
		{"hidden size", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{attrInt("hidden_size", 3)}, ops.ErrShapeMismatch},
		{"hidden size 0", "RNN", []*tensor.Tensor{x, w, rr}, []*ir.Attribute{attrInt("hidden_size", 0)}, ops.ErrInvalidNode},
		{"W input size", "RNN", []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float32, 1, 2, 4)), rr}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"W directions", "RNN", []*tensor.Tensor{x, tensor.Must(tensor.New(tensor.Float32, 2, 2, 3)), rr}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"X rank", "RNN", []*tensor.Tensor{nnF32([]int{6}, 1, 2, 3, 4, 5, 6), w, rr}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"B size", "RNN", []*tensor.Tensor{x, w, rr, tensor.Must(tensor.New(tensor.Float32, 1, 3))}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"lens too long", "RNN", []*tensor.Tensor{x, w, rr, nil, lens(3)}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"lens negative", "RNN", []*tensor.Tensor{x, w, rr, nil, lens(-1)}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"lens count", "RNN", []*tensor.Tensor{x, w, rr, nil, lens(1, 1)}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"initial_h", "RNN", []*tensor.Tensor{x, w, rr, nil, nil, tensor.Must(tensor.New(tensor.Float32, 1, 2, 2))}, []*ir.Attribute{hs}, ops.ErrShapeMismatch},
		{"lens type", "RNN", []*tensor.Tensor{x, w, rr, nil, nnF32([]int{1}, 1)}, []*ir.Attribute{hs}, ops.ErrInvalidNode},
		{"W type", "RNN", []*tensor.Tensor{x, nnAsType(w, tensor.Float64), rr}, []*ir.Attribute{hs}, ops.ErrInvalidNode},
		{"int X", "RNN", []*tensor.Tensor{tensor.Must(tensor.New(tensor.Int32, 2, 1, 3)), w, rr}, []*ir.Attribute{hs}, ops.ErrInvalidNode},
	}
	for _, c := range cases {
		_, err := evalNode("", c.op, 14, 2, c.in, c.attrs...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRNNEmptyAndZeroLengths(t *testing.T) {
	// seq 0: Y is empty and Y_h is initial_h; a batch entry of length 0
	// keeps its initial state and gets zero outputs.
	w := nnF32([]int{1, 1, 1}, 1)
	h0 := nnF32([]int{1, 2, 1}, 0.5, -0.5)
	out := mustEval(t, "RNN", 14, 2, []*tensor.Tensor{tensor.Must(tensor.New(tensor.Float32, 0, 2, 1)), w, w, nil, nil, h0}, attrInt("hidden_size", 1))
	nnCheckF64(t, "Y", out[0], []int{0, 1, 2, 1}, nil, 0, 0)
	nnCheckF64(t, "Y_h", out[1], []int{1, 2, 1}, []float64{0.5, -0.5}, 0, 0)
	lens := tensor.Must(tensor.FromSlice([]int32{0, 1}, 2))
	out = mustEval(t, "RNN", 14, 2, []*tensor.Tensor{nnF32([]int{1, 2, 1}, 1, 1), w, w, nil, lens, h0}, attrInt("hidden_size", 1))
	nnCheckF64(t, "Y", out[0], []int{1, 1, 2, 1}, []float64{0, math.Tanh(0.5)}, 1e-6, 1e-6)
	nnCheckF64(t, "Y_h", out[1], []int{1, 2, 1}, []float64{0.5, math.Tanh(0.5)}, 1e-6, 1e-6)
}

func TestRNNHiddenSizeFromR(t *testing.T) {
	// Without hidden_size, R's shape gives it.
	r := tensor.Must(tensor.New(tensor.Float32, 1, 8, 2))
	out := mustEval(t, "LSTM", 14, 2, []*tensor.Tensor{nnF32([]int{1, 1, 1}, 1), tensor.Must(tensor.New(tensor.Float32, 1, 8, 1)), r})
	if !tensor.SameShape(out[1].Shape(), []int{1, 1, 2}) {
		t.Fatalf("Y_h shape %v", out[1].Shape())
	}
}

func TestRNNConcurrentRuns(t *testing.T) {
	// One kernel instance, many goroutines: no shared scratch.
	r := rand.New(rand.NewPCG(3, 4))
	x := nnRandT(r, 5, 3, 4)
	w, rr, b := nnRandT(r, 2, 12, 4), nnRandT(r, 2, 12, 3), nnRandT(r, 2, 24)
	in := []*tensor.Tensor{x, w, rr, b}
	n := &ops.Node{Node: nnNode("LSTM", []bool{true, true, true, true}, 2, attrInt("hidden_size", 3), attrStr("direction", "bidirectional")),
		Schema: ops.LookupSchema("", "LSTM", 14), Opset: 14}
	for _, v := range in {
		n.In = append(n.In, ops.Known(v))
	}
	outTS, err := n.Schema.Infer(n)
	if err != nil {
		t.Fatal(err)
	}
	n.Out = outTS
	k, err := rnnNewKernel(n)
	if err != nil {
		t.Fatal(err)
	}
	run := func() []float64 {
		out := make([]*tensor.Tensor, 2)
		if err := k.Run(&ops.ExecContext{Ctx: t.Context(), Threads: 1}, in, out); err != nil {
			t.Error(err)
			return nil
		}
		return nnF64s(out[0])
	}
	want := run()
	done := make(chan []float64)
	for range 8 {
		go func() { done <- run() }()
	}
	for range 8 {
		got := <-done
		for i := range want {
			if got == nil || got[i] != want[i] {
				t.Fatal("concurrent runs disagree")
			}
		}
	}
}

// TestRNNONNXNodeCases runs the official node tests of the recurrent,
// normalisation, loss and Einsum operators through the generic kernels.
func TestRNNONNXNodeCases(t *testing.T) {
	onnxRunPrefixes(t, 1e-4, 1e-5, "test_rnn_", "test_gru_", "test_lstm_", "test_simple_rnn_",
		"test_layer_normalization_", "test_mvn", "test_nllloss_", "test_sce_", "test_einsum_")
}

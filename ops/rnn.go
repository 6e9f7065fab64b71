package ops

// Schemas of the recurrent operators RNN, GRU and LSTM, and the parsing of
// their attributes (RNNAttrs), which shape inference and kernels share.

import (
	"fmt"
	"strings"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// RNNActivation is one activation function of a recurrent node, with its
// alpha and beta (the defaults of the ONNX operator of the same name where
// the node gives none; 0 for functions that take none).
type RNNActivation struct {
	// Name is the canonical spelling: Relu, Tanh, Sigmoid, Affine,
	// LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign or
	// Softplus.
	Name        string
	Alpha, Beta float32
}

// rnnActDef describes an activation function a recurrent node may name:
// whether it takes alpha and beta, and their defaults.
type rnnActDef struct {
	name              string
	hasAlpha, hasBeta bool
	defAlpha, defBeta float32
}

var rnnActDefs = []rnnActDef{
	{name: "Relu"}, {name: "Tanh"}, {name: "Sigmoid"},
	{name: "Affine", hasAlpha: true, hasBeta: true, defAlpha: 1, defBeta: 0},
	{name: "LeakyRelu", hasAlpha: true, defAlpha: 0.01},
	{name: "ThresholdedRelu", hasAlpha: true, defAlpha: 1},
	{name: "ScaledTanh", hasAlpha: true, hasBeta: true, defAlpha: 1, defBeta: 1},
	{name: "HardSigmoid", hasAlpha: true, hasBeta: true, defAlpha: 0.2, defBeta: 0.5},
	{name: "Elu", hasAlpha: true, defAlpha: 1},
	{name: "Softsign"}, {name: "Softplus"},
}

// RNNAttrs holds the attributes of an RNN, GRU or LSTM node, validated, with
// their defaults filled in.
type RNNAttrs struct {
	Op    string // "RNN", "GRU" or "LSTM"
	Gates int    // gates per direction: 1 (RNN), 3 (GRU) or 4 (LSTM)
	// Directions is 2 when bidirectional, else 1; Reverse is set for
	// direction "reverse".
	Directions int
	Reverse    bool
	// HiddenSize is the hidden_size attribute, or -1 when the node does not
	// set it (it is then read from the shape of R).
	HiddenSize int
	Layout     int // 0: sequence-major, 1: batch-major (opset 14+)
	// Clip is the cell clip threshold, 0 when there is none.
	Clip              float32
	LinearBeforeReset bool // GRU only
	InputForget       bool // LSTM only
	// Acts holds the activation functions, ActsPerDirection() of them for
	// each direction (forward first).
	Acts []RNNActivation
}

// ActsPerDirection returns the number of activation functions each
// direction uses: f for RNN; f and g for GRU; f, g and h for LSTM.
func (a *RNNAttrs) ActsPerDirection() int {
	switch a.Op {
	case "GRU":
		return 2
	case "LSTM":
		return 3
	}
	return 1
}

// rnnDefaultActs are the default activation functions per direction.
func rnnDefaultActs(op string) []string {
	switch op {
	case "GRU":
		return []string{"Sigmoid", "Tanh"}
	case "LSTM":
		return []string{"Sigmoid", "Tanh", "Tanh"}
	}
	return []string{"Tanh"}
}

// rnnMaxHidden bounds hidden_size so that gate counts times it cannot
// overflow.
const rnnMaxHidden = 1 << 31

// ParseRNNAttrs reads and validates the attributes of an RNN, GRU or LSTM
// node. The activations attribute may list the functions of every direction
// or, for a bidirectional node, of one direction (used for both); the
// activation_alpha and activation_beta values are consumed in order by the
// functions that take an alpha (a beta), the others keeping their defaults.
func ParseRNNAttrs(n *Node) (*RNNAttrs, error) {
	a := &RNNAttrs{Op: n.OpType, HiddenSize: -1, Directions: 1}
	switch n.OpType {
	case "RNN":
		a.Gates = 1
	case "GRU":
		a.Gates = 3
	case "LSTM":
		a.Gates = 4
	default:
		return nil, Errorf("%s is not a recurrent operator", n.OpType)
	}
	switch d := n.AttrString("direction"); d {
	case "", "forward":
	case "reverse":
		a.Reverse = true
	case "bidirectional":
		a.Directions = 2
	default:
		return nil, Errorf("direction %q is not forward, reverse or bidirectional", d)
	}
	if n.HasAttr("hidden_size") {
		hs := n.AttrInt("hidden_size")
		if hs < 1 || hs > rnnMaxHidden {
			return nil, Errorf("hidden_size %d out of range", hs)
		}
		a.HiddenSize = int(hs)
	}
	if n.Schema == nil || n.Schema.Attr("layout") != nil {
		switch l := n.AttrInt("layout"); l {
		case 0, 1:
			a.Layout = int(l)
		default:
			return nil, Errorf("layout %d is not 0 or 1", l)
		}
	}
	if n.HasAttr("clip") {
		c := n.AttrFloat("clip")
		if !(c > 0) {
			return nil, Errorf("clip %v must be positive", c)
		}
		a.Clip = c
	}
	if a.Op == "GRU" && (n.Schema == nil || n.Schema.Attr("linear_before_reset") != nil) {
		a.LinearBeforeReset = n.AttrInt("linear_before_reset") != 0
	}
	if a.Op == "LSTM" {
		a.InputForget = n.AttrInt("input_forget") != 0
	}
	per := a.ActsPerDirection()
	names := n.AttrStrings("activations")
	if !n.HasAttr("activations") || len(names) == 0 {
		names = nil
		for range a.Directions {
			names = append(names, rnnDefaultActs(a.Op)...)
		}
	}
	switch {
	case len(names) == per*a.Directions:
	case len(names) == per && a.Directions == 2:
		names = append(append([]string(nil), names...), names...)
	default:
		return nil, Errorf("%d activations, want %d per direction for %d direction(s)", len(names), per, a.Directions)
	}
	alphas, betas := n.AttrFloats("activation_alpha"), n.AttrFloats("activation_beta")
	for _, name := range names {
		var def *rnnActDef
		for i := range rnnActDefs {
			if strings.EqualFold(rnnActDefs[i].name, name) {
				def = &rnnActDefs[i]
			}
		}
		if def == nil {
			return nil, Errorf("unknown activation function %q", name)
		}
		act := RNNActivation{Name: def.name}
		if def.hasAlpha {
			act.Alpha = def.defAlpha
			if len(alphas) > 0 {
				act.Alpha, alphas = alphas[0], alphas[1:]
			}
		}
		if def.hasBeta {
			act.Beta = def.defBeta
			if len(betas) > 0 {
				act.Beta, betas = betas[0], betas[1:]
			}
		}
		a.Acts = append(a.Acts, act)
	}
	return a, nil
}

// rnnCheckRank returns a shape error if input i is present with a known
// rank other than r.
func rnnCheckRank(n *Node, i, r int, what string) error {
	if i < len(n.In) && !n.In[i].Absent {
		if got := n.In[i].Rank(); got >= 0 && got != r {
			return fmt.Errorf("%w: %s %s must have rank %d, got %d", ErrShapeMismatch, n.OpType, what, r, got)
		}
	}
	return nil
}

// rnnIn returns the shape of input i, or nil when absent or unranked.
func rnnIn(n *Node, i int) ir.Shape {
	if i < len(n.In) && !n.In[i].Absent {
		return n.In[i].Shape
	}
	return nil
}

// rnnMulDim returns d*k, or an unknown dim when d is not known.
func rnnMulDim(d ir.Dim, k int) ir.Dim {
	if !d.Known() {
		return ir.UnknownDim
	}
	return ir.DimOf(d.Value * int64(k))
}

// rnnPick returns the first known dim of ds, or the first symbolic one, or
// an unknown dim.
func rnnPick(ds ...ir.Dim) ir.Dim {
	for _, d := range ds {
		if d.Known() {
			return d
		}
	}
	for _, d := range ds {
		if d.Param != "" {
			return d
		}
	}
	return ir.UnknownDim
}

func inferRNN(n *Node) ([]TypeShape, error) {
	a, err := ParseRNNAttrs(n)
	if err != nil {
		return nil, err
	}
	if err := n.CheckDType(0, nnFloatTypes...); err != nil {
		return nil, err
	}
	if err := nnSameDType(n, 1, 2, 3, 5, 6, 7); err != nil {
		return nil, err
	}
	if n.HasIn(4) {
		if err := n.CheckDType(4, tensor.Int32, tensor.Int64); err != nil {
			return nil, err
		}
	}
	for i, r := range []int{3, 3, 3, 2, 1, 3, 3, 2} {
		what := [...]string{"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"}[i]
		if err := rnnCheckRank(n, i, r, what); err != nil {
			return nil, err
		}
	}
	x, w, r := rnnIn(n, 0), rnnIn(n, 1), rnnIn(n, 2)
	b, sl, h0, c0, p := rnnIn(n, 3), rnnIn(n, 4), rnnIn(n, 5), rnnIn(n, 6), rnnIn(n, 7)
	g := a.Gates
	hs := ir.UnknownDim
	if a.HiddenSize > 0 {
		hs = ir.DimOf(int64(a.HiddenSize))
	} else if d := nnDim(r, 2); d.Known() {
		hs = d
	}
	// seq, batch and input sizes, from X by layout.
	seq, batch := nnDim(x, 0), nnDim(x, 1)
	if a.Layout == 1 {
		seq, batch = batch, seq
	}
	type dimCheck struct {
		a, b ir.Dim
		what string
	}
	ndDim := ir.DimOf(int64(a.Directions))
	checks := []dimCheck{
		{nnDim(w, 0), ndDim, "W dim 0 vs num_directions"},
		{nnDim(r, 0), ndDim, "R dim 0 vs num_directions"},
		{nnDim(w, 1), rnnMulDim(hs, g), "W dim 1 vs gates*hidden_size"},
		{nnDim(r, 1), rnnMulDim(hs, g), "R dim 1 vs gates*hidden_size"},
		{nnDim(r, 2), hs, "R dim 2 vs hidden_size"},
		{nnDim(w, 2), nnDim(x, 2), "W dim 2 vs input size"},
		{nnDim(b, 0), ndDim, "B dim 0 vs num_directions"},
		{nnDim(b, 1), rnnMulDim(hs, 2*g), "B dim 1 vs 2*gates*hidden_size"},
		{nnDim(sl, 0), batch, "sequence_lens size vs batch size"},
		{nnDim(p, 0), ndDim, "P dim 0 vs num_directions"},
		{nnDim(p, 1), rnnMulDim(hs, 3), "P dim 1 vs 3*hidden_size"},
	}
	for _, st := range []ir.Shape{h0, c0} {
		nd, bt := nnDim(st, 0), nnDim(st, 1)
		if a.Layout == 1 {
			nd, bt = bt, nd
		}
		checks = append(checks, dimCheck{nd, ndDim, "initial state num_directions"},
			dimCheck{bt, batch, "initial state batch size"}, dimCheck{nnDim(st, 2), hs, "initial state hidden size"})
	}
	for _, c := range checks {
		if err := nnCheckDimEq(c.a, c.b, n.OpType+" "+c.what); err != nil {
			return nil, err
		}
	}
	if n.HasIn(7) && a.Op != "LSTM" {
		return nil, Errorf("%s has no input P", a.Op)
	}
	if !hs.Known() {
		if d := nnDim(r, 1); d.Known() && d.Value%int64(g) == 0 {
			hs = ir.DimOf(d.Value / int64(g))
		} else if d := nnDim(w, 1); d.Known() && d.Value%int64(g) == 0 {
			hs = ir.DimOf(d.Value / int64(g))
		}
	}
	batch = rnnPick(batch, nnDim(sl, 0))
	dt := n.In[0].DType
	y := ir.Shape{seq, ndDim, batch, hs}
	state := ir.Shape{ndDim, batch, hs}
	if a.Layout == 1 {
		y = ir.Shape{batch, seq, ndDim, hs}
		state = ir.Shape{batch, ndDim, hs}
	}
	res := []TypeShape{Ranked(dt, y), Ranked(dt, state)}
	if a.Op == "LSTM" {
		res = append(res, Ranked(dt, append(ir.Shape(nil), state...)))
	}
	return res, nil
}

func init() {
	common := []AttrDef{
		nnA("activation_alpha", ir.AttrFloats, nil), nnA("activation_beta", ir.AttrFloats, nil),
		nnA("clip", ir.AttrFloat, nil), nnA("direction", ir.AttrString, "forward"),
		nnA("hidden_size", ir.AttrInt, nil),
	}
	attrs := func(v int64, extra ...AttrDef) []AttrDef {
		l := append(append([]AttrDef(nil), common...), extra...)
		if v == 1 {
			l = append(l, nnA("output_sequence", ir.AttrInt, int64(0)))
		}
		if v >= 14 {
			l = append(l, nnA("layout", ir.AttrInt, int64(0)))
		}
		return l
	}
	registerVersions([]int64{1, 7, 14, 22}, func(v int64) *Schema {
		return &Schema{Name: "RNN", MinInputs: 3, MaxInputs: 6, MinOutputs: 0, MaxOutputs: 2,
			Attrs: attrs(v, nnA("activations", ir.AttrStrings, []string{"Tanh", "Tanh"})),
			Infer: inferRNN, Doc: "one-layer simple recurrent network"}
	})
	registerVersions([]int64{1, 3, 7, 14, 22}, func(v int64) *Schema {
		extra := []AttrDef{nnA("activations", ir.AttrStrings, nil)}
		if v >= 3 {
			extra = append(extra, nnA("linear_before_reset", ir.AttrInt, int64(0)))
		}
		return &Schema{Name: "GRU", MinInputs: 3, MaxInputs: 6, MinOutputs: 0, MaxOutputs: 2,
			Attrs: attrs(v, extra...), Infer: inferRNN, Doc: "one-layer gated recurrent unit network"}
	})
	registerVersions([]int64{1, 7, 14, 22}, func(v int64) *Schema {
		return &Schema{Name: "LSTM", MinInputs: 3, MaxInputs: 8, MinOutputs: 0, MaxOutputs: 3,
			Attrs: attrs(v, nnA("activations", ir.AttrStrings, nil), nnA("input_forget", ir.AttrInt, int64(0))),
			Infer: inferRNN, Doc: "one-layer long short-term memory network"}
	})
}

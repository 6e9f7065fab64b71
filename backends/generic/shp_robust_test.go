package generic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// shpRobustOps are the ops TestShpNoPanics throws random nodes at.
var shpRobustOps = []string{
	"Concat", "Split", "Slice", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
	"Expand", "Tile", "Pad", "Gather", "GatherElements", "GatherND", "Scatter", "ScatterElements",
	"ScatterND", "Shape", "Size", "Constant", "ConstantOfShape", "Identity", "Dropout", "Range",
	"EyeLike", "Trilu", "DepthToSpace", "SpaceToDepth", "OneHot",
}

// shpRandTensor returns a small random tensor: int64 most of the time (the
// type of shapes and indices), with values around the interesting edges.
func shpRandTensor(r *rand.Rand) *tensor.Tensor {
	dts := []tensor.DType{tensor.Int64, tensor.Int64, tensor.Int64, tensor.Int32, tensor.Float32, tensor.Bool, tensor.String, tensor.Float16}
	dt := dts[r.IntN(len(dts))]
	x := tensor.Must(tensor.New(dt, shpRandShape(r, r.IntN(4), 0, 3)...))
	el := shpElemsOf(dt)
	vals := []float64{-4, -3, -2, -1, 0, 0, 1, 1, 2, 3, 4, 7, math.MaxInt64, math.MinInt64}
	for i := range x.Len() {
		v := vals[r.IntN(len(vals))]
		var e any
		switch dt {
		case tensor.String:
			e = fmt.Sprint(v)
		case tensor.Int64:
			e = int64(max(min(v, math.MaxInt64), math.MinInt64))
			if v == math.MaxInt64 {
				e = int64(math.MaxInt64)
			}
		default:
			if math.Abs(v) > 1e6 {
				v = 5
			}
			e = shpNumber(dt, v)
		}
		el.fill(x.Raw(), i, 1, e)
	}
	return x
}

func shpRandAttrs(r *rand.Rand) []*ir.Attribute {
	small := func() int64 { return int64(r.IntN(9) - 4) }
	list := func() []int64 {
		v := make([]int64, r.IntN(4))
		for i := range v {
			v[i] = small()
		}
		return v
	}
	pool := []func() *ir.Attribute{
		func() *ir.Attribute { return attrInt("axis", small()) },
		func() *ir.Attribute { return attrInts("perm", list()...) },
		func() *ir.Attribute { return attrInts("axes", list()...) },
		func() *ir.Attribute { return attrInts("split", list()...) },
		func() *ir.Attribute { return attrInts("starts", list()...) },
		func() *ir.Attribute { return attrInts("ends", list()...) },
		func() *ir.Attribute { return attrInts("pads", list()...) },
		func() *ir.Attribute { return attrInts("shape", list()...) },
		func() *ir.Attribute { return attrInt("num_outputs", small()) },
		func() *ir.Attribute { return attrInt("blocksize", small()) },
		func() *ir.Attribute { return attrInt("batch_dims", small()) },
		func() *ir.Attribute { return attrInt("k", small()) },
		func() *ir.Attribute { return attrInt("upper", small()) },
		func() *ir.Attribute { return attrInt("allowzero", small()) },
		func() *ir.Attribute { return attrInt("start", small()) },
		func() *ir.Attribute { return attrInt("end", small()) },
		func() *ir.Attribute { return attrInt("dtype", small()+7) },
		func() *ir.Attribute { return attrInt("value_int", small()) },
		func() *ir.Attribute { return attrInts("value_ints", list()...) },
		func() *ir.Attribute { return attrTensor("value", shpRandTensor(r)) },
		func() *ir.Attribute { return attrFloat("value", float32(small())) },
		func() *ir.Attribute {
			return attrStr("mode", []string{"constant", "reflect", "edge", "wrap", "DCR", "CRD", "x"}[r.IntN(7)])
		},
		func() *ir.Attribute {
			return attrStr("reduction", []string{"none", "add", "mul", "max", "min", "x"}[r.IntN(6)])
		},
	}
	var attrs []*ir.Attribute
	seen := map[string]bool{}
	for range r.IntN(4) {
		a := pool[r.IntN(len(pool))]()
		if !seen[a.Name] {
			seen[a.Name] = true
			attrs = append(attrs, a)
		}
	}
	return attrs
}

// TestShpNoPanics throws random nodes (random inputs, attributes and
// opsets, most of them invalid) at inference and the kernels, both through
// ops.Eval and directly on kernels built for unknown shapes: every outcome
// must be a result or an error, never a panic.
func TestShpNoPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	opsets := []int64{1, 2, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 18, 19, 21, 22}
	iters := 20000
	if testing.Short() {
		iters = 2000
	}
	ok := map[string]int{}
	for it := range iters {
		op := shpRobustOps[r.IntN(len(shpRobustOps))]
		opset := opsets[r.IntN(len(opsets))]
		in := make([]*tensor.Tensor, r.IntN(5))
		for i := range in {
			if r.IntN(8) > 0 {
				in[i] = shpRandTensor(r)
			}
		}
		attrs := shpRandAttrs(r)
		nOut := 1 + r.IntN(3)
		if r.IntN(3) > 0 {
			in, attrs, nOut = shpPlausible(r, op)
			opset = opsets[len(opsets)-1-r.IntN(8)]
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("iteration %d: %s opset %d, inputs %v, attrs %v, %d outputs: panic: %v\n%s", it, op, opset, in, shpAttrString(attrs), nOut, p, debug.Stack())
				}
			}()
			want, err := evalNode("", op, opset, nOut, in, attrs...)
			if err == nil {
				ok[op]++
			} else if strings.Contains(err.Error(), "kernel computed") {
				t.Fatalf("%s opset %d, inputs %v, attrs %v: inference and kernel disagree: %v", op, opset, in, shpAttrString(attrs), err)
			}
			got, err2 := shpRunUnknown(op, opset, nOut, in, attrs)
			if err == nil && err2 == nil {
				for i := range want {
					if want[i] != nil {
						shpEq(t, fmt.Sprintf("%s opset %d, inputs %v, attrs %v: output %d with unknown shapes", op, opset, in, shpAttrString(attrs), i), got[i], want[i])
					}
				}
			}
		}()
	}
	t.Logf("nodes that ran without error, per op: %v", ok)
}

// shpRunUnknown builds op's kernel for inputs of known dtypes but unknown
// shapes and runs it on in, as a session does for dynamic shapes that it
// does not re-infer.
func shpRunUnknown(op string, opset int64, nOut int, in []*tensor.Tensor, attrs []*ir.Attribute) ([]*tensor.Tensor, error) {
	s := ops.LookupSchema("", op, opset)
	if s == nil {
		return nil, ops.ErrUnsupportedOp
	}
	node := &ir.Node{OpType: op, Attrs: attrs}
	n := &ops.Node{Node: node, Schema: s, Opset: opset}
	for i, x := range in {
		if x == nil {
			node.Inputs = append(node.Inputs, "")
			n.In = append(n.In, ops.TypeShape{Absent: true})
			continue
		}
		node.Inputs = append(node.Inputs, fmt.Sprintf("x%d", i))
		n.In = append(n.In, ops.Unranked(x.DType()))
	}
	for i := range nOut {
		node.Outputs = append(node.Outputs, fmt.Sprintf("y%d", i))
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	outTS, err := s.Infer(n)
	if err != nil {
		return nil, err
	}
	if len(outTS) < nOut {
		return nil, ops.ErrInvalidNode
	}
	n.Out = outTS[:nOut]
	k, _, err := ops.SelectKernel(n, func(b string) bool { return b == Name })
	if err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, nOut)
	return out, k.Run(&ops.ExecContext{Threads: 1}, in, out)
}

func shpAttrString(attrs []*ir.Attribute) string {
	s := ""
	for _, a := range attrs {
		switch a.Type {
		case ir.AttrInt:
			s += fmt.Sprintf("%s=%d ", a.Name, a.Int)
		case ir.AttrInts:
			s += fmt.Sprintf("%s=%v ", a.Name, a.Ints)
		case ir.AttrString:
			s += fmt.Sprintf("%s=%q ", a.Name, a.String)
		case ir.AttrFloat:
			s += fmt.Sprintf("%s=%v ", a.Name, a.Float)
		case ir.AttrTensor:
			s += fmt.Sprintf("%s=%v ", a.Name, a.Tensor)
		}
	}
	return s
}

// shpPlausible returns inputs and attributes for op that are often valid:
// a random data tensor, and index-like inputs sized for its rank with small
// values, some out of range.
func shpPlausible(r *rand.Rand, op string) ([]*tensor.Tensor, []*ir.Attribute, int) {
	rank := 1 + r.IntN(3)
	if op == "DepthToSpace" || op == "SpaceToDepth" {
		rank = 4
	}
	dts := []tensor.DType{tensor.Float32, tensor.Int64, tensor.String, tensor.Bool, tensor.Float16, tensor.Uint8}
	dt := dts[r.IntN(len(dts))]
	xs := shpRandShape(r, rank, 0, 4)
	if r.IntN(3) > 0 {
		xs = shpRandShape(r, rank, 1, 4)
	}
	x := shpAs(shpIota(xs...), dt)
	small := func(lo, hi int) int64 { return int64(lo + r.IntN(hi-lo+1)) }
	ints := func(n, lo, hi int) *tensor.Tensor {
		v := make([]int64, n)
		for i := range v {
			v[i] = small(lo, hi)
		}
		return shpI64(v...)
	}
	like := func(shape []int, lo, hi int) *tensor.Tensor {
		t := tensor.Must(tensor.New(tensor.Int64, shape...))
		for i := range tensor.Data[int64](t) {
			tensor.Data[int64](t)[i] = small(lo, hi)
		}
		return t
	}
	axis := attrInt("axis", small(-rank, rank-1))
	k := 1 + r.IntN(rank)
	switch op {
	case "Concat":
		return []*tensor.Tensor{x, x, x}, []*ir.Attribute{axis}, 1
	case "Split":
		n := 1 + r.IntN(3)
		if r.IntN(2) == 0 {
			return []*tensor.Tensor{x, ints(n, 0, 3)}, []*ir.Attribute{axis}, n
		}
		return []*tensor.Tensor{x}, []*ir.Attribute{axis, attrInt("num_outputs", int64(n))}, n
	case "Slice":
		return []*tensor.Tensor{x, ints(k, -5, 5), ints(k, -5, 5), ints(k, -rank, rank-1), ints(k, -2, 2)}, nil, 1
	case "Reshape":
		return []*tensor.Tensor{x, ints(k, -1, 4)}, []*ir.Attribute{attrInt("allowzero", small(0, 1))}, 1
	case "Flatten":
		return []*tensor.Tensor{x}, []*ir.Attribute{attrInt("axis", small(-rank, rank))}, 1
	case "Transpose":
		p := r.Perm(rank)
		perm := make([]int64, rank)
		for i, v := range p {
			perm[i] = int64(v)
		}
		return []*tensor.Tensor{x}, []*ir.Attribute{attrInts("perm", perm...)}, 1
	case "Squeeze", "Unsqueeze":
		return []*tensor.Tensor{x, ints(k, -rank, rank)}, nil, 1
	case "Expand":
		return []*tensor.Tensor{x, ints(rank+r.IntN(2), 0, 4)}, nil, 1
	case "Tile":
		return []*tensor.Tensor{x, ints(rank, 0, 3)}, nil, 1
	case "Pad":
		mode := attrStr("mode", []string{"constant", "reflect", "edge", "wrap"}[r.IntN(4)])
		if r.IntN(2) == 0 {
			return []*tensor.Tensor{x, ints(2*k, -2, 3), nil, ints(k, -rank, rank-1)}, []*ir.Attribute{mode}, 1
		}
		return []*tensor.Tensor{x, ints(2*rank, -2, 3), shpAs(shpIota(1), dt)}, []*ir.Attribute{mode}, 1
	case "Gather":
		return []*tensor.Tensor{x, like(shpRandShape(r, r.IntN(3), 0, 3), -4, 4)}, []*ir.Attribute{axis}, 1
	case "GatherElements":
		return []*tensor.Tensor{x, like(shpRandShape(r, rank, 0, 3), -4, 4)}, []*ir.Attribute{axis}, 1
	case "GatherND":
		is := append(shpRandShape(r, r.IntN(3), 1, 3), r.IntN(rank+1))
		return []*tensor.Tensor{x, like(is, -4, 4)}, []*ir.Attribute{attrInt("batch_dims", small(0, 1))}, 1
	case "Scatter", "ScatterElements":
		is := shpRandShape(r, rank, 0, 3)
		upd := shpAs(shpIota(is...), dt)
		red := attrStr("reduction", []string{"none", "add", "mul", "max", "min"}[r.IntN(5)])
		return []*tensor.Tensor{x, like(is, -4, 4), upd}, []*ir.Attribute{axis, red}, 1
	case "ScatterND":
		kk := r.IntN(rank + 1)
		is := append(shpRandShape(r, r.IntN(2), 1, 3), kk)
		us := append(append([]int(nil), is[:len(is)-1]...), xs[kk:]...)
		red := attrStr("reduction", []string{"none", "add", "mul", "max", "min"}[r.IntN(5)])
		return []*tensor.Tensor{x, like(is, -4, 4), shpAs(shpIota(us...), dt)}, []*ir.Attribute{red}, 1
	case "ConstantOfShape":
		return []*tensor.Tensor{ints(k, 0, 3)}, []*ir.Attribute{attrTensor("value", shpAs(shpIota(1), dt))}, 1
	case "Range":
		d := []tensor.DType{tensor.Float32, tensor.Int32, tensor.Int64, tensor.Float16}[r.IntN(4)]
		sc := func() *tensor.Tensor { return shpAs(shpTen([]int{}, float32(small(-5, 5))), d) }
		return []*tensor.Tensor{sc(), sc(), sc()}, nil, 1
	case "EyeLike":
		return []*tensor.Tensor{shpIota(shpRandShape(r, 2, 0, 4)...)}, []*ir.Attribute{attrInt("k", small(-3, 3))}, 1
	case "Trilu":
		return []*tensor.Tensor{x, tensor.Scalar(small(-3, 3))}, []*ir.Attribute{attrInt("upper", small(0, 1))}, 1
	case "DepthToSpace", "SpaceToDepth":
		return []*tensor.Tensor{x}, []*ir.Attribute{attrInt("blocksize", small(1, 2)), attrStr("mode", []string{"DCR", "CRD"}[r.IntN(2)])}, 1
	case "OneHot":
		return []*tensor.Tensor{like(xs, -5, 5), tensor.Scalar(small(1, 4)), shpAs(shpIota(2), dt)}, []*ir.Attribute{attrInt("axis", small(-rank-1, rank))}, 1
	case "Dropout":
		return []*tensor.Tensor{shpIota(xs...), tensor.Scalar(float32(0)), tensor.Scalar(r.IntN(2) == 0)}, nil, 2
	}
	return []*tensor.Tensor{x}, nil, 1
}

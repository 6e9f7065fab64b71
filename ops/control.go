package ops

import (
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Control flow (If, Loop, Scan, SequenceMap) and the sequence and optional
// operators. Their kernels run subgraphs through ExecContext.RunGraph; the
// runtime compiles each graph attribute once, with the enclosing scope's
// values visible to it.

func init() {
	shpRegister(Schema{
		Name: "If", MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "then_branch", Type: ir.AttrGraph, Required: true},
			{Name: "else_branch", Type: ir.AttrGraph, Required: true},
		},
		Infer: inferIf,
		Doc:   "runs then_branch or else_branch depending on a boolean",
	}, 1)
	shpRegister(Schema{
		Name: "Loop", MinInputs: 2, MaxInputs: -1, MinOutputs: 1, MaxOutputs: -1,
		Attrs:       []AttrDef{{Name: "body", Type: ir.AttrGraph, Required: true}},
		Infer:       inferLoop,
		GraphInputs: loopGraphInputs,
		Doc:         "runs body while a trip count and a condition allow, carrying values and stacking scan outputs",
	}, 1)
	shpRegister(Schema{
		Name: "Scan", MinInputs: 2, MaxInputs: -1, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "body", Type: ir.AttrGraph, Required: true},
			{Name: "num_scan_inputs", Type: ir.AttrInt, Required: true},
			{Name: "directions", Type: ir.AttrInts},
		},
		Infer:       inferScan,
		GraphInputs: scanGraphInputs,
		Doc:         "opset 8: scans a batch of sequences (axis 1) with a body graph",
	}, 8)
	shpRegister(Schema{
		Name: "Scan", MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: -1,
		Attrs: []AttrDef{
			{Name: "body", Type: ir.AttrGraph, Required: true},
			{Name: "num_scan_inputs", Type: ir.AttrInt, Required: true},
			{Name: "scan_input_axes", Type: ir.AttrInts},
			{Name: "scan_input_directions", Type: ir.AttrInts},
			{Name: "scan_output_axes", Type: ir.AttrInts},
			{Name: "scan_output_directions", Type: ir.AttrInts},
		},
		Infer:       inferScan,
		GraphInputs: scanGraphInputs,
		Doc:         "scans tensors along an axis with a body graph, carrying state",
	}, 9)
	shpRegister(Schema{
		Name: "SequenceMap", MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: -1,
		Attrs:       []AttrDef{{Name: "body", Type: ir.AttrGraph, Required: true}},
		Infer:       inferSequenceMap,
		GraphInputs: seqMapGraphInputs,
		Doc:         "applies body to each element of the input sequences",
	}, 17)
}

// graphOutputTypes returns what the declared outputs of graph attribute
// name say of their values.
func graphOutputTypes(n *Node, name string) []TypeShape {
	g := n.AttrGraph(name)
	if g == nil {
		return nil
	}
	out := make([]TypeShape, len(g.Outputs))
	for i, o := range g.Outputs {
		out[i] = FromType(o.Type)
	}
	return out
}

// mergeTypes joins what two branches say of one value: equal dims stay,
// differing dims become unknown, differing ranks an unknown rank.
func mergeTypes(a, b TypeShape) TypeShape {
	if a.DType == tensor.Undefined {
		a.DType = b.DType
	}
	if a.Type != nil || b.Type != nil {
		if a.Type == nil {
			a.Type = b.Type
		}
		a.Shape = nil
		return a
	}
	if a.Shape == nil || b.Shape == nil || len(a.Shape) != len(b.Shape) {
		a.Shape = nil
		return a
	}
	s := make(ir.Shape, len(a.Shape))
	for i := range s {
		s[i] = a.Shape[i]
		if a.Shape[i] != b.Shape[i] {
			s[i] = ir.UnknownDim
		}
	}
	a.Shape = s
	return a
}

func inferIf(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, tensor.Bool); err != nil {
		return nil, err
	}
	th, el := graphOutputTypes(n, "then_branch"), graphOutputTypes(n, "else_branch")
	if len(th) != len(n.Outputs) || len(el) != len(n.Outputs) {
		return nil, Errorf("If: branches have %d and %d outputs, the node %d", len(th), len(el), len(n.Outputs))
	}
	out := make([]TypeShape, len(th))
	for i := range th {
		out[i] = mergeTypes(th[i], el[i])
	}
	return out, nil
}

func inferLoop(n *Node) ([]TypeShape, error) {
	body := graphOutputTypes(n, "body")
	carried := len(n.Inputs) - 2
	if len(body) < 1+carried || len(n.Outputs) > len(body)-1 {
		return nil, Errorf("Loop: body has %d outputs for %d loop-carried values and %d node outputs", len(body), carried, len(n.Outputs))
	}
	out := make([]TypeShape, len(n.Outputs))
	for i := range out {
		if i < carried {
			out[i] = mergeTypes(n.In[2+i], body[1+i])
			out[i].Value = nil
			continue
		}
		scan := body[1+i]
		scan.Shape = nil // stacked over an unknown number of iterations
		out[i] = scan
	}
	return out, nil
}

func inferScan(n *Node) ([]TypeShape, error) {
	body := graphOutputTypes(n, "body")
	numScan := int(n.AttrInt("num_scan_inputs"))
	first := 0
	if n.Opset < 9 {
		first = 1 // sequence_lens
	}
	states := len(n.Inputs) - first - numScan
	if numScan < 1 || states < 0 || len(body) != len(n.Outputs) {
		return nil, Errorf("Scan: %d inputs with num_scan_inputs %d, body has %d outputs for %d node outputs", len(n.Inputs), numScan, len(body), len(n.Outputs))
	}
	out := make([]TypeShape, len(n.Outputs))
	for i := range out {
		out[i] = TypeShape{DType: body[i].DType}
		if i < states {
			out[i] = mergeTypes(n.In[first+i], body[i])
			out[i].Value = nil
		}
	}
	return out, nil
}

func inferSequenceMap(n *Node) ([]TypeShape, error) {
	if n.In[0].Type == nil || n.In[0].Type.Kind != ir.KindSequence {
		return nil, Errorf("SequenceMap: input 0 is not a sequence")
	}
	body := graphOutputTypes(n, "body")
	if len(body) != len(n.Outputs) {
		return nil, Errorf("SequenceMap: body has %d outputs for %d node outputs", len(body), len(n.Outputs))
	}
	out := make([]TypeShape, len(body))
	for i, b := range body {
		out[i] = SequenceOf(b.DType)
	}
	return out, nil
}

func loopGraphInputs(n *Node, _ string) []TypeShape {
	in := []TypeShape{Of(tensor.Int64), Of(tensor.Bool)}
	for _, c := range n.In[2:] {
		c.Value = nil
		in = append(in, c)
	}
	return in
}

func scanGraphInputs(n *Node, _ string) []TypeShape {
	numScan := int(n.AttrInt("num_scan_inputs"))
	first := 0
	if n.Opset < 9 {
		first = 1
	}
	var in []TypeShape
	for i := first; i < len(n.In); i++ {
		t := n.In[i]
		t.Value, t.Shape = nil, nil // states may change shape; scan slices lose an axis
		if i < len(n.In)-numScan && n.Opset >= 9 {
			t.Shape = n.In[i].Shape
		}
		in = append(in, t)
	}
	return in
}

func seqMapGraphInputs(n *Node, _ string) []TypeShape {
	in := make([]TypeShape, len(n.In))
	for i, t := range n.In {
		if t.Type != nil && t.Type.Kind == ir.KindSequence {
			in[i] = FromType(t.Type.Elem)
		} else {
			t.Value = nil
			in[i] = t
		}
	}
	return in
}

// SequenceOf describes a sequence of tensors of type dt.
func SequenceOf(dt tensor.DType) TypeShape {
	return TypeShape{DType: dt, Type: &ir.Type{Kind: ir.KindSequence, Elem: &ir.Type{Kind: ir.KindTensor, DType: dt}}}
}

package train

// Export: the inference graph of a Net as a standalone ONNX model.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
)

// ExportOptions configures Export. The zero value exports at opset 13 with
// the Net's input and output names and a symbolic batch dimension.
type ExportOptions struct {
	// Opset is the default-domain opset of the exported model (default 13).
	// Every node must mean the same at that opset as in the Net's.
	Opset int64
	// InputName and OutputName rename the graph input and output.
	InputName, OutputName string
	// Batch fixes the batch dimension; 0 keeps it symbolic (dynamic).
	Batch int
}

// ExportModel returns the inference model of net: Dropout removed,
// BatchNormalization with the running statistics (inference mode), the
// current weights copied, at the chosen opset, with the chosen names.
func ExportModel(net *Net, opt ExportOptions) (*ir.Model, error) {
	if net == nil || net.Model == nil || net.Model.Graph == nil {
		return nil, fmt.Errorf("train: %w: nothing to export", ErrInvalidGraph)
	}
	if opt.Opset == 0 {
		opt.Opset = 13
	}
	if opt.InputName == "" {
		opt.InputName = net.Input
	}
	if opt.OutputName == "" {
		opt.OutputName = net.Output
	}
	if opt.Batch < 0 {
		return nil, fmt.Errorf("train: export batch %d", opt.Batch)
	}
	src := net.Model
	c := cloneModel(src)
	g := c.Graph
	from := src.Opset("")
	c.OpsetImports[""] = opt.Opset
	if c.IRVersion < 7 {
		c.IRVersion = 7
	}
	rename := map[string]string{net.Input: opt.InputName, net.Output: opt.OutputName}
	// Dropout is the identity at inference: its consumers read its input.
	alias := map[string]string{}
	var nodes []*ir.Node
	for _, n := range g.Nodes {
		if n.OpType == "Dropout" && (n.Domain == "" || n.Domain == "ai.onnx") {
			if len(n.Outputs) > 1 && n.Outputs[1] != "" {
				return nil, fmt.Errorf("train: %w: %v: its mask output is used", ErrInvalidGraph, n)
			}
			if n.Outputs[0] == net.Output {
				nodes = append(nodes, &ir.Node{Name: n.Name, OpType: "Identity", Inputs: n.Inputs[:1], Outputs: n.Outputs[:1]})
				continue
			}
			alias[n.Outputs[0]] = n.Inputs[0]
			continue
		}
		if n.Domain == "" || n.Domain == "ai.onnx" {
			a, b := ops.LookupSchema("", n.OpType, from), ops.LookupSchema("", n.OpType, opt.Opset)
			since, stable := exportStableSince[n.OpType]
			if a == nil || b == nil || (a != b && (!stable || opt.Opset < since || from < since)) {
				return nil, fmt.Errorf("train: %w: %v does not have the same definition at opset %d as at %d", ErrInvalidGraph, n, opt.Opset, from)
			}
			if n.OpType == "BatchNormalization" {
				if a := n.Attr("training_mode"); a != nil && a.Int != 0 {
					return nil, fmt.Errorf("train: %w: %v is in training mode", ErrInvalidGraph, n)
				}
			}
		}
		nodes = append(nodes, cloneNode(n))
	}
	resolve := func(s string) string {
		for i := 0; i < len(alias)+1; i++ {
			a, ok := alias[s]
			if !ok {
				break
			}
			s = a
		}
		if r, ok := rename[s]; ok {
			return r
		}
		return s
	}
	used := map[string]bool{}
	for _, n := range nodes {
		for i, in := range n.Inputs {
			n.Inputs[i] = resolve(in)
			used[n.Inputs[i]] = true
		}
		for i, o := range n.Outputs {
			n.Outputs[i] = resolve(o)
		}
	}
	g.Nodes = nodes
	var inits []*ir.Initializer
	for _, in := range g.Initializers {
		if used[in.Name] {
			inits = append(inits, &ir.Initializer{Name: in.Name, Tensor: in.Tensor.Clone(), Doc: in.Doc})
		}
	}
	g.Initializers = inits
	var inputs []*ir.ValueInfo
	for _, vi := range g.Inputs {
		if !used[resolve(vi.Name)] && g.Initializer(vi.Name) == nil && vi.Name != net.Input {
			continue
		}
		v := *vi
		v.Name = resolve(vi.Name)
		if vi.Name == net.Input && vi.Type != nil && len(vi.Type.Shape) > 0 {
			t := *vi.Type
			t.Shape = append(ir.Shape(nil), t.Shape...)
			if opt.Batch > 0 {
				t.Shape[0] = ir.DimOf(int64(opt.Batch))
			} else if t.Shape[0].Param == "" {
				t.Shape[0] = ir.SymDim(BatchDim)
			}
			v.Type = &t
		}
		inputs = append(inputs, &v)
	}
	g.Inputs = inputs
	g.Outputs = nil
	for _, vi := range src.Graph.Outputs {
		if vi.Name != net.Output {
			continue
		}
		v := *vi
		v.Name = opt.OutputName
		if opt.Batch > 0 && v.Type != nil && len(v.Type.Shape) > 0 {
			t := *v.Type
			t.Shape = append(ir.Shape{ir.DimOf(int64(opt.Batch))}, t.Shape[1:]...)
			v.Type = &t
		}
		g.Outputs = append(g.Outputs, &v)
	}
	if len(g.Outputs) == 0 {
		g.Outputs = []*ir.ValueInfo{{Name: opt.OutputName}}
	}
	if c.ProducerName == "" {
		c.ProducerName = "onyx"
	}
	return c, nil
}

// exportStableSince lists, for the ops the layer API emits, the opset from
// which their float inference semantics (with the attributes onyx writes)
// stay the same, although later versions add types or attributes with
// neutral defaults: BatchNormalization in inference mode from 9 (no
// spatial attribute), Gemm from 11 (C optional), Flatten from 9, the
// pools from the versions whose defaults match later ones. Other ops must
// have the very same schema at both opsets.
var exportStableSince = map[string]int64{
	"Conv": 1, "Relu": 6, "LeakyRelu": 6, "Sigmoid": 6, "Tanh": 6, "Identity": 1,
	"Gemm": 11, "MaxPool": 8, "AveragePool": 7, "BatchNormalization": 9, "Flatten": 9,
	"Add": 7, "Mul": 7, "Sub": 7, "Div": 7,
}

// Export writes net's inference model (see ExportModel) to the .onnx file
// path.
func Export(net *Net, path string, opt ExportOptions) error {
	m, err := ExportModel(net, opt)
	if err != nil {
		return err
	}
	return onnx.Save(m, path)
}

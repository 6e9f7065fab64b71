package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// summaryRow is one node of `onyx summary`.
type summaryRow struct {
	Index   int
	Layer   string // "Conv (/c1/Conv)"
	Shapes  string // output shapes, comma separated
	Params  int64  // elements of the initializers first read by this node
	MACs    int64
	Unknown bool // MACs could not be computed: some dims are unknown
}

// summaryTotals are the footer of `onyx summary`.
type summaryTotals struct {
	Params, Trainable int64
	ParamBytes        int64
	GraphParams       int64 // elements of every initializer, read or not
	MACs              int64
	MACsUnknown       int   // nodes whose MACs are unknown
	InputBytes        int64 // known-shape inputs only
	ActBytes          int64 // outputs of nodes that run, known shapes only
	ActUnknown        int   // node outputs whose size is unknown
}

func cmdSummary(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("summary", "MODEL", stderr)
	var shapes, dims multiFlag
	fs.Var(&shapes, "shape", "fix an input's shape: NAME=1x3x128x128 (NAME= optional for one input); repeatable")
	fs.Var(&dims, "dim", "fix a symbolic dimension: NAME=SIZE, e.g. batch=1; repeatable")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(fs, stderr, "want exactly one MODEL")
	}
	opts, err := dimOptions(dims)
	if err != nil {
		return usageError(fs, stderr, err.Error())
	}
	m, err := onnx.LoadFile(pos[0])
	if err != nil {
		return fail(stderr, "summary", err)
	}
	if m.Graph == nil {
		return fail(stderr, "summary", fmt.Errorf("%s: the model has no graph", pos[0]))
	}
	if err := applyShapes(m, shapes); err != nil {
		return fail(stderr, "summary", err)
	}
	// The table describes the model as written, node by node: no fusion.
	s, err := runtime.NewSession(m, append(opts, runtime.WithGraphOptimizations(false))...)
	if err != nil {
		return fail(stderr, "summary", err)
	}
	defer s.Close()
	rows, tot := summarize(m, s)
	printSummary(stdout, pos[0], s, rows, tot)
	return exitOK
}

// summarize computes one row per node in execution order and the totals.
func summarize(m *ir.Model, s *runtime.Session) ([]summaryRow, summaryTotals) {
	var tot summaryTotals
	inits := map[string]*tensor.Tensor{}
	for _, in := range m.Graph.Initializers {
		inits[in.Name] = in.Tensor
		n, _ := tensorSize(in.Tensor)
		tot.GraphParams += n
	}
	// Initializers that look like statistics rather than weights.
	stats := map[string]bool{}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "BatchNormalization" && (n.Domain == "" || n.Domain == "ai.onnx") {
			for i := 3; i < len(n.Inputs) && i <= 4; i++ {
				stats[n.Inputs[i]] = true
			}
		}
	}
	counted := map[string]bool{}
	var rows []summaryRow
	for i, ni := range s.Nodes() {
		n := ni.Node
		r := summaryRow{Index: i + 1, Layer: qualifiedOp(n.Domain, n.OpType)}
		if n.Name != "" {
			r.Layer += " (" + n.Name + ")"
		}
		if ni.Folded {
			r.Layer += " [folded]"
		}
		for _, name := range n.Inputs {
			t, ok := inits[name]
			if !ok || counted[name] {
				continue
			}
			counted[name] = true
			elems, bytes := tensorSize(t)
			r.Params += elems
			tot.ParamBytes += bytes
			if t != nil && t.DType().IsFloat() && !stats[name] {
				tot.Trainable += elems
			}
		}
		shapes := make([]string, 0, len(ni.Out))
		for j, o := range ni.Out {
			if j >= len(n.Outputs) || n.Outputs[j] == "" {
				continue
			}
			shapes = append(shapes, shapeString(o))
			if ni.Folded {
				continue
			}
			if b, ok := typeShapeBytes(o); ok {
				tot.ActBytes += b
			} else {
				tot.ActUnknown++
			}
		}
		r.Shapes = strings.Join(shapes, ", ")
		if !ni.Folded {
			r.MACs, r.Unknown = nodeMACs(ni)
		}
		if r.Unknown {
			tot.MACsUnknown++
		}
		tot.Params += r.Params
		tot.MACs += r.MACs
		rows = append(rows, r)
	}
	for _, in := range s.Inputs() {
		if b, ok := typeShapeBytes(ops.Ranked(in.DType, in.Shape)); ok {
			tot.InputBytes += b
		}
	}
	return rows, tot
}

// shapeString formats a TypeShape's shape as 1x10x128x128 (symbolic dims by
// name, ? unknown; "?" alone for an unknown rank, "scalar" for rank 0).
func shapeString(ts ops.TypeShape) string {
	if ts.Shape == nil {
		return "?"
	}
	return ts.Shape.String()
}

// typeShapeBytes returns the size of a value of type ts, if its shape is known.
func typeShapeBytes(ts ops.TypeShape) (int64, bool) {
	dims, ok := ts.Shape.Ints()
	if ts.Shape == nil || !ok {
		return 0, false
	}
	n, err := tensor.NumElements(dims)
	if err != nil {
		return 0, false
	}
	return int64(n) * int64(ts.DType.Size()), true
}

// dimsProduct multiplies the known dims of s; ok is false if any is unknown.
func dimsProduct(s ir.Shape) (int64, bool) {
	if s == nil {
		return 0, false
	}
	p := int64(1)
	for _, d := range s {
		if !d.Known() {
			return 0, false
		}
		p *= d.Value
	}
	return p, true
}

// nodeMACs counts multiply-accumulates of the ops that dominate compute:
//
//	Conv:          N*Cout*prod(out spatial) * (Cin/group)*prod(kernel) = |out| * W[1]*prod(W[2:])
//	ConvTranspose: N*Cin*prod(in spatial) * (Cout/group)*prod(kernel)  = |X|   * W[1]*prod(W[2:])
//	Gemm, MatMul:  |out| * K
//
// Every other op counts 0. unknown is true when a needed dim is not known.
func nodeMACs(ni runtime.NodeInfo) (macs int64, unknown bool) {
	n := ni.Node
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return 0, false
	}
	in := func(i int) ir.Shape {
		if i < len(ni.In) && !ni.In[i].Absent {
			return ni.In[i].Shape
		}
		return nil
	}
	var out ir.Shape
	if len(ni.Out) > 0 {
		out = ni.Out[0].Shape
	}
	switch n.OpType {
	case "Conv", "ConvTranspose":
		w := in(1)
		if len(w) < 2 {
			return 0, true
		}
		perOut, ok := dimsProduct(w[1:])
		if !ok {
			return 0, true
		}
		var base int64
		if n.OpType == "Conv" {
			base, ok = dimsProduct(out)
		} else {
			base, ok = dimsProduct(in(0))
		}
		if !ok {
			return 0, true
		}
		return base * perOut, false
	case "Gemm", "MatMul":
		a := in(0)
		if len(a) == 0 {
			return 0, true
		}
		k := a[len(a)-1]
		if n.OpType == "Gemm" {
			if at := n.Attr("transA"); at != nil && at.Int != 0 {
				k = a[0]
			}
		}
		o, ok := dimsProduct(out)
		if !ok || !k.Known() {
			return 0, true
		}
		return o * k.Value, false
	}
	return 0, false
}

func printSummary(w io.Writer, path string, s *runtime.Session, rows []summaryRow, tot summaryTotals) {
	const maxLayer = 60
	head := []string{"#", "Layer (op and name)", "Output shape", "Param #", "MACs"}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		layer := r.Layer
		if utf8.RuneCountInString(layer) > maxLayer {
			layer = string([]rune(layer)[:maxLayer-3]) + "..."
		}
		macs := fmt.Sprint(r.MACs)
		if r.Unknown {
			macs = "?"
		}
		params := "--"
		if r.Params > 0 {
			params = fmt.Sprint(r.Params)
		}
		if r.MACs == 0 && !r.Unknown {
			macs = "--"
		}
		cells[i] = []string{fmt.Sprint(r.Index), layer, r.Shapes, params, macs}
	}
	width := make([]int, len(head))
	for j, h := range head {
		width[j] = utf8.RuneCountInString(h)
		for _, c := range cells {
			width[j] = max(width[j], utf8.RuneCountInString(c[j]))
		}
	}
	total := 0
	for _, wd := range width {
		total += wd + 2
	}
	line := func(c []string) {
		var b strings.Builder
		for j, v := range c {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(v))
			if j == 0 || j >= 3 { // numbers right-aligned
				b.WriteString(pad + v)
			} else {
				b.WriteString(v + pad)
			}
			if j < len(c)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	rule := func(ch string) { fmt.Fprintln(w, strings.Repeat(ch, total-2)) }

	fmt.Fprintf(w, "Model: %s\n", path)
	for _, in := range s.Inputs() {
		fmt.Fprintf(w, "Input  %s\n", in)
	}
	rule("=")
	line(head)
	rule("=")
	for _, c := range cells {
		line(c)
	}
	rule("=")
	fmt.Fprintf(w, "Total params: %s\n", humanCount(tot.Params))
	fmt.Fprintf(w, "Trainable-looking params: %s (float initializers, BatchNormalization running mean/var excluded)\n", humanCount(tot.Trainable))
	fmt.Fprintf(w, "Non-trainable params: %s\n", humanCount(tot.Params-tot.Trainable))
	if tot.GraphParams != tot.Params {
		fmt.Fprintf(w, "Initializer elements not read by any node above: %s\n", humanCount(tot.GraphParams-tot.Params))
	}
	macs := humanMACs(tot.MACs)
	if tot.MACsUnknown > 0 {
		macs = fmt.Sprintf(">= %s (%d node(s) with unknown dims; fix them with --shape or --dim)", macs, tot.MACsUnknown)
	}
	fmt.Fprintf(w, "Total MACs: %s\n", macs)
	fmt.Fprintln(w, "  (MACs counted for Conv, ConvTranspose, Gemm and MatMul only; elementwise ops, BatchNormalization, pools and others count 0)")
	rule("=")
	mb := func(b int64) string { return fmt.Sprintf("%.2f", float64(b)/1e6) }
	act := mb(tot.ActBytes)
	if tot.ActUnknown > 0 {
		act = fmt.Sprintf(">= %s (%d output(s) of unknown size)", act, tot.ActUnknown)
	}
	fmt.Fprintf(w, "Input size (MB): %s\n", mb(tot.InputBytes))
	fmt.Fprintf(w, "Params size (MB): %s\n", mb(tot.ParamBytes))
	fmt.Fprintf(w, "Estimated activations size (MB): %s (every node output of one forward pass, none freed)\n", act)
	fmt.Fprintf(w, "Estimated total size (MB): %s\n", mb(tot.InputBytes+tot.ParamBytes+tot.ActBytes))
	rule("=")
}

// humanMACs formats a MAC count in G or M.
func humanMACs(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f G", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.4f M (%d)", float64(n)/1e6, n)
}

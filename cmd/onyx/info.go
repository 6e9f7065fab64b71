package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// valueJSON describes a graph input or output.
type valueJSON struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`            // "float32[1x3xHxW]", "seq(float32[?])", ...
	DType string   `json:"dtype,omitempty"` // tensors only
	Dims  []string `json:"dims"`            // null when the rank is unknown; symbolic dims by name, "?" unknown
}

// opCountJSON is one entry of the op histogram.
type opCountJSON struct {
	Op    string `json:"op"` // "Conv", or "domain:Op" outside ai.onnx
	Count int    `json:"count"`
}

// infoJSON is `onyx info --json` output.
type infoJSON struct {
	Path            string            `json:"path"`
	IRVersion       int64             `json:"ir_version"`
	Opsets          map[string]int64  `json:"opset_imports"` // "ai.onnx" for the default domain
	ProducerName    string            `json:"producer_name"`
	ProducerVersion string            `json:"producer_version"`
	Domain          string            `json:"domain,omitempty"`
	ModelVersion    int64             `json:"model_version,omitempty"`
	GraphName       string            `json:"graph_name"`
	Doc             string            `json:"doc,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	Inputs          []valueJSON       `json:"inputs"`
	Outputs         []valueJSON       `json:"outputs"`
	Nodes           int               `json:"nodes"` // including nodes of subgraphs
	Ops             []opCountJSON     `json:"ops"`
	Initializers    int               `json:"initializers"`
	Params          int64             `json:"params"`
	ParamBytes      int64             `json:"param_bytes"`
	Functions       []string          `json:"functions,omitempty"`
	Unsupported     []string          `json:"unsupported"` // domain:op:opset
}

func cmdInfo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("info", "MODEL", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(fs, stderr, "want exactly one MODEL")
	}
	m, err := onnx.LoadFile(pos[0])
	if err != nil {
		return fail(stderr, "info", err)
	}
	if m.Graph == nil {
		return fail(stderr, "info", fmt.Errorf("%s: the model has no graph", pos[0]))
	}
	info := modelInfo(pos[0], m)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			return fail(stderr, "info", err)
		}
		return exitOK
	}
	printInfo(stdout, info)
	return exitOK
}

// modelInfo gathers what `onyx info` shows. It needs no Session, so it works
// for models this runtime cannot run.
func modelInfo(path string, m *ir.Model) *infoJSON {
	g := m.Graph
	info := &infoJSON{
		Path: path, IRVersion: m.IRVersion, Opsets: map[string]int64{},
		ProducerName: m.ProducerName, ProducerVersion: m.ProducerVersion,
		Domain: m.Domain, ModelVersion: m.ModelVersion, GraphName: g.Name,
		Doc: oneLine(m.DocString), Metadata: m.Metadata,
		Inputs: []valueJSON{}, Outputs: []valueJSON{}, Ops: []opCountJSON{}, Unsupported: []string{},
	}
	for d, v := range m.OpsetImports {
		info.Opsets[domainName(d)] = v
	}
	inits := map[string]bool{}
	for _, in := range g.Initializers {
		inits[in.Name] = true
		info.Initializers++
		n, b := tensorSize(in.Tensor)
		info.Params += n
		info.ParamBytes += b
	}
	for _, vi := range g.Inputs {
		if !inits[vi.Name] {
			info.Inputs = append(info.Inputs, describeValue(vi))
		}
	}
	for _, vi := range g.Outputs {
		info.Outputs = append(info.Outputs, describeValue(vi))
	}
	for _, f := range m.Functions {
		info.Functions = append(info.Functions, qualifiedOp(f.Domain, f.Name))
	}

	hist := map[string]int{}
	missing := map[string]bool{}
	walkNodes(g, func(n *ir.Node) {
		info.Nodes++
		hist[qualifiedOp(n.Domain, n.OpType)]++
		d := n.Domain
		if d == "ai.onnx" {
			d = ""
		}
		opset := m.Opset(d)
		if ops.LookupSchema(d, n.OpType, opset) == nil || !ops.HasKernel(d, n.OpType, opset) {
			missing[fmt.Sprintf("%s:%s:%d", domainName(d), n.OpType, opset)] = true
		}
	})
	for op, c := range hist {
		info.Ops = append(info.Ops, opCountJSON{op, c})
	}
	sort.Slice(info.Ops, func(i, j int) bool {
		a, b := info.Ops[i], info.Ops[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Op < b.Op
	})
	info.Unsupported = append(info.Unsupported, sortedKeys(missing)...)
	return info
}

// walkNodes calls f for every node of g and of its subgraphs (If, Loop, Scan
// bodies), depth first.
func walkNodes(g *ir.Graph, f func(*ir.Node)) {
	if g == nil {
		return
	}
	for _, n := range g.Nodes {
		f(n)
		for _, a := range n.Attrs {
			walkNodes(a.Graph, f)
			for _, sg := range a.Graphs {
				walkNodes(sg, f)
			}
		}
	}
}

func domainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// qualifiedOp is "Conv" for ai.onnx ops and "domain:Op" for others.
func qualifiedOp(domain, op string) string {
	if domain == "" || domain == "ai.onnx" {
		return op
	}
	return domain + ":" + op
}

// tensorSize returns t's element count and its size in bytes.
func tensorSize(t *tensor.Tensor) (elems, bytes int64) {
	if t == nil {
		return 0, 0
	}
	elems = int64(t.Len())
	if t.DType() == tensor.String {
		for _, s := range tensor.Data[string](t) {
			bytes += int64(len(s))
		}
		return elems, bytes
	}
	return elems, elems * int64(t.DType().Size())
}

func describeValue(vi *ir.ValueInfo) valueJSON {
	v := valueJSON{Name: vi.Name, Type: vi.Type.String()}
	if vi.Type != nil && vi.Type.Kind == ir.KindTensor {
		v.DType = vi.Type.DType.String()
		if vi.Type.Shape != nil {
			v.Dims = make([]string, len(vi.Type.Shape))
			for i, d := range vi.Type.Shape {
				v.Dims[i] = d.String()
			}
		}
	}
	return v
}

func printInfo(w io.Writer, info *infoJSON) {
	fmt.Fprintf(w, "model:       %s\n", info.Path)
	fmt.Fprintf(w, "ir_version:  %d\n", info.IRVersion)
	var imports []string
	for _, d := range sortedKeys(info.Opsets) {
		imports = append(imports, fmt.Sprintf("%s %d", d, info.Opsets[d]))
	}
	fmt.Fprintf(w, "opsets:      %s\n", strings.Join(imports, ", "))
	fmt.Fprintf(w, "producer:    %s\n", strings.TrimSpace(info.ProducerName+" "+info.ProducerVersion))
	if info.Domain != "" || info.ModelVersion != 0 {
		fmt.Fprintf(w, "domain:      %s (model version %d)\n", info.Domain, info.ModelVersion)
	}
	fmt.Fprintf(w, "graph:       %s\n", info.GraphName)
	if info.Doc != "" {
		fmt.Fprintf(w, "doc:         %s\n", info.Doc)
	}
	for _, k := range sortedKeys(info.Metadata) {
		fmt.Fprintf(w, "metadata:    %s = %s\n", k, oneLine(info.Metadata[k]))
	}
	fmt.Fprintf(w, "inputs:\n")
	for _, v := range info.Inputs {
		fmt.Fprintf(w, "  %s: %s\n", v.Name, v.Type)
	}
	fmt.Fprintf(w, "outputs:\n")
	for _, v := range info.Outputs {
		fmt.Fprintf(w, "  %s: %s\n", v.Name, v.Type)
	}
	fmt.Fprintf(w, "parameters:  %s (%s) in %d initializers\n", humanCount(info.Params), humanBytes(info.ParamBytes), info.Initializers)
	if len(info.Functions) > 0 {
		fmt.Fprintf(w, "functions:   %s\n", strings.Join(info.Functions, ", "))
	}
	fmt.Fprintf(w, "ops (%d nodes):\n", info.Nodes)
	for _, o := range info.Ops {
		fmt.Fprintf(w, "  %-24s %d\n", o.Op, o.Count)
	}
	if len(info.Unsupported) == 0 {
		fmt.Fprintf(w, "unsupported: none\n")
	} else {
		fmt.Fprintf(w, "unsupported: %d: %s\n", len(info.Unsupported), strings.Join(info.Unsupported, ", "))
	}
}

// humanCount formats n as 1,234,567 (1.23M).
func humanCount(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%s (%.2fG)", b.String(), float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%s (%.2fM)", b.String(), float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%s (%.1fK)", b.String(), float64(n)/1e3)
	}
	return b.String()
}

// humanBytes formats n bytes with a binary unit.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

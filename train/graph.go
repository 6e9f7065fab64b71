package train

// Graph utilities: copying a model for extension, ordering its nodes,
// inferring the types of its values, and naming new values.

import (
	"fmt"
	"strconv"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// cloneModel returns a copy of m that can be extended without changing m:
// new Model and Graph structs and new slices and maps; nodes, value infos
// and tensors are shared (replace a node to change it, never edit it).
func cloneModel(m *ir.Model) *ir.Model {
	c := *m
	c.OpsetImports = make(map[string]int64, len(m.OpsetImports)+1)
	for d, v := range m.OpsetImports {
		c.OpsetImports[d] = v
	}
	g := *m.Graph
	g.Nodes = append([]*ir.Node(nil), g.Nodes...)
	g.Inputs = append([]*ir.ValueInfo(nil), g.Inputs...)
	g.Outputs = append([]*ir.ValueInfo(nil), g.Outputs...)
	g.ValueInfo = append([]*ir.ValueInfo(nil), g.ValueInfo...)
	g.Initializers = append([]*ir.Initializer(nil), g.Initializers...)
	c.Graph = &g
	return &c
}

// cloneNode returns a copy of n with its own input, output and attribute
// slices.
func cloneNode(n *ir.Node) *ir.Node {
	c := *n
	c.Inputs = append([]string(nil), n.Inputs...)
	c.Outputs = append([]string(nil), n.Outputs...)
	c.Attrs = append([]*ir.Attribute(nil), n.Attrs...)
	return &c
}

// setAttr replaces (or adds) n's attribute a.Name.
func setAttr(n *ir.Node, a *ir.Attribute) {
	for i, o := range n.Attrs {
		if o.Name == a.Name {
			n.Attrs[i] = a
			return
		}
	}
	n.Attrs = append(n.Attrs, a)
}

// replaceNode swaps old for repl in g's node list.
func replaceNode(g *ir.Graph, old, repl *ir.Node) {
	for i, n := range g.Nodes {
		if n == old {
			g.Nodes[i] = repl
			return
		}
	}
}

// topoOrder returns g's nodes so that every node comes after the producers
// of its inputs. Inputs no node produces (graph inputs, initializers, and
// for a subgraph the enclosing scope's values) are available from the
// start. A cycle or a value produced twice is an error.
func topoOrder(g *ir.Graph) ([]*ir.Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Errorf("train: %w: value %q is produced twice", ErrInvalidGraph, o)
			}
			producer[o] = i
		}
	}
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		seen := map[int]bool{}
		for _, in := range n.Inputs {
			if p, ok := producer[in]; ok && in != "" && !seen[p] {
				seen[p] = true
				indeg[i]++
				users[p] = append(users[p], i)
			}
		}
	}
	var queue []int
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	order := make([]*ir.Node, 0, len(g.Nodes))
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, g.Nodes[i])
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		return nil, fmt.Errorf("train: %w: the graph has a cycle", ErrInvalidGraph)
	}
	return order, nil
}

// inferTypes returns what shape inference knows of every value of g (a
// graph of m) after running the operators' Infer functions in order. A node
// whose inference fails leaves its outputs unknown: the runtime reports the
// problem when the graph is compiled, and a gradient rule that needs those
// types says so.
func inferTypes(m *ir.Model, g *ir.Graph, order []*ir.Node) map[string]ops.TypeShape {
	types := map[string]ops.TypeShape{}
	for _, in := range g.Initializers {
		if in.Tensor != nil {
			types[in.Name] = ops.Known(in.Tensor)
		}
	}
	for _, vi := range g.Inputs {
		if _, isInit := types[vi.Name]; !isInit {
			types[vi.Name] = ops.FromType(vi.Type)
		}
	}
	for _, n := range order {
		opset := m.Opset(n.Domain)
		s := ops.LookupSchema(n.Domain, n.OpType, opset)
		if s == nil {
			continue
		}
		out, err := inferNode(&ops.Node{Node: n, Schema: s, Opset: opset, Graph: g, Model: m}, types)
		if err != nil {
			continue
		}
		for i, o := range n.Outputs {
			if o != "" && i < len(out) {
				types[o] = out[i]
			}
		}
	}
	return types
}

// inferNode runs n's inference on the known types of its inputs; a panic
// (a bug in an Infer function) becomes an error.
func inferNode(n *ops.Node, types map[string]ops.TypeShape) (out []ops.TypeShape, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: %v: inference panicked: %v", n.Node, r)
		}
	}()
	n.In = make([]ops.TypeShape, len(n.Inputs))
	for i, name := range n.Inputs {
		if name == "" {
			n.In[i] = ops.TypeShape{Absent: true}
			continue
		}
		n.In[i] = types[name]
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n.Schema.Infer(n)
}

// namer hands out value names that no value of the graph uses yet.
type namer struct {
	used map[string]bool
	next int
}

func newNamer(g *ir.Graph) *namer {
	nm := &namer{used: map[string]bool{}}
	for _, in := range g.Initializers {
		nm.used[in.Name] = true
	}
	for _, vi := range g.Inputs {
		nm.used[vi.Name] = true
	}
	for _, vi := range g.Outputs {
		nm.used[vi.Name] = true
	}
	for _, n := range g.Nodes {
		nm.usedInNode(n)
	}
	return nm
}

func (nm *namer) usedInNode(n *ir.Node) {
	for _, s := range n.Inputs {
		nm.used[s] = true
	}
	for _, s := range n.Outputs {
		nm.used[s] = true
	}
	for _, a := range n.Attrs {
		if a.Graph != nil {
			nm.usedInGraph(a.Graph)
		}
	}
}

func (nm *namer) usedInGraph(g *ir.Graph) {
	for _, in := range g.Initializers {
		nm.used[in.Name] = true
	}
	for _, vi := range g.Inputs {
		nm.used[vi.Name] = true
	}
	for _, n := range g.Nodes {
		nm.usedInNode(n)
	}
}

// fresh returns hint if it is free, else hint_N for the first free N.
func (nm *namer) fresh(hint string) string {
	if hint == "" {
		hint = "t"
	}
	name := hint
	for nm.used[name] {
		nm.next++
		name = hint + "_" + strconv.Itoa(nm.next)
	}
	nm.used[name] = true
	return name
}

// tensorType returns the ir.Type of a tensor value with the given dtype and
// shape.
func tensorType(dt tensor.DType, s ir.Shape) *ir.Type {
	return &ir.Type{Kind: ir.KindTensor, DType: dt, Shape: s}
}

// hasValue reports whether g defines name: an input, an initializer or a
// node output.
func hasValue(g *ir.Graph, name string) bool {
	for _, in := range g.Initializers {
		if in.Name == name {
			return true
		}
	}
	for _, vi := range g.Inputs {
		if vi.Name == name {
			return true
		}
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return true
			}
		}
	}
	return false
}

// promoteToInput turns the initializer called name into a graph input of
// the same type (listed once) and returns its tensor, or nil if name is not
// an initializer.
func promoteToInput(g *ir.Graph, name string) *tensor.Tensor {
	for i, in := range g.Initializers {
		if in.Name != name {
			continue
		}
		g.Initializers = append(g.Initializers[:i:i], g.Initializers[i+1:]...)
		t := in.Tensor
		listed := false
		for j, vi := range g.Inputs {
			if vi.Name == name {
				listed = true
				if vi.Type == nil {
					v := *vi
					v.Type = tensorType(t.DType(), ir.ShapeOf(t.Shape()...))
					g.Inputs[j] = &v
				}
			}
		}
		if !listed {
			g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: name, Type: tensorType(t.DType(), ir.ShapeOf(t.Shape()...))})
		}
		return t
	}
	return nil
}

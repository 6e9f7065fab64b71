package runtime

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
)

// topoOrder returns g's nodes in an order where every value is produced
// before it is read (the original order among independent nodes is kept).
// defined holds the values available before any node runs. It reports a
// value read but never defined, a value defined twice, and cycles.
func topoOrder(g *ir.Graph, defined map[string]int) ([]*ir.Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Errorf("runtime: %w: value %q is produced twice (second by %v)", ErrInvalidModel, o, n)
			}
			if _, dup := defined[o]; dup {
				return nil, fmt.Errorf("runtime: %w: %v overwrites input or initializer %q", ErrInvalidModel, n, o)
			}
			producer[o] = i
		}
	}
	deps := make([][]int, len(g.Nodes)) // node -> nodes it waits for
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range nodeReads(n) {
			if _, ok := defined[in]; ok {
				continue
			}
			j, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("runtime: %w: %v reads %q, which nothing defines", ErrInvalidModel, n, in)
			}
			deps[i] = append(deps[i], j)
			users[j] = append(users[j], i)
		}
	}
	// Kahn's algorithm; a min-index queue keeps the model's order.
	pending := make([]int, len(g.Nodes))
	ready := &intHeap{}
	for i := range g.Nodes {
		pending[i] = len(deps[i])
		if pending[i] == 0 {
			ready.push(i)
		}
	}
	order := make([]*ir.Node, 0, len(g.Nodes))
	for ready.len() > 0 {
		i := ready.pop()
		order = append(order, g.Nodes[i])
		for _, u := range users[i] {
			pending[u]--
			if pending[u] == 0 {
				ready.push(u)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		for i, n := range g.Nodes {
			if pending[i] > 0 {
				return nil, fmt.Errorf("runtime: %w: the graph has a cycle through %v", ErrInvalidModel, n)
			}
		}
	}
	return order, nil
}

// nodeReads returns the values n reads: its inputs and the outer-scope
// values its subgraphs read.
func nodeReads(n *ir.Node) []string {
	var reads []string
	for _, in := range n.Inputs {
		if in != "" {
			reads = append(reads, in)
		}
	}
	for _, a := range n.Attrs {
		for _, sg := range append([]*ir.Graph{a.Graph}, a.Graphs...) {
			if sg != nil {
				reads = append(reads, outerReads(sg)...)
			}
		}
	}
	return reads
}

// outerReads returns the names a subgraph reads from enclosing scopes.
func outerReads(g *ir.Graph) []string {
	local := map[string]bool{}
	for _, in := range g.Inputs {
		local[in.Name] = true
	}
	for _, in := range g.Initializers {
		local[in.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			local[o] = true
		}
	}
	var out []string
	for _, n := range g.Nodes {
		for _, r := range nodeReads(n) {
			if !local[r] {
				out = append(out, r)
			}
		}
	}
	return out
}

// intHeap is a min-heap of ints.
type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(v int) {
	h.a = append(h.a, v)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.a[l] < h.a[m] {
			m = l
		}
		if r < last && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

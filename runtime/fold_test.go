package runtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// TestFoldWorkIsBounded: a chain of MatMuls of constants folds only until
// the session's folding budget is spent; the rest runs at run time, with
// the same result.
func TestFoldWorkIsBounded(t *testing.T) {
	const n, chain = 64, 20
	g := &ir.Graph{
		Initializers: []*ir.Initializer{{Name: "shape", Tensor: tensor.Must(tensor.FromSlice([]int64{n, n}, 2))}},
		Nodes: []*ir.Node{{OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{"c"},
			Attrs: []*ir.Attribute{{Name: "value", Type: ir.AttrTensor, Tensor: tensor.Must(tensor.FromSlice([]float32{1.0 / n}, 1))}}}},
	}
	prev := "c"
	for i := range chain {
		out := fmt.Sprintf("m%d", i)
		g.Nodes = append(g.Nodes, &ir.Node{OpType: "MatMul", Inputs: []string{prev, "c"}, Outputs: []string{out}})
		prev = out
	}
	g.Outputs = []*ir.ValueInfo{{Name: prev}}
	m := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: g}
	run := func() (folded int, out *tensor.Tensor) {
		s, err := NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, ni := range s.Nodes() {
			if ni.Folded && ni.Node.OpType == "MatMul" {
				folded++
			}
		}
		res, err := s.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return folded, res[prev]
	}
	all, want := run()
	if all != chain {
		t.Fatalf("%d of %d MatMuls folded with the default budget", all, chain)
	}
	defer func(v int64) { maxFoldWork = v }(maxFoldWork)
	maxFoldWork = 5 * 3 * n * n // the ConstantOfShape and four MatMuls
	some, got := run()
	if some != 4 {
		t.Errorf("%d MatMuls folded within a budget for 4", some)
	}
	for i, v := range tensor.Data[float32](want) {
		if g := tensor.Data[float32](got)[i]; g != v {
			t.Fatalf("element %d: %v folded, %v run", i, v, g)
		}
	}
}

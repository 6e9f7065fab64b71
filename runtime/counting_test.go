package runtime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/tensor"
)

// TestStaticModelsCountNothing: when every intermediate tensor is in the
// arena (views included), no step counts bytes against the Run's budget,
// so the budget costs a static model one branch per step.
func TestStaticModelsCountNothing(t *testing.T) {
	f32 := func(dims ...int) *ir.Type { return &ir.Type{DType: tensor.Float32, Shape: ir.ShapeOf(dims...)} }
	models := map[string]*ir.Model{"small": {IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes: []*ir.Node{
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{OpType: "Flatten", Inputs: []string{"r"}, Outputs: []string{"f"}},
			{OpType: "MatMul", Inputs: []string{"f", "w"}, Outputs: []string{"m"}},
			{OpType: "Reshape", Inputs: []string{"m", "shape"}, Outputs: []string{"v"}},
			{OpType: "Neg", Inputs: []string{"v"}, Outputs: []string{"y"}},
		},
		Initializers: []*ir.Initializer{
			{Name: "w", Tensor: tensor.Must(tensor.New(tensor.Float32, 6, 4))},
			{Name: "shape", Tensor: tensor.Must(tensor.FromSlice([]int64{4, 2}, 2))},
		},
		Inputs:  []*ir.ValueInfo{{Name: "x", Type: f32(2, 2, 3)}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
	}}}
	if zoo := os.Getenv("ONYX_MODEL_ZOO"); zoo != "" {
		m, err := onnx.LoadFile(filepath.Join(zoo, "resnet18", "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		models["resnet18"] = m
	}
	for name, m := range models {
		s, err := NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range s.plan.steps {
			if !st.folded && (st.counts || len(st.release) > 0) {
				t.Errorf("%s: %v counts bytes (outputs %v)", name, st.node.Node, st.node.Outputs)
			}
		}
		s.Close()
	}
}

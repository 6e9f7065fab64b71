package testcase_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
	"github.com/onyxml/onyx/testcase"
)

// TestDynamicShapes runs testdata/dynamic_cnn, a CNN exported from PyTorch
// with a symbolic batch, height and width (see its export.py), at three
// input sizes through one Session, against PyTorch's outputs.
func TestDynamicShapes(t *testing.T) {
	c, err := testcase.Load("../testdata/dynamic_cnn")
	if err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Inputs()[0].Shape.String(); got != "batchx3xheightxwidth" {
		t.Errorf("input shape %s, want batchx3xheightxwidth", got)
	}
	seen := map[string]bool{}
	for _, ds := range c.Sets {
		x := ds.Inputs[0]
		seen[fmt.Sprint(x.Shape())] = true
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"image": x})
		if err != nil {
			t.Fatalf("%s (input %v): %v", ds.Name, x.Shape(), err)
		}
		for i, name := range []string{"logits", "features"} {
			if _, err := testcase.Compare(out[name], ds.Outputs[i], testcase.DefaultTolerance); err != nil {
				t.Errorf("%s (input %v): %s: %v", ds.Name, x.Shape(), name, err)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("the data sets cover %d input sizes, want 3", len(seen))
	}

	// Fixing the symbolic dims makes every shape concrete at compile time;
	// an input of another size is then refused.
	fixed, err := runtime.NewSession(c.Model, runtime.WithDim("batch", 1), runtime.WithDim("height", 32), runtime.WithDim("width", 32))
	if err != nil {
		t.Fatal(err)
	}
	if got := fixed.Outputs()[1].Shape.String(); got != "1x16x16x16" {
		t.Errorf("features with fixed dims: %s, want 1x16x16x16", got)
	}
	res := testcase.Run(context.Background(), &testcase.Case{Name: "fixed", Model: c.Model, Sets: c.Sets[:1]}, testcase.DefaultTolerance,
		runtime.WithDim("batch", 1), runtime.WithDim("height", 32), runtime.WithDim("width", 32))
	if !res.Pass {
		t.Errorf("fixed dims: %v", res.Err)
	}
	if _, err := fixed.Run(context.Background(), map[string]*tensor.Tensor{"image": c.Sets[1].Inputs[0]}); !errors.Is(err, runtime.ErrShapeMismatch) {
		t.Errorf("wrong size with fixed dims: err = %v, want ErrShapeMismatch", err)
	}
}

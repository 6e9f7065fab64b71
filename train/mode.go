package train

// Training mode: BatchNormalization with batch statistics and updated
// running statistics as graph outputs, Dropout drawing its mask.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// StatUpdate is one running statistic of a BatchNormalization in training
// mode: the graph input that holds it and the graph output that holds its
// value after the step (momentum*input + (1-momentum)*batch statistic).
type StatUpdate struct {
	Input  string
	Output string
	// Init is its initial value when it was an initializer of the model
	// given to TrainingMode (nil when it already was a graph input).
	Init *tensor.Tensor
}

// TrainingMode returns a copy of m (m is not modified) in which every
// BatchNormalization normalizes with the batch's statistics and outputs
// its updated running mean and variance (opset 14+: training_mode = 1),
// and every Dropout draws its mask (opset 12+: a constant true
// training_mode input, unless the node already has a training_mode input,
// which is then left for the caller to feed; opset 6: is_test = 0).
//
// The running statistics become graph inputs (initializers are moved, their
// values returned in StatUpdate.Init) and their updated values graph
// outputs, listed in the returned StatUpdates: feed each Input and read
// each Output on every training step. Older opsets, where these ops have
// no training mode (BatchNormalization before 14, Dropout 7 to 11), give
// an error wrapping ErrInvalidGraph.
func TrainingMode(m *ir.Model) (*ir.Model, []StatUpdate, error) {
	if m == nil || m.Graph == nil {
		return nil, nil, fmt.Errorf("train: %w: no graph", ErrInvalidGraph)
	}
	c := cloneModel(m)
	g := c.Graph
	names := newNamer(g)
	opset := c.Opset("")
	var stats []StatUpdate
	for i, n := range g.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			continue
		}
		switch n.OpType {
		case "BatchNormalization":
			if opset < 14 {
				return nil, nil, fmt.Errorf("train: %w: %v: BatchNormalization has a training mode from opset 14, the model imports %d", ErrInvalidGraph, n, opset)
			}
			if len(n.Inputs) < 5 {
				return nil, nil, fmt.Errorf("train: %w: %v has %d inputs, want 5", ErrInvalidGraph, n, len(n.Inputs))
			}
			r := cloneNode(n)
			setAttr(r, attrInt("training_mode", 1))
			for len(r.Outputs) < 3 {
				r.Outputs = append(r.Outputs, "")
			}
			for k := 1; k <= 2; k++ {
				in := r.Inputs[k+2]
				if r.Outputs[k] == "" {
					r.Outputs[k] = names.fresh(in + "_updated")
				}
				st := StatUpdate{Input: in, Output: r.Outputs[k], Init: promoteToInput(g, in)}
				if !isOutput(g, st.Output) {
					g.Outputs = append(g.Outputs, &ir.ValueInfo{Name: st.Output})
				}
				stats = append(stats, st)
			}
			g.Nodes[i] = r
		case "Dropout":
			r := cloneNode(n)
			switch {
			case opset >= 12:
				if len(r.Inputs) > 2 && r.Inputs[2] != "" {
					continue
				}
				for len(r.Inputs) < 3 {
					r.Inputs = append(r.Inputs, "")
				}
				r.Inputs[2] = trainingTrue(g, names)
			case opset == 6:
				setAttr(r, attrInt("is_test", 0))
			default:
				return nil, nil, fmt.Errorf("train: %w: %v: Dropout has no training mode in opset %d (use 12 or later)", ErrInvalidGraph, n, opset)
			}
			g.Nodes[i] = r
		}
	}
	return c, stats, nil
}

// trainingTrue returns the name of a constant true scalar initializer,
// adding it once.
func trainingTrue(g *ir.Graph, names *namer) string {
	for _, in := range g.Initializers {
		if in.Doc == trainingTrueDoc {
			return in.Name
		}
	}
	name := names.fresh("training_mode")
	g.Initializers = append(g.Initializers, &ir.Initializer{Name: name, Tensor: tensor.Scalar(true), Doc: trainingTrueDoc})
	return name
}

const trainingTrueDoc = "train.TrainingMode: Dropout's training_mode"

func isOutput(g *ir.Graph, name string) bool {
	for _, o := range g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/runtime"
)

// graphInputs returns the graph's inputs that are not initializers.
func graphInputs(m *ir.Model) []*ir.ValueInfo {
	inits := map[string]bool{}
	for _, in := range m.Graph.Initializers {
		inits[in.Name] = true
	}
	var out []*ir.ValueInfo
	for _, vi := range m.Graph.Inputs {
		if !inits[vi.Name] {
			out = append(out, vi)
		}
	}
	return out
}

func valueNames(vis []*ir.ValueInfo) []string {
	names := make([]string, len(vis))
	for i, vi := range vis {
		names[i] = vi.Name
	}
	return names
}

// applyShapes fixes input shapes from --shape NAME=1x3x224x224 flags (NAME=
// may be omitted when the model has one input) by rewriting the inputs'
// declared dims before compilation. The rank must match a declared rank.
func applyShapes(m *ir.Model, specs []string) error {
	ins := graphInputs(m)
	names := valueNames(ins)
	seen := map[string]bool{}
	for _, spec := range specs {
		name, dimsStr := splitAssign(spec, names)
		if name == "" {
			if i := strings.LastIndexByte(spec, '='); i >= 0 {
				return fmt.Errorf("--shape %s: the model has no input %q (inputs: %s)", spec, spec[:i], strings.Join(names, ", "))
			}
			if len(ins) != 1 {
				return fmt.Errorf("--shape %s: the model has %d inputs; write NAME=DIMS (inputs: %s)", spec, len(ins), strings.Join(names, ", "))
			}
			name = names[0]
		}
		if seen[name] {
			return fmt.Errorf("--shape: input %q given twice", name)
		}
		seen[name] = true
		dims, err := parseDims(dimsStr)
		if err != nil {
			return fmt.Errorf("--shape %s: %v", spec, err)
		}
		for _, vi := range ins {
			if vi.Name != name {
				continue
			}
			if vi.Type == nil || vi.Type.Kind != ir.KindTensor {
				return fmt.Errorf("--shape %s: input %q is not a tensor", spec, name)
			}
			if vi.Type.Shape != nil && len(vi.Type.Shape) != len(dims) {
				return fmt.Errorf("--shape %s: input %q has rank %d (%v), not %d", spec, name, len(vi.Type.Shape), vi.Type.Shape, len(dims))
			}
			t := *vi.Type
			t.Shape = ir.ShapeOf(dims...)
			vi.Type = &t
		}
	}
	return nil
}

// dimOptions turns --dim NAME=N flags into runtime.WithDim options.
func dimOptions(specs []string) ([]runtime.Option, error) {
	var opts []runtime.Option
	for _, spec := range specs {
		name, v, ok := strings.Cut(spec, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("--dim %s: want NAME=SIZE with SIZE a non-negative integer", spec)
		}
		opts = append(opts, runtime.WithDim(name, n))
	}
	return opts, nil
}

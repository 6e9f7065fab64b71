package ops

// Schema of Einsum, and the parsing of its equation (EinsumEquation), which
// shape inference and kernels share.

import (
	"fmt"
	"strings"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Einsum labels: a letter is a label in [0, EinsumLetters) ('A'..'Z' are
// 0..25, 'a'..'z' 26..51, so labels sort as their characters do); after
// Bind, the j-th ellipsis dim (counting from the left of the widest
// ellipsis) is label EinsumLetters+j. Before Bind, EinsumEllipsis marks an
// ellipsis in a term.
const (
	EinsumLetters  = 52
	EinsumEllipsis = -1
)

// EinsumEquation is a parsed Einsum equation.
type EinsumEquation struct {
	// Terms holds each operand's labels, with EinsumEllipsis where the term
	// has "...".
	Terms [][]int
	// Out holds the output's labels (with EinsumEllipsis where it has
	// "...") when Explicit; an implicit output is computed by Bind.
	Out      []int
	Explicit bool
}

// einLabel maps a letter to its label, or returns -1.
func einLabel(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	}
	return -1
}

// einParseTerm parses one term (spaces already removed).
func einParseTerm(s string) ([]int, error) {
	var labels []int
	ell := false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			if !strings.HasPrefix(s[i:], "...") {
				return nil, Errorf("Einsum term %q: a lone '.'", s)
			}
			if ell {
				return nil, Errorf("Einsum term %q has more than one ellipsis", s)
			}
			ell = true
			labels = append(labels, EinsumEllipsis)
			i += 2
			continue
		}
		l := einLabel(s[i])
		if l < 0 {
			return nil, Errorf("Einsum term %q: invalid character %q", s, s[i])
		}
		labels = append(labels, l)
	}
	return labels, nil
}

// ParseEinsum parses an Einsum equation: comma-separated terms of letters
// with at most one "..." each, optionally followed by "->" and the output
// term. Spaces are ignored.
func ParseEinsum(eq string) (*EinsumEquation, error) {
	s := strings.ReplaceAll(eq, " ", "")
	e := &EinsumEquation{}
	lhs := s
	if i := strings.Index(s, "->"); i >= 0 {
		lhs, e.Explicit = s[:i], true
		out, err := einParseTerm(s[i+2:])
		if err != nil {
			return nil, err
		}
		if strings.Contains(s[i+2:], ",") {
			return nil, Errorf("Einsum equation %q has more than one output term", eq)
		}
		e.Out = out
	}
	for _, t := range strings.Split(lhs, ",") {
		labels, err := einParseTerm(t)
		if err != nil {
			return nil, fmt.Errorf("equation %q: %w", eq, err)
		}
		e.Terms = append(e.Terms, labels)
	}
	if e.Explicit {
		var inInput [EinsumLetters]bool
		for _, t := range e.Terms {
			for _, l := range t {
				if l >= 0 {
					inInput[l] = true
				}
			}
		}
		var seen [EinsumLetters]bool
		for _, l := range e.Out {
			if l < 0 {
				continue
			}
			if !inInput[l] {
				return nil, Errorf("Einsum equation %q: output label %c is in no input", eq, einChar(l))
			}
			if seen[l] {
				return nil, Errorf("Einsum equation %q: output label %c repeats", eq, einChar(l))
			}
			seen[l] = true
		}
	}
	return e, nil
}

// einChar returns the letter of a letter label.
func einChar(l int) byte {
	if l < 26 {
		return byte('A' + l)
	}
	return byte('a' + l - 26)
}

// Bind expands the ellipses for operands of the given ranks. It returns
// each operand's label per dim, the output's labels, and the number of
// ellipsis dims (the widest ellipsis; narrower ones are right-aligned and
// broadcast). An implicit output is the ellipsis dims followed by the
// letters that occur once in the equation, in sorted order.
func (e *EinsumEquation) Bind(ranks []int) (ins [][]int, out []int, nEll int, err error) {
	if len(ranks) != len(e.Terms) {
		return nil, nil, 0, Errorf("Einsum equation has %d terms for %d inputs", len(e.Terms), len(ranks))
	}
	ellRank := make([]int, len(ranks))
	for i, t := range e.Terms {
		letters := 0
		hasEll := false
		for _, l := range t {
			if l == EinsumEllipsis {
				hasEll = true
			} else {
				letters++
			}
		}
		switch {
		case hasEll && ranks[i] < letters:
			return nil, nil, 0, fmt.Errorf("%w: Einsum input %d has rank %d, its term needs at least %d", ErrShapeMismatch, i, ranks[i], letters)
		case !hasEll && ranks[i] != letters:
			return nil, nil, 0, fmt.Errorf("%w: Einsum input %d has rank %d, its term has %d labels", ErrShapeMismatch, i, ranks[i], letters)
		}
		ellRank[i] = ranks[i] - letters
		nEll = max(nEll, ellRank[i])
	}
	var count [EinsumLetters]int
	ins = make([][]int, len(e.Terms))
	for i, t := range e.Terms {
		for _, l := range t {
			if l != EinsumEllipsis {
				ins[i] = append(ins[i], l)
				count[l]++
				continue
			}
			for j := nEll - ellRank[i]; j < nEll; j++ {
				ins[i] = append(ins[i], EinsumLetters+j)
			}
		}
	}
	if e.Explicit {
		out = []int{}
		for _, l := range e.Out {
			if l != EinsumEllipsis {
				out = append(out, l)
				continue
			}
			for j := range nEll {
				out = append(out, EinsumLetters+j)
			}
		}
		return ins, out, nEll, nil
	}
	out = make([]int, 0, nEll)
	for j := range nEll {
		out = append(out, EinsumLetters+j)
	}
	for l, c := range count {
		if c == 1 {
			out = append(out, l)
		}
	}
	return ins, out, nEll, nil
}

// EinsumLabelSizes returns the size of every label (EinsumLetters+nEll of
// them; 0 for letters not used) for bound operands ins of the given
// shapes. A letter must have one size everywhere; an ellipsis dim may be 1
// in some operands (broadcast).
func EinsumLabelSizes(ins [][]int, shapes [][]int, nEll int) ([]int, error) {
	sizes := make([]int, EinsumLetters+nEll)
	set := make([]bool, len(sizes))
	for i, labels := range ins {
		for j, l := range labels {
			d := shapes[i][j]
			switch {
			case !set[l]:
				sizes[l], set[l] = d, true
			case sizes[l] == d:
			case l >= EinsumLetters && d == 1:
			case l >= EinsumLetters && sizes[l] == 1:
				sizes[l] = d
			default:
				return nil, fmt.Errorf("%w: Einsum label %s has sizes %d and %d", ErrShapeMismatch, einLabelName(l), sizes[l], d)
			}
		}
	}
	return sizes, nil
}

// einLabelName names a bound label in messages.
func einLabelName(l int) string {
	if l < EinsumLetters {
		return string(einChar(l))
	}
	return fmt.Sprintf("...[%d]", l-EinsumLetters)
}

// einNumericTypes are Einsum's element types.
var einNumericTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64, tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64}

func inferEinsum(n *Node) ([]TypeShape, error) {
	e, err := ParseEinsum(n.AttrString("equation"))
	if err != nil {
		return nil, err
	}
	if len(e.Terms) != len(n.In) {
		return nil, Errorf("Einsum equation %q has %d terms for %d inputs", n.AttrString("equation"), len(e.Terms), len(n.In))
	}
	if err := n.CheckDType(0, einNumericTypes...); err != nil {
		return nil, err
	}
	idx := make([]int, len(n.In))
	for i := range idx {
		idx[i] = i
	}
	if err := nnSameDType(n, idx...); err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	ranks := make([]int, len(n.In))
	for i, in := range n.In {
		ranks[i] = in.Rank()
		if ranks[i] < 0 {
			hasEll := false
			for _, l := range e.Terms[i] {
				hasEll = hasEll || l == EinsumEllipsis
			}
			if hasEll {
				return []TypeShape{Unranked(dt)}, nil
			}
			ranks[i] = len(e.Terms[i])
		}
	}
	ins, out, nEll, err := e.Bind(ranks)
	if err != nil {
		return nil, err
	}
	// Each label's dim: a known size (not 1 for an ellipsis dim, unless
	// every operand has 1 there) beats a symbol, which beats unknown.
	dims := make([]ir.Dim, EinsumLetters+nEll)
	for i := range dims {
		dims[i] = ir.UnknownDim
	}
	allOne := make([]bool, len(dims))
	for i := range allOne {
		allOne[i] = true
	}
	for i, labels := range ins {
		s := n.In[i].Shape
		for j, l := range labels {
			d := ir.UnknownDim
			if s != nil {
				d = s[j]
			}
			if !d.Known() || d.Value != 1 {
				allOne[l] = false
			}
			if l >= EinsumLetters && d.Known() && d.Value == 1 {
				continue
			}
			if err := nnCheckDimEq(dims[l], d, "Einsum label "+einLabelName(l)); err != nil {
				return nil, err
			}
			dims[l] = rnnPick(dims[l], d)
		}
	}
	shape := make(ir.Shape, len(out))
	for i, l := range out {
		shape[i] = dims[l]
		if l >= EinsumLetters && allOne[l] {
			shape[i] = ir.DimOf(1)
		}
	}
	return []TypeShape{Ranked(dt, shape)}, nil
}

func init() {
	RegisterSchema(&Schema{Name: "Einsum", Since: 12, MinInputs: 1, MaxInputs: -1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "equation", Type: ir.AttrString, Required: true}},
		Infer: inferEinsum, Doc: "Einstein summation over the operands"})
}

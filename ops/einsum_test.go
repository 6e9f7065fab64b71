package ops

import (
	"errors"
	"slices"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// einL maps a string of letters to labels.
func einL(s string) []int {
	out := []int{}
	for i := range len(s) {
		out = append(out, einLabel(s[i]))
	}
	return out
}

func TestEinsumParseAndBind(t *testing.T) {
	const E = EinsumLetters
	cases := []struct {
		eq    string
		ranks []int
		ins   [][]int
		out   []int
		nEll  int
	}{
		{"ij,jk->ik", []int{2, 2}, [][]int{einL("ij"), einL("jk")}, einL("ik"), 0},
		{"ij,jk", []int{2, 2}, [][]int{einL("ij"), einL("jk")}, einL("ik"), 0},
		{"ba", []int{2}, [][]int{einL("ba")}, einL("ab"), 0},                   // implicit: sorted
		{"Ba,aZ", []int{2, 2}, [][]int{einL("Ba"), einL("aZ")}, einL("BZ"), 0}, // upper before lower
		{"ii", []int{2}, [][]int{einL("ii")}, einL(""), 0},                     // trace
		{"i,i", []int{1, 1}, [][]int{einL("i"), einL("i")}, einL(""), 0},
		{" ... ii -> ... i", []int{3}, [][]int{{E, einLabel('i'), einLabel('i')}}, []int{E, einLabel('i')}, 1},
		{"...ij,...jk", []int{4, 3}, [][]int{{E, E + 1, 8 + 26, 9 + 26}, {E + 1, 9 + 26, 10 + 26}}, []int{E, E + 1, 8 + 26, 10 + 26}, 2},
		{"i...->i", []int{3}, [][]int{{8 + 26, E, E + 1}}, []int{8 + 26}, 2},
		{"...->...", []int{0}, [][]int{{}}, []int{}, 0},
		{"->", []int{0}, [][]int{{}}, []int{}, 0},
		{"a...b,b", []int{2, 1}, [][]int{{26, 27}, {27}}, []int{26}, 0},
	}
	for _, c := range cases {
		e, err := ParseEinsum(c.eq)
		if err != nil {
			t.Fatalf("%q: %v", c.eq, err)
		}
		ins, out, nEll, err := e.Bind(c.ranks)
		if err != nil {
			t.Fatalf("%q: %v", c.eq, err)
		}
		if nEll != c.nEll || !slices.Equal(out, c.out) || len(ins) != len(c.ins) {
			t.Errorf("%q: ins %v out %v nEll %d, want %v %v %d", c.eq, ins, out, nEll, c.ins, c.out, c.nEll)
			continue
		}
		for i := range ins {
			if !slices.Equal(ins[i], c.ins[i]) {
				t.Errorf("%q: input %d labels %v, want %v", c.eq, i, ins[i], c.ins[i])
			}
		}
	}
	for _, eq := range []string{"ij->i,j", "i.j", "i....", "i...j...", "ij->k", "ii->ii", "i1", "ij->i-"} {
		if _, err := ParseEinsum(eq); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%q: got %v, want an invalid-node error", eq, err)
		}
	}
	e, _ := ParseEinsum("ij,jk")
	for _, ranks := range [][]int{{2}, {2, 3}, {1, 2}} {
		if _, _, _, err := e.Bind(ranks); err == nil {
			t.Errorf("ranks %v accepted", ranks)
		}
	}
	e, _ = ParseEinsum("...ij")
	if _, _, _, err := e.Bind([]int{1}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("short ellipsis operand: %v", err)
	}
}

func TestEinsumLabelSizes(t *testing.T) {
	e, _ := ParseEinsum("...ij,...jk")
	ins, _, nEll, _ := e.Bind([]int{3, 4})
	sizes, err := EinsumLabelSizes(ins, [][]int{{5, 2, 3}, {7, 1, 3, 4}}, nEll)
	if err != nil {
		t.Fatal(err)
	}
	if sizes[EinsumLetters] != 7 || sizes[EinsumLetters+1] != 5 || sizes[einLabel('j')] != 3 || sizes[einLabel('k')] != 4 {
		t.Errorf("sizes %v", sizes)
	}
	if _, err := EinsumLabelSizes(ins, [][]int{{5, 2, 3}, {7, 2, 3, 4}}, nEll); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("ellipsis 5 vs 2: %v", err)
	}
	if _, err := EinsumLabelSizes(ins, [][]int{{5, 2, 3}, {7, 1, 1, 4}}, nEll); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("letter 3 vs 1: %v", err)
	}
}

func TestEinsumInfer(t *testing.T) {
	eq := func(s string) *ir.Attribute { return attrStr("equation", s) }
	cases := []struct {
		eq   string
		in   []TypeShape
		want string
	}{
		{"bij,bjk->bik", []TypeShape{nnF("B,2,3"), nnF("B,3,4")}, "B,2,4"},
		{"ij,jk", []TypeShape{nnF("?,3"), nnF("3,K")}, "?,K"},
		{"ij,jk", []TypeShape{nnF("*"), nnF("3,5")}, "?,5"},
		{"...ii->...i", []TypeShape{nnF("3,5,5")}, "3,5"},
		{"...ij,...jk", []TypeShape{nnF("1,2,3"), nnF("6,3,4")}, "6,2,4"},
		{"...ij,...jk", []TypeShape{nnF("1,2,3"), nnF("1,3,4")}, "1,2,4"},
		{"...ij,...jk", []TypeShape{nnF("*"), nnF("3,4")}, "*"},
		{"i,i", []TypeShape{nnF("5"), nnF("5")}, ""},
		{"ij->", []TypeShape{nnF("3,4")}, ""},
		{"i,j->ij", []TypeShape{nnF("3"), nnF("4")}, "3,4"},
	}
	for _, c := range cases {
		got, err := testInfer("", "Einsum", 12, 1, c.in, eq(c.eq))
		nnWantShapes(t, c.eq, got, err, c.want)
	}
	got, err := testInfer("", "Einsum", 12, 1, []TypeShape{{DType: tensor.Int8, Shape: testShape("2,2")}}, eq("ij->ji"))
	if err != nil || got[0].DType != tensor.Int8 {
		t.Errorf("int8: %v %v", got, err)
	}
	for _, c := range []struct {
		name string
		eq   string
		in   []TypeShape
		want error
	}{
		{"terms vs inputs", "ij,jk->ik", []TypeShape{nnF("2,3")}, ErrInvalidNode},
		{"letter sizes", "ij,jk->ik", []TypeShape{nnF("2,3"), nnF("4,5")}, ErrShapeMismatch},
		{"diagonal sizes", "ii->i", []TypeShape{nnF("2,3")}, ErrShapeMismatch},
		{"rank", "ij->i", []TypeShape{nnF("2,3,4")}, ErrShapeMismatch},
		{"types", "i,i", []TypeShape{nnF("2"), {DType: tensor.Float64, Shape: testShape("2")}}, ErrInvalidNode},
		{"bool", "i", []TypeShape{{DType: tensor.Bool, Shape: testShape("2")}}, ErrInvalidNode},
		{"bad equation", "i$", []TypeShape{nnF("2")}, ErrInvalidNode},
	} {
		_, err := testInfer("", "Einsum", 12, 1, c.in, eq(c.eq))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

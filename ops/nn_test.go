package ops

import (
	"errors"
	"strings"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func nnF(s string) TypeShape { return TypeShape{DType: tensor.Float32, Shape: testShape(s)} }

// nnShapeStr formats a shape like testShape's input ("*" for unknown rank).
func nnShapeStr(s ir.Shape) string {
	if s == nil {
		return "*"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

func nnWantShapes(t *testing.T, what string, got []TypeShape, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) < len(want) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		if g := nnShapeStr(got[i].Shape); g != w {
			t.Errorf("%s: output %d shape %s, want %s", what, i, g, w)
		}
	}
}

func TestNNInferConv(t *testing.T) {
	cases := []struct {
		name  string
		x, w  string
		attrs []*ir.Attribute
		want  string
	}{
		{"resnet stem", "N,3,224,224", "64,3,7,7", []*ir.Attribute{attrInts("strides", 2, 2), attrInts("pads", 3, 3, 3, 3)}, "N,64,112,112"},
		{"unknown height", "N,3,?,224", "64,3,7,7", []*ir.Attribute{attrInts("strides", 2, 2), attrInts("pads", 3, 3, 3, 3)}, "N,64,?,112"},
		{"symbolic spatial", "1,3,H,W", "8,3,3,3", nil, "1,8,?,?"},
		{"weight shape unknown, kernel_shape set", "N,3,10,10", "*", []*ir.Attribute{attrInts("kernel_shape", 3, 3)}, "N,?,8,8"},
		{"weight spatial symbolic", "N,3,10,10", "M,3,k,k", nil, "N,M,?,?"},
		{"input rank unknown", "*", "16,4,3,3", nil, "?,16,?,?"},
		{"1-D dilated", "2,4,20", "6,2,3", []*ir.Attribute{attrInt("group", 2), attrInts("dilations", 3)}, "2,6,14"},
		{"3-D SAME_UPPER", "N,1,5,6,7", "2,1,3,3,3", []*ir.Attribute{attrStr("auto_pad", "SAME_UPPER"), attrInts("strides", 2, 2, 2)}, "N,2,3,3,4"},
		{"VALID", "N,1,5,6", "2,1,3,2", []*ir.Attribute{attrStr("auto_pad", "VALID"), attrInts("strides", 2, 3)}, "N,2,2,2"},
		{"depthwise", "N,32,112,112", "32,1,3,3", []*ir.Attribute{attrInt("group", 32), attrInts("pads", 1, 1, 1, 1)}, "N,32,112,112"},
	}
	for _, c := range cases {
		got, err := testInfer("", "Conv", 11, 1, []TypeShape{nnF(c.x), nnF(c.w)}, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want)
	}
	got, err := testInfer("", "Conv", 11, 1, []TypeShape{nnF("*"), nnF("*")})
	nnWantShapes(t, "all unknown", got, err, "*")
	// Bias of unknown size and absent bias.
	got, err = testInfer("", "Conv", 22, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,3,1,1"), nnF("?")})
	nnWantShapes(t, "bias unknown", got, err, "N,4,8,8")
	got, err = testInfer("", "Conv", 1, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,3,1,1"), {Absent: true}})
	nnWantShapes(t, "bias absent", got, err, "N,4,8,8")
}

func TestNNInferConvTranspose(t *testing.T) {
	cases := []struct {
		name  string
		x, w  string
		attrs []*ir.Attribute
		want  string
	}{
		{"default", "N,1,3,3", "1,2,3,3", nil, "N,2,5,5"},
		{"strides, output_padding", "N,1,3,3", "1,2,3,3", []*ir.Attribute{attrInts("strides", 3, 2), attrInts("output_padding", 1, 1)}, "N,2,10,8"},
		{"pads", "N,1,3,3", "1,2,3,3", []*ir.Attribute{attrInts("strides", 3, 2), attrInts("pads", 1, 2, 1, 2)}, "N,2,7,3"},
		{"output_shape with unknown input dims", "N,1,?,?", "1,2,3,3", []*ir.Attribute{attrInts("output_shape", 10, 8)}, "N,2,10,8"},
		{"output_shape with N and C", "N,1,3,3", "1,2,3,3", []*ir.Attribute{attrInts("output_shape", 1, 2, 10, 8)}, "N,2,10,8"},
		{"SAME_UPPER", "N,4,3,5", "4,3,3,3", []*ir.Attribute{attrStr("auto_pad", "SAME_UPPER"), attrInts("strides", 2, 2), attrInt("group", 2)}, "N,6,6,10"},
		{"symbolic weight", "N,4,3", "4,M,3", nil, "N,?,5"},
	}
	for _, c := range cases {
		got, err := testInfer("", "ConvTranspose", 11, 1, []TypeShape{nnF(c.x), nnF(c.w)}, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want)
	}
}

func TestNNInferPools(t *testing.T) {
	ks := func(v ...int64) *ir.Attribute { return attrInts("kernel_shape", v...) }
	got, err := testInfer("", "MaxPool", 12, 2, []TypeShape{nnF("N,C,32,32")}, ks(2, 2))
	nnWantShapes(t, "maxpool", got, err, "N,C,31,31", "N,C,31,31")
	if got[1].DType != tensor.Int64 {
		t.Errorf("MaxPool indices dtype %v", got[1].DType)
	}
	got, err = testInfer("", "MaxPool", 12, 1, []TypeShape{nnF("N,C,112,?")}, ks(3, 3), attrInts("strides", 2, 2), attrInts("pads", 1, 1, 1, 1))
	nnWantShapes(t, "resnet maxpool", got, err, "N,C,56,?")
	got, err = testInfer("", "AveragePool", 11, 1, []TypeShape{nnF("1,1,4,4")}, ks(3, 3), attrInts("strides", 2, 2), attrInt("ceil_mode", 1))
	nnWantShapes(t, "avgpool ceil", got, err, "1,1,2,2")
	got, err = testInfer("", "AveragePool", 19, 1, []TypeShape{nnF("1,1,5")}, ks(2), attrInts("strides", 2), attrInts("pads", 1, 1), attrInt("ceil_mode", 1))
	nnWantShapes(t, "avgpool ceil start rule", got, err, "1,1,3")
	got, err = testInfer("", "LpPool", 18, 1, []TypeShape{nnF("N,2,7,7,7")}, ks(2, 2, 2), attrStr("auto_pad", "SAME_LOWER"), attrInts("strides", 2, 2, 2))
	nnWantShapes(t, "lppool 3-D same", got, err, "N,2,4,4,4")
	got, err = testInfer("", "MaxPool", 12, 1, []TypeShape{nnF("*")}, ks(3, 3))
	nnWantShapes(t, "maxpool unknown rank", got, err, "?,?,?,?")
	for _, op := range []string{"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"} {
		got, err = testInfer("", op, 2, 1, []TypeShape{nnF("N,C,H,W")})
		nnWantShapes(t, op, got, err, "N,C,1,1")
		got, err = testInfer("", op, 22, 1, []TypeShape{nnF("*")})
		nnWantShapes(t, op+" unknown rank", got, err, "*")
	}
}

func TestNNInferNormAndMat(t *testing.T) {
	p := nnF("C")
	got, err := testInfer("", "BatchNormalization", 15, 1, []TypeShape{nnF("N,C,H,W"), p, p, p, p})
	nnWantShapes(t, "batchnorm", got, err, "N,C,H,W")
	got, err = testInfer("", "BatchNormalization", 15, 3, []TypeShape{nnF("N,16,H,W"), p, p, p, p}, attrInt("training_mode", 1))
	nnWantShapes(t, "batchnorm training", got, err, "N,16,H,W", "16", "16")
	got, err = testInfer("", "InstanceNormalization", 6, 1, []TypeShape{nnF("N,C,L"), p, p})
	nnWantShapes(t, "instancenorm", got, err, "N,C,L")
	got, err = testInfer("", "LRN", 13, 1, []TypeShape{nnF("N,C,H,W")}, attrInt("size", 5))
	nnWantShapes(t, "lrn", got, err, "N,C,H,W")
	got, err = testInfer("", "LpNormalization", 1, 1, []TypeShape{nnF("N,D")})
	nnWantShapes(t, "lpnorm", got, err, "N,D")

	got, err = testInfer("", "Gemm", 13, 1, []TypeShape{nnF("N,512"), nnF("1000,512"), nnF("1000")}, attrInt("transB", 1))
	nnWantShapes(t, "gemm fc", got, err, "N,1000")
	got, err = testInfer("", "Gemm", 11, 1, []TypeShape{nnF("K,M"), nnF("K,N")}, attrInt("transA", 1))
	nnWantShapes(t, "gemm transA", got, err, "M,N")
	got, err = testInfer("", "Gemm", 7, 1, []TypeShape{nnF("3,4"), nnF("4,5"), nnF("3,1")})
	nnWantShapes(t, "gemm opset 7", got, err, "3,5")

	for _, c := range [][3]string{
		{"B,S,K", "K,N", "B,S,N"},
		{"B,1,S,K", "H,K,S", "B,H,S,S"},
		{"K", "K,N", "N"},
		{"M,K", "K", "M"},
		{"K", "K", ""},
		{"B,M,K", "K", "B,M"},
		{"2,?,K", "?,K,3", "2,?,3"},
		{"*", "K,N", "*"},
	} {
		got, err = testInfer("", "MatMul", 13, 1, []TypeShape{nnF(c[0]), nnF(c[1])})
		nnWantShapes(t, "matmul "+c[0]+" x "+c[1], got, err, c[2])
	}
}

func TestNNInferErrors(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		opset int64
		nOut  int
		in    []TypeShape
		attrs []*ir.Attribute
		want  error
	}{
		{"conv channels", "Conv", 11, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,2,3,3")}, nil, ErrShapeMismatch},
		{"conv group channels", "Conv", 11, 1, []TypeShape{nnF("N,C,8,8"), nnF("6,2,3,3")}, []*ir.Attribute{attrInt("group", 4)}, ErrShapeMismatch},
		{"conv kernel too big", "Conv", 11, 1, []TypeShape{nnF("N,3,4,8"), nnF("4,3,5,3")}, nil, ErrShapeMismatch},
		{"conv bad strides", "Conv", 11, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,3,3,3")}, []*ir.Attribute{attrInts("strides", 1, 2, 3)}, ErrInvalidNode},
		{"conv bias", "Conv", 11, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,3,3,3"), nnF("5")}, nil, ErrShapeMismatch},
		{"conv rank", "Conv", 11, 1, []TypeShape{nnF("N,3,8,8"), nnF("4,3,3")}, nil, ErrShapeMismatch},
		{"pool rank", "MaxPool", 12, 1, []TypeShape{nnF("N,3,8")}, []*ir.Attribute{attrInts("kernel_shape", 2, 2)}, ErrShapeMismatch},
		{"pool pads", "AveragePool", 11, 1, []TypeShape{nnF("N,3,8,8")}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("pads", 1, 1)}, ErrInvalidNode},
		{"gemm inner", "Gemm", 13, 1, []TypeShape{nnF("M,4"), nnF("5,N")}, nil, ErrShapeMismatch},
		{"gemm C", "Gemm", 13, 1, []TypeShape{nnF("3,4"), nnF("4,5"), nnF("2,5")}, nil, ErrShapeMismatch},
		{"gemm C absent before 11", "Gemm", 9, 1, []TypeShape{nnF("3,4"), nnF("4,5")}, nil, ErrInvalidNode},
		{"matmul inner", "MatMul", 13, 1, []TypeShape{nnF("B,3,4"), nnF("5,6")}, nil, ErrShapeMismatch},
		{"matmul batch", "MatMul", 13, 1, []TypeShape{nnF("2,3,4"), nnF("3,4,6")}, nil, ErrShapeMismatch},
		{"bn channels", "BatchNormalization", 15, 1, []TypeShape{nnF("N,3,H"), nnF("4"), nnF("3"), nnF("3"), nnF("3")}, nil, ErrShapeMismatch},
		{"bn training outputs without training_mode", "BatchNormalization", 15, 3, []TypeShape{nnF("N,3"), nnF("3"), nnF("3"), nnF("3"), nnF("3")}, nil, ErrInvalidNode},
		{"bn training_mode 2", "BatchNormalization", 15, 1, []TypeShape{nnF("N,3"), nnF("3"), nnF("3"), nnF("3"), nnF("3")}, []*ir.Attribute{attrInt("training_mode", 2)}, ErrInvalidNode},
		{"convT output_shape zero", "ConvTranspose", 11, 1, []TypeShape{nnF("N,1,3,3"), nnF("1,1,3,3")}, []*ir.Attribute{attrInts("output_shape", 0, 4)}, ErrInvalidNode},
	}
	for _, c := range cases {
		_, err := testInfer("", c.op, c.opset, c.nOut, c.in, c.attrs...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

func TestNNSchemaVersions(t *testing.T) {
	cases := []struct {
		op       string
		opset    int64
		since    int64
		has, not []string
		maxOut   int
	}{
		{"Conv", 10, 1, []string{"auto_pad", "group"}, nil, 1},
		{"Conv", 21, 11, nil, nil, 1},
		{"MaxPool", 7, 1, []string{"pads"}, []string{"storage_order", "ceil_mode", "dilations"}, 1},
		{"MaxPool", 9, 8, []string{"storage_order"}, []string{"ceil_mode"}, 2},
		{"MaxPool", 13, 12, []string{"ceil_mode", "dilations"}, nil, 2},
		{"AveragePool", 7, 7, []string{"count_include_pad"}, []string{"ceil_mode"}, 1},
		{"AveragePool", 18, 11, []string{"ceil_mode"}, []string{"dilations"}, 1},
		{"AveragePool", 21, 19, []string{"dilations"}, nil, 1},
		{"LpPool", 17, 11, []string{"p"}, []string{"ceil_mode"}, 1},
		{"LpPool", 22, 22, []string{"ceil_mode", "dilations"}, nil, 1},
		{"BatchNormalization", 8, 7, []string{"spatial"}, []string{"is_test"}, 5},
		{"BatchNormalization", 13, 9, nil, []string{"spatial", "training_mode"}, 5},
		{"BatchNormalization", 14, 14, []string{"training_mode"}, nil, 3},
		{"Gemm", 6, 6, []string{"broadcast"}, nil, 1},
		{"Gemm", 10, 9, nil, []string{"broadcast"}, 1},
		{"MatMul", 12, 9, nil, nil, 1},
		{"InstanceNormalization", 5, 1, []string{"consumed_inputs"}, nil, 1},
		{"LRN", 12, 1, []string{"size"}, nil, 1},
		{"GlobalLpPool", 1, 1, []string{"p"}, nil, 1},
	}
	for _, c := range cases {
		s := LookupSchema("", c.op, c.opset)
		if s == nil {
			t.Errorf("%s opset %d: no schema", c.op, c.opset)
			continue
		}
		if s.Since != c.since || s.MaxOutputs != c.maxOut {
			t.Errorf("%s opset %d: since %d maxOut %d, want %d %d", c.op, c.opset, s.Since, s.MaxOutputs, c.since, c.maxOut)
		}
		for _, a := range c.has {
			if s.Attr(a) == nil {
				t.Errorf("%s opset %d: no attribute %s", c.op, c.opset, a)
			}
		}
		for _, a := range c.not {
			if s.Attr(a) != nil {
				t.Errorf("%s opset %d: unexpected attribute %s", c.op, c.opset, a)
			}
		}
	}
	if p := LookupSchema("", "LpPool", 1).Attr("p"); p.Type != ir.AttrFloat {
		t.Errorf("LpPool-1 p is %v, want float", p.Type)
	}
	if LookupSchema("", "Gemm", 11).MinInputs != 2 || LookupSchema("", "Gemm", 10).MinInputs != 3 {
		t.Error("Gemm: C must be optional from opset 11 only")
	}
}

func TestNNSpatialWindow(t *testing.T) {
	mk := func(k, s, d, pb, pe int, auto string, ceil bool) *SpatialWindow {
		return &SpatialWindow{Kernel: []int{k}, Strides: []int{s}, Dilations: []int{d}, Pads: []int{pb, pe}, AutoPad: auto, CeilMode: ceil,
			OutputPadding: []int{0}}
	}
	cases := []struct {
		w                   *SpatialWindow
		in                  int
		out, pb, pe         int
		wantErr             bool
		transposed          bool
		outputShape, outPad int
	}{
		{w: mk(3, 1, 1, 0, 0, "NOTSET", false), in: 5, out: 3},
		{w: mk(3, 2, 1, 1, 1, "NOTSET", false), in: 5, out: 3, pb: 1, pe: 1},
		{w: mk(3, 2, 1, 0, 0, "NOTSET", false), in: 6, out: 2},
		{w: mk(3, 2, 1, 0, 0, "NOTSET", true), in: 6, out: 3},               // ceil: last window at 4, inside
		{w: mk(2, 2, 1, 1, 1, "NOTSET", true), in: 5, out: 3, pb: 1, pe: 1}, // ceil would start in right pad
		{w: mk(3, 1, 2, 0, 0, "NOTSET", false), in: 5, out: 1},
		{w: mk(3, 1, 2, 0, 0, "NOTSET", false), in: 4, wantErr: true},
		{w: mk(2, 1, 1, 0, 0, "SAME_UPPER", false), in: 4, out: 4, pb: 0, pe: 1},
		{w: mk(2, 1, 1, 0, 0, "SAME_LOWER", false), in: 4, out: 4, pb: 1, pe: 0},
		{w: mk(3, 2, 1, 0, 0, "SAME_UPPER", false), in: 5, out: 3, pb: 1, pe: 1},
		{w: mk(4, 2, 1, 0, 0, "SAME_LOWER", false), in: 5, out: 3, pb: 2, pe: 1},
		{w: mk(1, 3, 1, 0, 0, "SAME_UPPER", false), in: 5, out: 2, pb: 0, pe: 0}, // total pad negative -> 0
		{w: mk(3, 3, 1, 9, 9, "VALID", false), in: 7, out: 2},
		{w: mk(3, 1, 1, 0, 0, "NOTSET", false), in: 0, wantErr: true},
		{w: mk(3, 2, 1, 0, 0, "NOTSET", false), in: 3, out: 7, transposed: true},
		{w: mk(3, 2, 1, 1, 2, "NOTSET", false), in: 3, out: 4, pb: 1, pe: 2, transposed: true},
		{w: mk(3, 2, 1, 0, 0, "SAME_UPPER", false), in: 3, out: 6, pb: 0, pe: 1, transposed: true},
		{w: mk(3, 2, 1, 0, 0, "SAME_LOWER", false), in: 3, out: 6, pb: 1, pe: 0, transposed: true},
		{w: mk(3, 2, 1, 0, 0, "NOTSET", false), in: 3, out: 9, pb: 0, pe: -2, transposed: true, outputShape: 9},
		{w: mk(3, 2, 1, 0, 0, "NOTSET", false), in: 3, out: 4, pb: 2, pe: 1, transposed: true, outputShape: 4},
		{w: mk(3, 2, 1, 4, 3, "NOTSET", false), in: 3, wantErr: true, transposed: true},
	}
	for i, c := range cases {
		var out, pb, pe int
		var err error
		if c.transposed {
			if c.outputShape > 0 {
				c.w.OutputShape = []int{c.outputShape}
			}
			out, pb, pe, err = c.w.TransposedOutDim(0, c.in)
		} else {
			out, pb, pe, err = c.w.OutDim(0, c.in)
		}
		if c.wantErr {
			if err == nil {
				t.Errorf("case %d: no error", i)
			}
			continue
		}
		if err != nil || out != c.out || pb != c.pb || pe != c.pe {
			t.Errorf("case %d (%+v, in %d): got %d %d %d %v, want %d %d %d", i, *c.w, c.in, out, pb, pe, err, c.out, c.pb, c.pe)
		}
	}
}

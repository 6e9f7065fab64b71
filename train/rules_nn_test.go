package train

import (
	"fmt"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// TestGradConv checks Conv's gradients for X, W and B over 1-D, 2-D and
// 3-D convolutions with groups (including depthwise), strides, dilations,
// explicit and automatic padding.
func TestGradConv(t *testing.T) {
	cases := []struct {
		name      string
		x, w      []int
		bias      bool
		attrs     []*ir.Attribute
		symbolicX bool
	}{
		{name: "2d", x: []int{2, 3, 5, 5}, w: []int{4, 3, 3, 3}, bias: true},
		{name: "2d-pad-stride", x: []int{1, 2, 6, 5}, w: []int{3, 2, 3, 2}, bias: true,
			attrs: []*ir.Attribute{attrInts("pads", 1, 0, 2, 1), attrInts("strides", 2, 2)}},
		{name: "2d-dilation", x: []int{1, 2, 7, 7}, w: []int{2, 2, 3, 3},
			attrs: []*ir.Attribute{attrInts("dilations", 2, 1), attrInts("pads", 1, 1, 1, 1)}},
		{name: "2d-groups", x: []int{2, 4, 5, 4}, w: []int{6, 2, 2, 3}, bias: true,
			attrs: []*ir.Attribute{attrInt("group", 2), attrInts("strides", 1, 2)}},
		{name: "depthwise", x: []int{1, 3, 5, 5}, w: []int{3, 1, 3, 3},
			attrs: []*ir.Attribute{attrInt("group", 3), attrInts("pads", 1, 1, 1, 1)}},
		{name: "same-upper", x: []int{1, 2, 5, 6}, w: []int{2, 2, 3, 3},
			attrs: []*ir.Attribute{attrString("auto_pad", "SAME_UPPER"), attrInts("strides", 2, 2)}},
		{name: "same-lower", x: []int{1, 1, 4, 4}, w: []int{2, 1, 2, 2},
			attrs: []*ir.Attribute{attrString("auto_pad", "SAME_LOWER")}},
		{name: "valid-kernel-shape", x: []int{1, 2, 5, 5}, w: []int{2, 2, 2, 2},
			attrs: []*ir.Attribute{attrString("auto_pad", "VALID"), attrInts("kernel_shape", 2, 2), attrInts("strides", 3, 3)}},
		{name: "1d", x: []int{2, 2, 9}, w: []int{3, 2, 3}, bias: true,
			attrs: []*ir.Attribute{attrInts("strides", 2), attrInts("pads", 2, 1), attrInts("dilations", 2)}},
		{name: "3d", x: []int{1, 2, 4, 3, 4}, w: []int{2, 2, 2, 2, 2}, bias: true,
			attrs: []*ir.Attribute{attrInts("pads", 1, 0, 0, 0, 1, 1)}},
		{name: "1x1", x: []int{2, 3, 3, 3}, w: []int{2, 3, 1, 1}, bias: true},
		{name: "symbolic-batch", x: []int{2, 2, 4, 4}, w: []int{2, 2, 3, 3}, bias: true, symbolicX: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newGrGraph(13)
			var x string
			if tc.symbolicX {
				x = b.symInput("x", b.rand(-1, 1, tc.x...))
			} else {
				x = b.input("x", b.rand(-1, 1, tc.x...))
			}
			ins := []string{x, b.init("w", b.rand(-1, 1, tc.w...))}
			wrt := []string{"x", "w"}
			if tc.bias {
				ins = append(ins, b.init("b", b.rand(-1, 1, tc.w[0])))
				wrt = append(wrt, "b")
			}
			y := b.op("Conv", ins, tc.attrs...)
			grCheck(t, b, b.weightedLoss(t, y), wrt, 1e-6, 1e-5)
		})
	}
}

// TestGradGemm checks every combination of transA and transB with alpha,
// beta and each broadcast form of C, and Gemm without C (opset 11+) and
// at opset 9 (where the gradient Gemms need a C).
func TestGradGemm(t *testing.T) {
	cShapes := [][]int{nil, {}, {4}, {1, 4}, {3, 1}, {3, 4}}
	for _, opset := range []int64{9, 13} {
		for _, ta := range []int64{0, 1} {
			for _, tb := range []int64{0, 1} {
				for _, cs := range cShapes {
					if cs == nil && opset < 11 {
						continue
					}
					t.Run(fmt.Sprintf("opset%d/tA%d/tB%d/C%v", opset, ta, tb, cs), func(t *testing.T) {
						b := newGrGraph(opset)
						as, bs := []int{3, 5}, []int{5, 4}
						if ta == 1 {
							as = []int{5, 3}
						}
						if tb == 1 {
							bs = []int{4, 5}
						}
						ins := []string{b.input("a", b.rand(-1, 1, as...)), b.init("b", b.rand(-1, 1, bs...))}
						wrt := []string{"a", "b"}
						if cs != nil {
							ins = append(ins, b.init("c", b.rand(-1, 1, cs...)))
							wrt = append(wrt, "c")
						}
						y := b.op("Gemm", ins, attrInt("transA", ta), attrInt("transB", tb),
							attrFloat("alpha", 0.7), attrFloat("beta", 1.3))
						grCheck(t, b, b.weightedLoss(t, y), wrt, 1e-6, 1e-5)
					})
				}
			}
		}
	}
}

// TestGradMatMul checks numpy matmul: matrices, vectors on either side,
// batches and broadcast batches.
func TestGradMatMul(t *testing.T) {
	cases := [][2][]int{
		{{3, 4}, {4, 2}},
		{{4}, {4, 2}},
		{{3, 4}, {4}},
		{{4}, {4}},
		{{2, 3, 4}, {2, 4, 5}},
		{{2, 3, 4}, {4, 5}},
		{{3, 4}, {2, 4, 5}},
		{{2, 1, 3, 4}, {3, 4, 2}},
		{{4}, {2, 4, 3}},
		{{2, 3, 4}, {4}},
	}
	for _, sym := range []bool{false, true} {
		for _, sh := range cases {
			t.Run(fmt.Sprintf("sym=%v/%vx%v", sym, sh[0], sh[1]), func(t *testing.T) {
				b := newGrGraph(13)
				in := b.input
				if sym {
					in = b.symInput
				}
				y := b.op("MatMul", []string{in("a", b.rand(-1, 1, sh[0]...)), in("b", b.rand(-1, 1, sh[1]...))})
				grCheck(t, b, b.weightedLoss(t, y), []string{"a", "b"}, 1e-6, 1e-5)
			})
		}
	}
}

// TestGradPools checks MaxPool, AveragePool (count_include_pad, pads,
// strides, ceil_mode, dilations), GlobalAveragePool and GlobalMaxPool.
func TestGradPools(t *testing.T) {
	cases := []struct {
		op    string
		opset int64
		x     []int
		attrs []*ir.Attribute
	}{
		{"MaxPool", 13, []int{2, 2, 6, 6}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)}},
		{"MaxPool", 13, []int{1, 2, 5, 5}, []*ir.Attribute{attrInts("kernel_shape", 3, 3), attrInts("pads", 1, 1, 1, 1)}},
		{"MaxPool", 13, []int{1, 1, 7, 6}, []*ir.Attribute{attrInts("kernel_shape", 3, 2), attrInts("strides", 2, 2), attrInt("ceil_mode", 1)}},
		{"MaxPool", 13, []int{1, 1, 7, 7}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("dilations", 2, 2)}},
		{"MaxPool", 13, []int{1, 2, 5, 5}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrString("auto_pad", "SAME_UPPER")}},
		{"MaxPool", 9, []int{1, 2, 8}, []*ir.Attribute{attrInts("kernel_shape", 3), attrInts("strides", 1)}},
		{"AveragePool", 13, []int{2, 2, 6, 6}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)}},
		{"AveragePool", 13, []int{1, 2, 5, 5}, []*ir.Attribute{attrInts("kernel_shape", 3, 3), attrInts("pads", 1, 1, 1, 1)}},
		{"AveragePool", 13, []int{1, 2, 5, 5}, []*ir.Attribute{attrInts("kernel_shape", 3, 3), attrInts("pads", 1, 1, 1, 1), attrInt("count_include_pad", 1)}},
		{"AveragePool", 13, []int{1, 1, 7, 6}, []*ir.Attribute{attrInts("kernel_shape", 3, 2), attrInts("strides", 2, 2), attrInt("ceil_mode", 1), attrInts("pads", 1, 0, 0, 1), attrInt("count_include_pad", 1)}},
		{"AveragePool", 19, []int{1, 1, 7, 7}, []*ir.Attribute{attrInts("kernel_shape", 2, 2), attrInts("dilations", 2, 2)}},
		{"AveragePool", 13, []int{1, 2, 5, 5}, []*ir.Attribute{attrInts("kernel_shape", 2, 3), attrString("auto_pad", "SAME_LOWER")}},
		{"AveragePool", 13, []int{1, 2, 4, 3, 4}, []*ir.Attribute{attrInts("kernel_shape", 2, 2, 2)}},
		{"GlobalAveragePool", 13, []int{2, 3, 4, 5}, nil},
		{"GlobalAveragePool", 13, []int{2, 3, 7}, nil},
		{"GlobalMaxPool", 13, []int{2, 3, 4, 5}, nil},
	}
	for _, tc := range cases {
		for _, sym := range []bool{false, true} {
			if sym && tc.op == "GlobalMaxPool" {
				continue // needs the spatial dims when the graph is built
			}
			t.Run(fmt.Sprintf("%s/%v/%d/sym=%v", tc.op, tc.x, len(tc.attrs), sym), func(t *testing.T) {
				b := newGrGraph(tc.opset)
				in := b.input
				if sym {
					in = b.symInput
				}
				// Distinct values, so that every window has one maximum.
				x := b.rand(-1, 1, tc.x...)
				perm := b.rng.Perm(x.Len())
				for i := range tensor.Data[float64](x) {
					tensor.Data[float64](x)[i] = float64(perm[i])/float64(len(perm)) - 0.5
				}
				y := b.op(tc.op, []string{in("x", x)}, tc.attrs...)
				grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
			})
		}
	}
}

// TestGradBatchNorm checks BatchNormalization's gradients for X, scale and
// B in training mode (batch statistics; 2-D and 4-D inputs) and in
// inference mode, and that the running statistics are outputs.
func TestGradBatchNorm(t *testing.T) {
	for _, training := range []int64{1, 0} {
		for _, xs := range [][]int{{4, 3}, {2, 3, 4, 5}, {3, 2, 5}} {
			t.Run(fmt.Sprintf("training=%d/%v", training, xs), func(t *testing.T) {
				b := newGrGraph(15)
				c := xs[1]
				ins := []string{b.input("x", b.rand(-2, 2, xs...)), b.init("scale", b.rand(0.5, 1.5, c)),
					b.init("bias", b.rand(-1, 1, c)), b.init("mean", b.rand(-0.5, 0.5, c)), b.init("var", b.rand(0.5, 2, c))}
				outs := []string{"y"}
				if training == 1 {
					outs = append(outs, "rm", "rv")
				}
				b.node("BatchNormalization", ins, outs, attrInt("training_mode", training), attrFloat("epsilon", 1e-3))
				loss := b.weightedLoss(t, "y")
				if training == 1 {
					b.output("rm")
					b.output("rv")
				}
				grCheck(t, b, loss, []string{"x", "scale", "bias"}, 1e-6, 1e-5)
			})
		}
	}
}

// TestGradDropout checks Dropout: in training mode with a seed the mask is
// the same on every Run, so central differences see the same function;
// the mask output is created when the node lacks it. In inference mode,
// and for opsets without training mode, the gradient is dY.
func TestGradDropout(t *testing.T) {
	cases := []struct {
		name  string
		opset int64
		build func(b *grGraph, x string) string
	}{
		{"train-seed-ratio", 13, func(b *grGraph, x string) string {
			return b.op("Dropout", []string{x, b.init("r", tensor.Scalar(float32(0.3))), b.init("t", tensor.Scalar(true))}, attrInt("seed", 7))
		}},
		{"train-default-ratio-mask", 13, func(b *grGraph, x string) string {
			b.node("Dropout", []string{x, "", b.init("t", tensor.Scalar(true))}, []string{"y", "m"}, attrInt("seed", 3))
			return "y"
		}},
		{"train-input-mode", 13, func(b *grGraph, x string) string {
			return b.op("Dropout", []string{x, b.init("r", tensor.Scalar(0.6)), b.input("t", tensor.Scalar(true))}, attrInt("seed", 9))
		}},
		{"inference-input-mode", 13, func(b *grGraph, x string) string {
			return b.op("Dropout", []string{x, b.init("r", tensor.Scalar(0.6)), b.input("t", tensor.Scalar(false))}, attrInt("seed", 9))
		}},
		{"inference", 13, func(b *grGraph, x string) string { return b.op("Dropout", []string{x}) }},
		{"opset10", 10, func(b *grGraph, x string) string { return b.op("Dropout", []string{x}, attrFloat("ratio", 0.4)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newGrGraph(tc.opset)
			x := b.input("x", b.rand(-1, 1, 4, 6))
			y := tc.build(b, x)
			y = b.op("Tanh", []string{y})
			grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
		})
	}
}

// TestGradSoftmax checks Softmax and LogSoftmax along every axis, with
// opset 13's semantics and the older flatten-at-axis semantics.
func TestGradSoftmax(t *testing.T) {
	for _, op := range []string{"Softmax", "LogSoftmax"} {
		for _, opset := range []int64{11, 13} {
			for _, axis := range []int64{-1, 0, 1, 2} {
				t.Run(fmt.Sprintf("%s/opset%d/axis%d", op, opset, axis), func(t *testing.T) {
					b := newGrGraph(opset)
					y := b.op(op, []string{b.input("x", b.rand(-2, 2, 2, 3, 4))}, attrInt("axis", axis))
					grCheck(t, b, b.weightedLoss(t, y), []string{"x"}, 1e-6, 1e-5)
				})
			}
		}
	}
}

// TestGradLosses checks SoftmaxCrossEntropyLoss and
// NegativeLogLikelihoodLoss: every reduction, class weights, ignore_index,
// and N-D inputs.
func TestGradLosses(t *testing.T) {
	for _, op := range []string{"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"} {
		for _, red := range []string{"mean", "sum", "none"} {
			for _, weighted := range []bool{false, true} {
				for _, nd := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/w=%v/nd=%v", op, red, weighted, nd), func(t *testing.T) {
						b := newGrGraph(13)
						xs, ls := []int{4, 5}, []int{4}
						if nd {
							xs, ls = []int{2, 5, 3}, []int{2, 3}
						}
						labels := tensor.Must(tensor.New(tensor.Int64, ls...))
						for i := range tensor.Data[int64](labels) {
							tensor.Data[int64](labels)[i] = int64(b.rng.IntN(5))
						}
						tensor.Data[int64](labels)[1] = 2 // the ignored class, at least once
						ins := []string{b.input("x", b.rand(-2, 2, xs...)), b.input("labels", labels)}
						if weighted {
							ins = append(ins, b.init("weights", b.rand(0.5, 2, 5)))
						}
						y := b.op(op, ins, attrString("reduction", red), attrInt("ignore_index", 2))
						if red == "none" {
							y = b.weightedLoss(t, y)
						} else {
							b.output(y)
						}
						grCheck(t, b, y, []string{"x"}, 1e-6, 1e-5)
					})
				}
			}
		}
	}
}

package generic

import (
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// shpBench times op's generic kernel on fixed inputs with preallocated
// outputs, as a session runs it, reporting bytes moved per second.
func shpBench(b *testing.B, op string, opset int64, in []*tensor.Tensor, attrs ...*ir.Attribute) {
	ts := make([]ops.TypeShape, len(in))
	for i, x := range in {
		ts[i] = ops.Known(x)
	}
	k := shpKernel(&testing.T{}, op, opset, ts, 1, attrs...)
	outs, err := evalNode("", op, opset, 1, in, attrs...)
	if err != nil {
		b.Fatal(err)
	}
	out := []*tensor.Tensor{tensor.Must(tensor.New(outs[0].DType(), outs[0].Shape()...))}
	b.SetBytes(int64(out[0].Len() * out[0].DType().Size()))
	b.ReportAllocs()
	ec := &ops.ExecContext{Threads: 1}
	for b.Loop() {
		if err := k.Run(ec, in, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShpTranspose(b *testing.B) {
	b.Run("generic/NCHW-NHWC/1x64x56x56", func(b *testing.B) {
		shpBench(b, "Transpose", 13, []*tensor.Tensor{shpIota(1, 64, 56, 56)}, attrInts("perm", 0, 2, 3, 1))
	})
	b.Run("generic/heads/1x128x12x64", func(b *testing.B) {
		shpBench(b, "Transpose", 13, []*tensor.Tensor{shpIota(1, 128, 12, 64)}, attrInts("perm", 0, 2, 1, 3))
	})
}

func BenchmarkShpConcat(b *testing.B) {
	b.Run("generic/channels/2x1x64x56x56", func(b *testing.B) {
		x := shpIota(1, 64, 56, 56)
		shpBench(b, "Concat", 13, []*tensor.Tensor{x, x}, attrInt("axis", 1))
	})
}

func BenchmarkShpGather(b *testing.B) {
	b.Run("generic/embedding/30000x768[128]", func(b *testing.B) {
		idx := tensor.Must(tensor.New(tensor.Int64, 1, 128))
		for i := range tensor.Data[int64](idx) {
			tensor.Data[int64](idx)[i] = int64(i * 211)
		}
		shpBench(b, "Gather", 13, []*tensor.Tensor{shpIota(30000, 768), idx})
	})
}

func BenchmarkShpSlice(b *testing.B) {
	b.Run("generic/half-channels/1x128x56x56", func(b *testing.B) {
		shpBench(b, "Slice", 13, []*tensor.Tensor{shpIota(1, 128, 56, 56), shpI64(64), shpI64(128), shpI64(1)})
	})
}

func BenchmarkShpPad(b *testing.B) {
	b.Run("generic/constant/1x64x56x56+1", func(b *testing.B) {
		shpBench(b, "Pad", 13, []*tensor.Tensor{shpIota(1, 64, 56, 56), shpI64(0, 0, 1, 1, 0, 0, 1, 1)})
	})
	b.Run("generic/reflect/1x64x56x56+3", func(b *testing.B) {
		shpBench(b, "Pad", 13, []*tensor.Tensor{shpIota(1, 64, 56, 56), shpI64(0, 0, 3, 3, 0, 0, 3, 3)}, attrStr("mode", "reflect"))
	})
}

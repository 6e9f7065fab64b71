package ops

import (
	"testing"

	"github.com/onyxml/onyx/tensor"
)

func TestW2bMiscInferShrink(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float16, tensor.Int8, tensor.Uint64} {
		got, err := testInfer("", "Shrink", 9, 1, []TypeShape{selTS(dt, "N,3")}, attrFloat("lambd", 1))
		nnWantShapes(t, "Shrink "+dt.String(), got, err, "N,3")
		if err == nil && got[0].DType != dt {
			t.Errorf("Shrink: output %v, want %v", got[0].DType, dt)
		}
	}
	for _, dt := range []tensor.DType{tensor.Bool, tensor.String} {
		_, err := testInfer("", "Shrink", 9, 1, []TypeShape{selTS(dt, "3")})
		selWantInvalid(t, "Shrink "+dt.String(), err)
	}
	if d := LookupSchema("", "Shrink", 9).Attr("lambd"); d.Default != float32(0.5) {
		t.Errorf("Shrink lambd default %v, want 0.5", d.Default)
	}
}

func TestW2bMiscInferDet(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"3,3", ""}, {"B,4,4", "B"}, {"2,5,?,M", "2,5"}, {"*", "*"}, {"0,0", ""},
	} {
		for _, opset := range []int64{11, 22} {
			got, err := testInfer("", "Det", opset, 1, []TypeShape{selTS(tensor.Float64, c.in)})
			nnWantShapes(t, "Det "+c.in, got, err, c.want)
		}
	}
	for _, c := range []TypeShape{selTS(tensor.Float32, "3,4"), selTS(tensor.Float32, "3"), selTS(tensor.Int32, "2,2")} {
		_, err := testInfer("", "Det", 11, 1, []TypeShape{c})
		selWantInvalid(t, "Det "+c.String(), err)
	}
}

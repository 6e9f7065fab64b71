package ops

import (
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// sigVal is a TypeShape with a known scalar value.
func sigVal[T tensor.Elem](v T) TypeShape { return Known(tensor.Scalar(v)) }

func TestSigInferDFT(t *testing.T) {
	f32 := tensor.Float32
	absent := TypeShape{Absent: true}
	i64 := qntTS(tensor.Int64, "")
	for _, c := range []struct {
		name  string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
		want  string
	}{
		{"17 default axis 1", 17, []TypeShape{qntTS(f32, "N,10,3,1")}, nil, "N,10,3,2"},
		{"17 axis 2", 17, []TypeShape{qntTS(f32, "N,10,3,1")}, []*ir.Attribute{attrInt("axis", 2)}, "N,10,3,2"},
		{"17 onesided", 17, []TypeShape{qntTS(f32, "N,10,1")}, []*ir.Attribute{attrInt("onesided", 1)}, "N,6,2"},
		{"17 dft_length value", 17, []TypeShape{qntTS(f32, "N,10,2"), sigVal(int64(16))}, nil, "N,16,2"},
		{"17 dft_length unknown", 17, []TypeShape{qntTS(f32, "N,10,2"), i64}, nil, "N,?,2"},
		{"17 symbolic axis dim", 17, []TypeShape{qntTS(f32, "N,L,1")}, nil, "N,L,2"},
		{"17 symbolic axis dim, onesided", 17, []TypeShape{qntTS(f32, "N,L,1")}, []*ir.Attribute{attrInt("onesided", 1)}, "N,?,2"},
		{"20 default axis -2", 20, []TypeShape{qntTS(f32, "4,10,2")}, nil, "4,10,2"},
		{"20 axis value", 20, []TypeShape{qntTS(f32, "4,10,1"), absent, sigVal(int64(0))}, []*ir.Attribute{attrInt("onesided", 1)}, "3,10,2"},
		{"20 axis unknown", 20, []TypeShape{qntTS(f32, "4,10,1"), absent, i64}, nil, "?,?,2"},
		{"20 irfft", 20, []TypeShape{qntTS(f32, "N,5,2")}, []*ir.Attribute{attrInt("onesided", 1), attrInt("inverse", 1)}, "N,8,1"},
		{"20 irfft length", 20, []TypeShape{qntTS(f32, "N,5,2"), sigVal(int32(9))}, []*ir.Attribute{attrInt("onesided", 1), attrInt("inverse", 1)}, "N,9,1"},
		{"unknown rank", 20, []TypeShape{qntTS(f32, "*")}, nil, "*"},
	} {
		got, err := testInfer("", "DFT", c.opset, 1, c.in, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want)
	}
	for _, c := range []struct {
		name  string
		opset int64
		in    []TypeShape
		attrs []*ir.Attribute
	}{
		{"last dim 3", 17, []TypeShape{qntTS(f32, "N,10,3")}, nil},
		{"axis on the complex dim", 17, []TypeShape{qntTS(f32, "N,10,1")}, []*ir.Attribute{attrInt("axis", -1)}},
		{"rank 1", 20, []TypeShape{qntTS(f32, "10")}, nil},
		{"onesided complex", 20, []TypeShape{qntTS(f32, "2,10,2")}, []*ir.Attribute{attrInt("onesided", 1)}},
		{"dft_length float", 17, []TypeShape{qntTS(f32, "2,10,1"), qntTS(f32, "")}, nil},
		{"dft_length 0", 17, []TypeShape{qntTS(f32, "N,10,1"), sigVal(int64(0))}, nil},
		{"axis value out of range", 20, []TypeShape{qntTS(f32, "N,10,1"), absent, sigVal(int64(2))}, nil},
	} {
		_, err := testInfer("", "DFT", c.opset, 1, c.in, c.attrs...)
		qntWantErr(t, c.name, err, false)
	}
}

func TestSigInferSTFT(t *testing.T) {
	f32 := tensor.Float32
	absent := TypeShape{Absent: true}
	for _, c := range []struct {
		name  string
		in    []TypeShape
		attrs []*ir.Attribute
		want  string
	}{
		{"frame_length", []TypeShape{qntTS(f32, "1,128,1"), sigVal(int64(8)), absent, sigVal(int64(16))}, nil, "1,15,9,2"},
		{"window", []TypeShape{qntTS(f32, "2,128,1"), sigVal(int32(8)), qntTS(f32, "16")}, nil, "2,15,9,2"},
		{"two-sided", []TypeShape{qntTS(f32, "2,128,2"), sigVal(int32(8)), qntTS(f32, "16")}, []*ir.Attribute{attrInt("onesided", 0)}, "2,15,16,2"},
		{"step unknown", []TypeShape{qntTS(f32, "B,128,1"), qntTS(tensor.Int64, ""), absent, sigVal(int64(16))}, nil, "B,?,?,2"},
		{"signal symbolic", []TypeShape{qntTS(f32, "B,L,1"), sigVal(int64(8)), absent, sigVal(int64(16))}, nil, "B,?,?,2"},
	} {
		got, err := testInfer("", "STFT", 17, 1, c.in, c.attrs...)
		nnWantShapes(t, c.name, got, err, c.want)
	}
	for _, c := range []struct {
		name string
		in   []TypeShape
	}{
		{"signal rank", []TypeShape{qntTS(f32, "128,1"), sigVal(int64(8))}},
		{"frame longer than signal", []TypeShape{qntTS(f32, "1,10,1"), sigVal(int64(8)), absent, sigVal(int64(16))}},
		{"window type", []TypeShape{qntTS(f32, "1,128,1"), sigVal(int64(8)), qntTS(tensor.Float64, "16")}},
		{"window scalar", []TypeShape{qntTS(f32, "1,128,1"), sigVal(int64(8)), qntTS(f32, "")}},
		{"step float", []TypeShape{qntTS(f32, "1,128,1"), qntTS(f32, "")}},
	} {
		_, err := testInfer("", "STFT", 17, 1, c.in)
		qntWantErr(t, c.name, err, false)
	}
}

func TestSigInferWindowsAndMel(t *testing.T) {
	for _, op := range []string{"HannWindow", "HammingWindow", "BlackmanWindow"} {
		got, err := testInfer("", op, 17, 1, []TypeShape{sigVal(int32(10))})
		qntWant(t, op, got, err, 0, tensor.Float32, "10")
		got, err = testInfer("", op, 17, 1, []TypeShape{qntTS(tensor.Int64, "")}, attrInt("output_datatype", int64(tensor.Float64)))
		qntWant(t, op+" unknown size", got, err, 0, tensor.Float64, "?")
		_, err = testInfer("", op, 17, 1, []TypeShape{sigVal(int64(4))}, attrInt("output_datatype", int64(tensor.Complex64)))
		qntWantErr(t, op+" complex output", err, false)
		_, err = testInfer("", op, 17, 1, []TypeShape{sigVal(int64(-4))})
		qntWantErr(t, op+" negative size", err, false)
	}
	f32 := qntTS(tensor.Float32, "")
	got, err := testInfer("", "MelWeightMatrix", 17, 1, []TypeShape{sigVal(int32(8)), sigVal(int32(16)), sigVal(int32(8192)), f32, f32})
	qntWant(t, "mel", got, err, 0, tensor.Float32, "9,8")
	got, err = testInfer("", "MelWeightMatrix", 17, 1, []TypeShape{qntTS(tensor.Int64, ""), sigVal(int64(16)), qntTS(tensor.Int64, ""), f32, f32},
		attrInt("output_datatype", int64(tensor.Float16)))
	qntWant(t, "mel unknown bins", got, err, 0, tensor.Float16, "9,?")
	_, err = testInfer("", "MelWeightMatrix", 17, 1, []TypeShape{sigVal(int32(8)), sigVal(int32(0)), sigVal(int32(8192)), f32, f32})
	qntWantErr(t, "mel dft_length 0", err, false)
}

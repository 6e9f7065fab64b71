package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

var onnxTensorType = reflect.TypeFor[*tensor.Tensor]()

// onnxDiff returns the path of the first difference between a and b, or
// "". Tensors are compared by dtype, shape and element bits (so NaNs and
// the two spellings of a scalar shape compare equal); nil and empty slices
// and maps are equal.
func onnxDiff(path string, a, b reflect.Value) string {
	if a.Type() == onnxTensorType {
		x, y := a.Interface().(*tensor.Tensor), b.Interface().(*tensor.Tensor)
		if (x == nil) != (y == nil) {
			return path + ": nil tensor on one side"
		}
		if x == nil {
			return ""
		}
		if x.DType() != y.DType() || !tensor.SameShape(x.Shape(), y.Shape()) {
			return fmt.Sprintf("%s: %v%v vs %v%v", path, x.DType(), x.Shape(), y.DType(), y.Shape())
		}
		if x.DType() == tensor.String {
			if !reflect.DeepEqual(x.Raw(), y.Raw()) {
				return path + ": strings differ"
			}
			return ""
		}
		bx, _ := tensor.AppendLE(nil, x, 0, x.Len())
		by, _ := tensor.AppendLE(nil, y, 0, y.Len())
		if !bytes.Equal(bx, by) {
			return fmt.Sprintf("%s: values differ: %v vs %v", path, x, y)
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + ": nil on one side"
			}
			return ""
		}
		return onnxDiff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if d := onnxDiff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d vs %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := onnxDiff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d vs %d entries", path, a.Len(), b.Len())
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Sprintf("%s[%v]: missing", path, k)
			}
			if d := onnxDiff(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), bv); d != "" {
				return d
			}
		}
		return ""
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
			return fmt.Sprintf("%s: %v vs %v", path, x, y)
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
	}
	return ""
}

func onnxModelDiff(a, b *ir.Model) string {
	return onnxDiff("model", reflect.ValueOf(a), reflect.ValueOf(b))
}

// onnxRoundTrip checks decode(encode(m)) == m and that encoding is stable.
func onnxRoundTrip(t *testing.T, name string, m *ir.Model) {
	t.Helper()
	b1, err := Encode(m)
	if err != nil {
		t.Fatalf("%s: Encode: %v", name, err)
	}
	m2, err := Decode(b1)
	if err != nil {
		t.Fatalf("%s: Decode(Encode(m)): %v", name, err)
	}
	if d := onnxModelDiff(m, m2); d != "" {
		t.Fatalf("%s: round trip differs at %s", name, d)
	}
	b2, err := Encode(m2)
	if err != nil {
		t.Fatalf("%s: second Encode: %v", name, err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("%s: encoding is not stable (%d vs %d bytes)", name, len(b1), len(b2))
	}
}

// onnxBuiltModel is a model built in Go using every feature the ir has.
func onnxBuiltModel() *ir.Model {
	f32 := func(v []float32, shape ...int) *tensor.Tensor { return tensor.Must(tensor.FromSlice(v, shape...)) }
	body := &ir.Graph{
		Name:    "body",
		Inputs:  []*ir.ValueInfo{{Name: "i", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Int64, Shape: ir.Shape{}}}},
		Outputs: []*ir.ValueInfo{{Name: "o", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float32}}},
		Nodes:   []*ir.Node{{OpType: "Identity", Inputs: []string{"c"}, Outputs: []string{"o"}}},
		Initializers: []*ir.Initializer{
			{Name: "c", Tensor: f32([]float32{1, 2}, 2)},
		},
	}
	sparse := tensor.Must(tensor.FromSlice([]float32{0, 5, 0, 0, 6, 0}, 2, 3))
	attrs := []*ir.Attribute{
		{Name: "f", Type: ir.AttrFloat, Float: -0.25, DocString: "a float"},
		{Name: "nan", Type: ir.AttrFloat, Float: float32(math.NaN())},
		{Name: "i", Type: ir.AttrInt, Int: math.MinInt64},
		{Name: "s", Type: ir.AttrString, String: "bytes \xff\x00 ok"},
		{Name: "t", Type: ir.AttrTensor, Tensor: tensor.Must(tensor.FromSlice([]int32{1, -2}, 2))},
		{Name: "g", Type: ir.AttrGraph, Graph: body},
		{Name: "sp", Type: ir.AttrSparseTensor, Tensor: sparse},
		{Name: "tp", Type: ir.AttrTypeProto, TypeProto: &ir.Type{Kind: ir.KindSequence, Elem: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float16, Shape: ir.ShapeOf(2)}}},
		{Name: "floats", Type: ir.AttrFloats, Floats: []float32{1, 2.5}},
		{Name: "ints", Type: ir.AttrInts, Ints: []int64{3, -4}},
		{Name: "no_ints", Type: ir.AttrInts},
		{Name: "strings", Type: ir.AttrStrings, Strings: []string{"a", ""}},
		{Name: "tensors", Type: ir.AttrTensors, Tensors: []*tensor.Tensor{
			tensor.Must(tensor.FromSlice([]string{"x", "y"}, 2)), tensor.Must(tensor.FromSlice([]bool{true}, 1)),
		}},
		{Name: "graphs", Type: ir.AttrGraphs, Graphs: []*ir.Graph{body, {Name: "empty"}}},
		{Name: "sps", Type: ir.AttrSparseTensors, Tensors: []*tensor.Tensor{sparse, tensor.Must(tensor.FromSlice([]int64{0, 0, 7}, 3))}},
		{Name: "tps", Type: ir.AttrTypeProtos, TypeProtos: []*ir.Type{
			{Kind: ir.KindOptional, Elem: &ir.Type{Kind: ir.KindTensor, DType: tensor.Int8}},
			{Kind: ir.KindMap, Key: tensor.String, Elem: &ir.Type{Kind: ir.KindSequence, Elem: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float64, Shape: ir.Shape{}}}},
		}},
	}
	inits := []*ir.Initializer{{Name: "w", Tensor: f32([]float32{1, 2, 3, 4, 5, 6}, 2, 3), Doc: "weights"}}
	tensors := onnxTestTensors()
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		inits = append(inits, &ir.Initializer{Name: "init_" + name, Tensor: tensors[name]})
	}
	inits = append(inits,
		&ir.Initializer{Name: "empty", Tensor: tensor.Must(tensor.New(tensor.Float32, 0, 4))},
		&ir.Initializer{Name: "strs", Tensor: tensor.Must(tensor.FromSlice([]string{"a", "", "ü"}, 3))},
		&ir.Initializer{Name: "scalar", Tensor: tensor.Must(tensor.FromSlice([]int64{9}))},
	)
	return &ir.Model{
		IRVersion:       8,
		OpsetImports:    map[string]int64{"": 17, "custom": 2, "ai.onnx.ml": 3},
		ProducerName:    "onyx-test",
		ProducerVersion: "0.1",
		Domain:          "org.onyx",
		ModelVersion:    42,
		DocString:       "built in Go",
		Metadata:        map[string]string{"b": "2", "a": "1", "": "empty key"},
		Graph: &ir.Graph{
			Name:      "main",
			DocString: "main graph",
			Inputs: []*ir.ValueInfo{
				{Name: "x", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Shape{ir.SymDim("N"), ir.DimOf(3), ir.UnknownDim, ir.DimOf(0)}}, DocString: "input"},
				{Name: "any", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float32}},
				{Name: "scalar_in", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.BFloat16, Shape: ir.Shape{}}},
				{Name: "untyped"},
				{Name: "seq", Type: &ir.Type{Kind: ir.KindSequence, Elem: &ir.Type{Kind: ir.KindTensor, DType: tensor.Int64, Shape: ir.ShapeOf(1)}}},
				{Name: "sparse_in", Type: &ir.Type{Kind: ir.KindSparseTensor, DType: tensor.Float32, Shape: ir.ShapeOf(5, 5)}},
				{Name: "f8", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.DType(17), Shape: ir.ShapeOf(2)}},
			},
			Outputs:   []*ir.ValueInfo{{Name: "y", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Shape{ir.SymDim("N")}}}},
			ValueInfo: []*ir.ValueInfo{{Name: "h", Type: &ir.Type{Kind: ir.KindTensor, DType: tensor.Float32}}},
			Nodes: []*ir.Node{
				{Name: "add", OpType: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"h"}, DocString: "adds"},
				{OpType: "Custom", Domain: "custom", Inputs: []string{"h", "", "any"}, Outputs: []string{"y", ""}, Attrs: attrs},
				{Name: "call", OpType: "Fn", Domain: "custom", Inputs: []string{"h"}, Outputs: []string{"z"},
					Attrs: []*ir.Attribute{{Name: "alpha", Type: ir.AttrFloat, Float: 2}}},
			},
			Initializers: inits,
		},
		Functions: []*ir.Function{{
			Name: "Fn", Domain: "custom", Inputs: []string{"X"}, Outputs: []string{"Y"},
			Attributes:    []string{"alpha"},
			AttributeDefs: []*ir.Attribute{{Name: "beta", Type: ir.AttrInt, Int: 3}},
			OpsetImports:  map[string]int64{"": 17},
			DocString:     "a function",
			Nodes: []*ir.Node{
				{OpType: "Constant", Outputs: []string{"A"}, Attrs: []*ir.Attribute{{Name: "value_float", Type: ir.AttrFloat, RefAttrName: "alpha"}}},
				{OpType: "Mul", Inputs: []string{"X", "A"}, Outputs: []string{"Y"}},
			},
		}},
	}
}

func TestOnnxModelRoundTripBuilt(t *testing.T) {
	m := onnxBuiltModel()
	onnxRoundTrip(t, "built", m)
	// The bytes are deterministic although the model holds maps.
	b1, _ := Encode(m)
	for range 5 {
		if b2, _ := Encode(onnxBuiltModel()); !bytes.Equal(b1, b2) {
			t.Fatal("Encode is not deterministic")
		}
	}
	// The default domain is written first, and opsets round-trip.
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b1, &mp); err != nil {
		t.Fatal(err)
	}
	if mp.OpsetImport[0].GetDomain() != "" || mp.OpsetImport[0].GetVersion() != 17 {
		t.Errorf("first opset import is %v", mp.OpsetImport[0])
	}
	// Sparse attributes are written as sparse tensors with linear indices.
	var sp *onnxpb.SparseTensorProto
	for _, a := range mp.Graph.Node[1].Attribute {
		if a.GetName() == "sp" {
			sp = a.SparseTensor
		}
	}
	if sp == nil || !reflect.DeepEqual(sp.Dims, []int64{2, 3}) {
		t.Fatalf("sparse attribute written as %v", sp)
	}
	idx, _ := TensorFromProto(sp.Indices)
	vals, _ := TensorFromProto(sp.Values)
	if !reflect.DeepEqual(tensor.Data[int64](idx), []int64{1, 4}) || !reflect.DeepEqual(tensor.Data[float32](vals), []float32{5, 6}) {
		t.Errorf("sparse attribute indices %v values %v", idx, vals)
	}
}

func TestOnnxModelDefaultIRVersion(t *testing.T) {
	for _, c := range []struct {
		opset     int64
		functions bool
		want      int64
	}{
		{1, false, 3}, {8, false, 3}, {9, false, 4}, {13, false, 7}, {17, false, 8}, {17, true, 8},
		{11, true, 8}, {19, false, 9}, {21, false, 10}, {23, false, 11}, {24, false, 12}, {25, false, 13},
		{99, false, MaxIRVersion},
	} {
		m := &ir.Model{OpsetImports: map[string]int64{"": c.opset}, Graph: &ir.Graph{}}
		if c.functions {
			m.Functions = []*ir.Function{{Name: "f"}}
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if m2.IRVersion != c.want {
			t.Errorf("opset %d (functions %v): IR version %d, want %d", c.opset, c.functions, m2.IRVersion, c.want)
		}
	}
}

// TestOnnxModelPython reads a model written by onnx's Python helpers and
// checks what it holds.
func TestOnnxModelPython(t *testing.T) {
	m, err := LoadFile(filepath.Join("testdata", "python_model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 8 || m.ProducerName != "gen_testdata" || m.ProducerVersion != "1.0" || m.Domain != "org.onyx.test" ||
		m.ModelVersion != 3 || m.DocString != "a model using most of the format" {
		t.Errorf("model fields: %+v", m)
	}
	if !reflect.DeepEqual(m.OpsetImports, map[string]int64{"": 17, "custom.ops": 1, "custom.funcs": 1}) {
		t.Errorf("opsets %v (ai.onnx must become \"\")", m.OpsetImports)
	}
	if !reflect.DeepEqual(m.Metadata, map[string]string{"author": "onyx", "license": "none"}) {
		t.Errorf("metadata %v", m.Metadata)
	}
	g := m.Graph
	if g.Name != "main" || g.DocString != "graph doc" || len(g.Nodes) != 6 {
		t.Fatalf("graph %q %q with %d nodes", g.Name, g.DocString, len(g.Nodes))
	}
	types := map[string]string{}
	for _, v := range g.Inputs {
		types[v.Name] = v.Type.String()
	}
	wantTypes := map[string]string{
		"x": "float32[Nx3]", "s": "float32[scalar]", "u": "float16[?x2]", "seq_in": "seq(float32[?])",
		"opt_in": "optional(int32[4])", "map_in": "map(int64,float32[?])",
	}
	for k, v := range wantTypes {
		if types[k] != v {
			t.Errorf("input %s: type %s, want %s", k, types[k], v)
		}
	}
	if sp := g.Inputs[5].Type; sp.Kind != ir.KindSparseTensor || sp.Shape.String() != "5x5" {
		t.Errorf("sparse input type %+v", sp)
	}
	if g.Outputs[0].Type.Shape != nil {
		t.Errorf("output without shape has shape %v, want nil (unknown rank)", g.Outputs[0].Type.Shape)
	}
	// Initializers, the sparse one made dense.
	w := g.Initializer("w")
	if w == nil || !tensor.SameShape(w.Shape(), []int{2, 3, 4}) || tensor.Data[float32](w)[23] != 23 {
		t.Errorf("initializer w = %v", w)
	}
	if g.Initializers[4].Doc != "weights" {
		t.Errorf("initializer doc %q", g.Initializers[4].Doc)
	}
	sp := g.Initializer("sp_w")
	if sp == nil || !reflect.DeepEqual(tensor.Data[int32](sp), []int32{7, 0, 0, 0, 0, 8, 0, 9, 0}) {
		t.Errorf("sparse initializer = %v", sp)
	}
	// The If node and its branches.
	ifn := g.Nodes[1]
	if ifn.OpType != "If" || ifn.Name != "if" || ifn.Attr("then_branch").Graph.Nodes[0].OpType != "Identity" ||
		ifn.Attr("else_branch").Graph.Outputs[0].Name != "e_out" {
		t.Errorf("If node %+v", ifn)
	}
	if c := g.Nodes[2].Attr("sparse_value"); c.Type != ir.AttrSparseTensor ||
		!reflect.DeepEqual(tensor.Data[float32](c.Tensor), []float32{0, 5, 0, 0, 6, 0}) {
		t.Errorf("sparse_value = %+v", c)
	}
	if body := g.Nodes[3].Attr("body").Graph; len(body.Inputs) != 3 || body.Inputs[0].Type.Shape == nil || len(body.Inputs[0].Type.Shape) != 0 {
		t.Errorf("Loop body inputs %v", body.Inputs)
	}
	all := g.Nodes[4]
	if all.Domain != "custom.ops" || all.DocString != "every attribute type" || !reflect.DeepEqual(all.Inputs, []string{"x", ""}) ||
		!reflect.DeepEqual(all.Outputs, []string{"e1", "", "e3"}) {
		t.Errorf("node %+v", all)
	}
	check := func(name string, typ ir.AttrType, ok bool) {
		a := all.Attr(name)
		if a == nil || a.Type != typ || !ok {
			t.Errorf("attribute %s = %+v", name, a)
		}
	}
	a := all.Attr
	check("f", ir.AttrFloat, a("f").Float == 0.25)
	check("i", ir.AttrInt, a("i").Int == -7)
	check("s", ir.AttrString, a("s").String == "text")
	check("t", ir.AttrTensor, reflect.DeepEqual(tensor.Data[int32](a("t").Tensor), []int32{1, 2}))
	check("g", ir.AttrGraph, a("g").Graph.Name == "then_branch")
	check("floats", ir.AttrFloats, reflect.DeepEqual(a("floats").Floats, []float32{1, -2.5}))
	check("ints", ir.AttrInts, reflect.DeepEqual(a("ints").Ints, []int64{3, -4}))
	check("strings", ir.AttrStrings, reflect.DeepEqual(a("strings").Strings, []string{"a", "bc"}))
	check("tensors", ir.AttrTensors, len(a("tensors").Tensors) == 2 && tensor.Data[float64](a("tensors").Tensors[1])[0] == 2.5)
	check("graphs", ir.AttrGraphs, len(a("graphs").Graphs) == 2 && a("graphs").Graphs[1].Name == "else_branch")
	check("sparse_tensors", ir.AttrSparseTensors, len(a("sparse_tensors").Tensors) == 1 && a("sparse_tensors").Tensors[0].Len() == 6)
	check("tp", ir.AttrTypeProto, a("tp").TypeProto.String() == "seq(float32[2])")
	check("type_protos", ir.AttrTypeProtos, len(a("type_protos").TypeProtos) == 1 && a("type_protos").TypeProtos[0].String() == "optional(int64[?])")
	// The function, with a reference attribute.
	if len(m.Functions) != 1 {
		t.Fatalf("%d functions", len(m.Functions))
	}
	f := m.Functions[0]
	if f.Name != "MyFunc" || f.Domain != "custom.funcs" || !reflect.DeepEqual(f.Attributes, []string{"alpha"}) ||
		f.OpsetImports[""] != 17 || f.Nodes[0].Attrs[0].RefAttrName != "alpha" || f.Nodes[1].OpType != "Mul" {
		t.Errorf("function %+v", f)
	}
	onnxRoundTrip(t, "python model", m)
}

// TestOnnxModelPythonExternal reads the same model saved by Python with its
// initializers in an external file.
func TestOnnxModelPythonExternal(t *testing.T) {
	want, err := LoadFile(filepath.Join("testdata", "python_model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() (*ir.Model, error){
		"LoadFile": func() (*ir.Model, error) { return LoadFile(filepath.Join("testdata", "external", "model.onnx")) },
		"LoadFS":   func() (*ir.Model, error) { return LoadFS(os.DirFS("testdata"), "external/model.onnx") },
		"Decode with option": func() (*ir.Model, error) {
			b, err := os.ReadFile(filepath.Join("testdata", "external", "model.onnx"))
			if err != nil {
				return nil, err
			}
			return Decode(b, WithExternalDataDir(filepath.Join("testdata", "external")))
		},
	} {
		got, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := onnxDiff("graph", reflect.ValueOf(want.Graph), reflect.ValueOf(got.Graph)); d != "" {
			t.Errorf("%s: differs from the model with inline data at %s", name, d)
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "external", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); !errors.Is(err, ErrExternalData) || !strings.Contains(err.Error(), `tensor "zero"`) {
		t.Errorf("Decode without a directory: %v", err)
	}
}

func onnxModelProto() *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("g"),
			Node: []*onnxpb.NodeProto{{OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"}, Name: proto.String("r")}},
		},
	}
}

func TestOnnxModelErrors(t *testing.T) {
	type tc struct {
		name string
		edit func(*onnxpb.ModelProto)
		kind error
		msg  string
	}
	str := proto.String
	cases := []tc{
		{"no ir_version", func(mp *onnxpb.ModelProto) { mp.IrVersion = nil }, ErrInvalidModel, "ir_version is not set"},
		{"IR 2", func(mp *onnxpb.ModelProto) { mp.IrVersion = proto.Int64(2) }, ErrUnsupportedIRVersion, "IR version 2"},
		{"IR 15", func(mp *onnxpb.ModelProto) { mp.IrVersion = proto.Int64(15) }, ErrUnsupported, "IR version 15 (onyx reads 3 to 14)"},
		{"no graph", func(mp *onnxpb.ModelProto) { mp.Graph = nil }, ErrInvalidModel, "no graph"},
		{"no default opset", func(mp *onnxpb.ModelProto) { mp.OpsetImport[0].Domain = str("custom") }, ErrInvalidModel, "no entry for the default domain"},
		{"no default opset, subgraph", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport[0].Domain = str("custom")
			mp.Graph.Node[0].Domain = str("custom")
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("g"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: &onnxpb.GraphProto{
				Node: []*onnxpb.NodeProto{{OpType: str("Relu")}},
			}}}
		}, ErrInvalidModel, "no entry for the default domain"},
		{"opset version 0", func(mp *onnxpb.ModelProto) { mp.OpsetImport[0].Version = proto.Int64(0) }, ErrInvalidModel, "version 0"},
		{"opset twice", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: str("ai.onnx"), Version: proto.Int64(11)})
		}, ErrInvalidModel, `domain "ai.onnx" twice`},
		{"metadata twice", func(mp *onnxpb.ModelProto) {
			mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: str("k")}, {Key: str("k")}}
		}, ErrInvalidModel, `key "k" twice`},
		{"node without op_type", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].OpType = nil }, ErrInvalidModel, `graph "g": node 0: node "r" has no op_type`},
		{"input without name", func(mp *onnxpb.ModelProto) { mp.Graph.Input = []*onnxpb.ValueInfoProto{{}} }, ErrInvalidModel, "input 0 has no name"},
		{"initializer without name", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer = []*onnxpb.TensorProto{{DataType: proto.Int32(1), FloatData: []float32{1}}}
		}, ErrInvalidModel, "initializer 0 has no name"},
		{"initializer twice", func(mp *onnxpb.ModelProto) {
			tp := &onnxpb.TensorProto{Name: str("w"), DataType: proto.Int32(1), FloatData: []float32{1}}
			mp.Graph.Initializer = []*onnxpb.TensorProto{tp, tp}
		}, ErrInvalidModel, `initializer "w" appears twice`},
		{"bad initializer", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer = []*onnxpb.TensorProto{{Name: str("w"), DataType: proto.Int32(1), Dims: []int64{2}, RawData: []byte{1}}}
		}, ErrInvalidTensor, `graph "g": initializer: tensor "w": raw_data has 1 bytes`},
		{"attribute without name", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Type: onnxpb.AttributeProto_INT.Enum()}}
		}, ErrInvalidModel, "attribute without a name"},
		{"attribute twice", func(mp *onnxpb.ModelProto) {
			a := &onnxpb.AttributeProto{Name: str("a"), Type: onnxpb.AttributeProto_INT.Enum()}
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{a, a}
		}, ErrInvalidModel, `Relu "r": attribute "a" appears twice`},
		{"attribute of unknown type", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("a"), Type: onnxpb.AttributeProto_AttributeType(42).Enum()}}
		}, ErrInvalidModel, "unknown type 42"},
		{"attribute without a value", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("a")}}
		}, ErrInvalidModel, "unknown type 0"},
		{"tensor attribute without t", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("a"), Type: onnxpb.AttributeProto_TENSOR.Enum()}}
		}, ErrInvalidModel, "type tensor without t"},
		{"graph attribute without g", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("a"), Type: onnxpb.AttributeProto_GRAPH.Enum()}}
		}, ErrInvalidModel, "type graph without g"},
		{"bad tensor in a subgraph", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: str("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: &onnxpb.GraphProto{
				Name: str("inner"),
				Node: []*onnxpb.NodeProto{{OpType: str("Constant"), Name: str("c"), Attribute: []*onnxpb.AttributeProto{{
					Name: str("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: &onnxpb.TensorProto{Name: str("v"), DataType: proto.Int32(7), Dims: []int64{-1}},
				}}}},
			}}}
		}, ErrInvalidTensor, `node 0: Relu "r": attribute "body": graph "inner": node 0: Constant "c": attribute "value": tensor "v": dimension 0 is -1`},
		{"opaque type", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input = []*onnxpb.ValueInfoProto{{Name: str("x"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OpaqueType{OpaqueType: &onnxpb.TypeProto_Opaque{Domain: str("d"), Name: str("n")}}}}}
		}, ErrUnsupported, "opaque type d.n"},
		{"sequence without element", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input = []*onnxpb.ValueInfoProto{{Name: str("x"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{}}}}}
		}, ErrInvalidModel, `input "x": sequence type without element type`},
		{"optional of nothing", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input = []*onnxpb.ValueInfoProto{{Name: str("x"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: &onnxpb.TypeProto{}}}}}}
		}, ErrInvalidModel, "empty element type"},
		{"function without name", func(mp *onnxpb.ModelProto) { mp.Functions = []*onnxpb.FunctionProto{{}} }, ErrInvalidModel, "function without a name"},
		{"function with bad opset", func(mp *onnxpb.ModelProto) {
			mp.Functions = []*onnxpb.FunctionProto{{Name: str("f"), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(-1)}}}}
		}, ErrInvalidModel, `function 0 "f": function: opset_import`},
		{"sparse without indices", func(mp *onnxpb.ModelProto) {
			mp.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Values: &onnxpb.TensorProto{Name: str("s")}}}
		}, ErrInvalidTensor, `sparse initializer "s"`},
		{"sparse without name", func(mp *onnxpb.ModelProto) {
			mp.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{}}
		}, ErrInvalidModel, "sparse initializer 0 has no name"},
	}
	sparse := func(dims []int64, idxDims []int64, idx []int64, nvals int) func(*onnxpb.ModelProto) {
		return func(mp *onnxpb.ModelProto) {
			mp.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{
				Values:  &onnxpb.TensorProto{Name: str("s"), DataType: proto.Int32(1), Dims: []int64{int64(nvals)}, FloatData: make([]float32, nvals)},
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(7), Dims: idxDims, Int64Data: idx},
				Dims:    dims,
			}}
		}
	}
	cases = append(cases,
		tc{"sparse index out of range", sparse([]int64{2, 2}, []int64{2}, []int64{0, 4}, 2), ErrInvalidTensor, "sparse index 1 is 4"},
		tc{"sparse negative index", sparse([]int64{2, 2}, []int64{1}, []int64{-1}, 1), ErrInvalidTensor, "sparse index 0 is -1"},
		tc{"sparse coord out of range", sparse([]int64{2, 3}, []int64{1, 2}, []int64{1, 3}, 1), ErrInvalidTensor, "sparse index [0, 1] is 3"},
		tc{"sparse indices shape", sparse([]int64{2, 3}, []int64{2, 3}, make([]int64, 6), 2), ErrInvalidTensor, "want [2] or [2 2]"},
		tc{"sparse huge", sparse([]int64{1 << 15, 1 << 14}, []int64{1}, []int64{0}, 1), ErrUnsupported, "over 1073741824 bytes"},
		tc{"sparse negative dims", sparse([]int64{-2}, []int64{1}, []int64{0}, 1), ErrInvalidTensor, "dimension 0 is -2"},
		tc{"sparse int32 indices", func(mp *onnxpb.ModelProto) {
			sparse([]int64{4}, []int64{1}, []int64{0}, 1)(mp)
			ind := mp.Graph.SparseInitializer[0].Indices
			ind.DataType, ind.Int64Data, ind.Int32Data = proto.Int32(6), nil, []int32{0}
		}, ErrInvalidTensor, "want int64"},
	)
	for _, c := range cases {
		mp := onnxModelProto()
		c.edit(mp)
		b, err := proto.Marshal(mp)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err == nil {
			t.Errorf("%s: decoded %+v, want an error", c.name, m)
			continue
		}
		if !errors.Is(err, c.kind) || !strings.HasPrefix(err.Error(), "onnx: ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q, want one wrapping %v and containing %q", c.name, err, c.kind, c.msg)
		}
	}
	// The unmodified base model is valid.
	if _, err := FromProto(onnxModelProto()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{{0xff}, {0x08}, {0x3a, 0x05, 0x0a}} {
		if _, err := Decode(bad); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("Decode(% x) = %v", bad, err)
		}
	}
	if _, err := Decode(nil); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("Decode(nil) = %v", err)
	}
}

func TestOnnxModelLenient(t *testing.T) {
	// ai.onnx is the default domain in nodes too; attributes written without
	// a type (by old producers) get the type of the field that is set;
	// negative or empty dims are unknown.
	mp := onnxModelProto()
	mp.OpsetImport[0].Domain = proto.String("ai.onnx")
	n := mp.Graph.Node[0]
	n.Domain = proto.String("ai.onnx")
	n.Attribute = []*onnxpb.AttributeProto{
		{Name: proto.String("f"), F: proto.Float32(1.5)},
		{Name: proto.String("ints"), Ints: []int64{1, 2}},
		{Name: proto.String("s"), S: []byte("x")},
	}
	mp.Graph.Input = []*onnxpb.ValueInfoProto{{Name: proto.String("x"), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(1), Shape: &onnxpb.TensorShapeProto{
			Dim: []*onnxpb.TensorShapeProto_Dimension{
				{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: -1}},
				{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: ""}},
				{},
				{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 7}},
			},
		}}},
	}}, {Name: proto.String("empty_type"), Type: &onnxpb.TypeProto{}}}
	m, err := FromProto(mp)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.OpsetImports[""]; !ok || m.Graph.Nodes[0].Domain != "" {
		t.Errorf("ai.onnx not normalised: %v, node domain %q", m.OpsetImports, m.Graph.Nodes[0].Domain)
	}
	a := m.Graph.Nodes[0].Attrs
	if a[0].Type != ir.AttrFloat || a[0].Float != 1.5 || a[1].Type != ir.AttrInts || a[2].Type != ir.AttrString || a[2].String != "x" {
		t.Errorf("untyped attributes: %+v %+v %+v", a[0], a[1], a[2])
	}
	if s := m.Graph.Inputs[0].Type.Shape.String(); s != "?x?x?x7" {
		t.Errorf("shape %s", s)
	}
	if m.Graph.Inputs[1].Type != nil {
		t.Errorf("empty TypeProto gives %v, want nil", m.Graph.Inputs[1].Type)
	}
	// Unknown fields are skipped.
	b, _ := proto.Marshal(mp)
	b = append(b, 0xf8, 0xff, 0x03, 0x01) // field 65535, varint 1
	if _, err := Decode(b); err != nil {
		t.Errorf("unknown field: %v", err)
	}
}

func TestOnnxModelEncodeErrors(t *testing.T) {
	cases := map[string]*ir.Model{
		"nil graph":        {OpsetImports: map[string]int64{"": 13}},
		"node without op":  {Graph: &ir.Graph{Nodes: []*ir.Node{{Name: "n"}}}},
		"nil node":         {Graph: &ir.Graph{Nodes: []*ir.Node{nil}}},
		"unnamed init":     {Graph: &ir.Graph{Initializers: []*ir.Initializer{{Tensor: tensor.Scalar(float32(1))}}}},
		"nil init tensor":  {Graph: &ir.Graph{Initializers: []*ir.Initializer{{Name: "w"}}}},
		"nil value info":   {Graph: &ir.Graph{Inputs: []*ir.ValueInfo{nil}}},
		"seq without elem": {Graph: &ir.Graph{Inputs: []*ir.ValueInfo{{Name: "x", Type: &ir.Type{Kind: ir.KindSequence}}}}},
		"bad kind":         {Graph: &ir.Graph{Inputs: []*ir.ValueInfo{{Name: "x", Type: &ir.Type{Kind: 99}}}}},
		"attr no value":    {Graph: &ir.Graph{Nodes: []*ir.Node{{OpType: "C", Attrs: []*ir.Attribute{{Name: "t", Type: ir.AttrTensor}}}}}},
		"attr no name":     {Graph: &ir.Graph{Nodes: []*ir.Node{{OpType: "C", Attrs: []*ir.Attribute{{Type: ir.AttrInt}}}}}},
		"attr bad type":    {Graph: &ir.Graph{Nodes: []*ir.Node{{OpType: "C", Attrs: []*ir.Attribute{{Name: "a", Type: 77}}}}}},
		"nil graph attr":   {Graph: &ir.Graph{Nodes: []*ir.Node{{OpType: "C", Attrs: []*ir.Attribute{{Name: "g", Type: ir.AttrGraphs, Graphs: []*ir.Graph{nil}}}}}}},
		"function no name": {Graph: &ir.Graph{}, Functions: []*ir.Function{{}}},
	}
	for name, m := range cases {
		if _, err := Encode(m); err == nil || !strings.HasPrefix(err.Error(), "onnx: ") {
			t.Errorf("%s: Encode error %v", name, err)
		}
	}
	if _, err := Encode(nil); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("Encode(nil) = %v", err)
	}
}

func TestOnnxModelSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	m := onnxBuiltModel()
	if err := Save(m, path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := onnxModelDiff(m, got); d != "" {
		t.Fatalf("saved model differs at %s", d)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	// A model that cannot be encoded leaves the old file untouched, and no
	// temporary file behind.
	before, _ := os.ReadFile(path)
	bad := onnxBuiltModel()
	bad.Graph.Nodes = append(bad.Graph.Nodes, &ir.Node{})
	if err := Save(bad, path); err == nil {
		t.Fatal("Save of an invalid model succeeded")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("failed Save changed the file")
	}
	// Saving over an existing file keeps its permissions.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Save(m, path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after overwrite %v", fi.Mode())
	}
	// A directory that does not exist is an error.
	if err := Save(m, filepath.Join(dir, "no", "m.onnx")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	// Renaming over a directory fails, and the temporary file is removed.
	if err := os.Mkdir(filepath.Join(dir, "d.onnx"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(m, filepath.Join(dir, "d.onnx")); err == nil {
		t.Error("Save over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want m.onnx and d.onnx only", names)
	}
}

func TestOnnxModelLoadErrors(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.onnx")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v", err)
	}
	if _, err := LoadFS(fstest.MapFS{}, "none.onnx"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFS(missing) = %v", err)
	}
	if _, err := Load(onnxErrReader{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Load(failing reader) = %v", err)
	}
	b, _ := Encode(onnxBuiltModel())
	m, err := Load(bytes.NewReader(b))
	if err != nil || m.Graph.Name != "main" {
		t.Errorf("Load = %v", err)
	}
	// Errors from LoadFile name the file.
	p := filepath.Join(t.TempDir(), "bad.onnx")
	os.WriteFile(p, []byte{0xff, 0xff}, 0o644)
	if _, err := LoadFile(p); !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), p) {
		t.Errorf("LoadFile(bad) = %v", err)
	}
}

type onnxErrReader struct{}

func (onnxErrReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

// onnxRoundTripDir round-trips every model under dir.
func onnxRoundTripDir(t *testing.T, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".onnx" {
			return err
		}
		m, err := LoadFile(path)
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				t.Logf("%s: %v", path, err)
				return nil
			}
			t.Errorf("%s: %v", path, err)
			return nil
		}
		onnxRoundTrip(t, path, m)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnnxModelZoo round-trips the models in $ONYX_MODEL_ZOO (CI sets it to
// the shared models folder).
func TestOnnxModelZoo(t *testing.T) {
	dir := os.Getenv("ONYX_MODEL_ZOO")
	if dir == "" {
		t.Skip("ONYX_MODEL_ZOO is not set; set it to a folder of .onnx models (e.g. ../shared/models) to round-trip them")
	}
	if n := onnxRoundTripDir(t, dir); n == 0 {
		t.Errorf("no .onnx models under %s", dir)
	}
}

const onnxTestDataDir = "/usr/share/libonnx-testdata/data"

// TestOnnxModelBackendTestData round-trips every model of the ONNX backend
// tests (Debian's libonnx-testdata), and decodes every tensor file.
func TestOnnxModelBackendTestData(t *testing.T) {
	if _, err := os.Stat(onnxTestDataDir); err != nil {
		t.Skipf("%s not found (apt-get install libonnx-testdata)", onnxTestDataDir)
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	n := onnxRoundTripDir(t, onnxTestDataDir)
	t.Logf("%d models round-tripped", n)
	files, _ := filepath.Glob(onnxTestDataDir + "/*/*/*/*.pb")
	ok := 0
	for _, f := range files {
		_, err := ReadTensorFile(f)
		if err == nil {
			ok++
			continue
		}
		// Sequence and optional test data are SequenceProto/OptionalProto,
		// which are not tensors; they must still fail cleanly.
		if !errors.Is(err, ErrInvalidTensor) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", f, err)
		}
	}
	t.Logf("%d of %d tensor files decoded", ok, len(files))
	if ok < len(files)*9/10 {
		t.Errorf("only %d of %d tensor files decoded", ok, len(files))
	}
}

// onnxPython returns a Python interpreter with onnx and numpy, or skips.
func onnxPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import onnx, numpy").Run() == nil {
				return path
			}
		}
	}
	t.Skip("no python3 with onnx and numpy; skipping the cross-check with onnx's Python package")
	return ""
}

// TestOnnxModelPythonReadsOurs has onnx's Python package read what Encode
// and EncodeTensor write, and compare it with the files it wrote itself.
func TestOnnxModelPythonReadsOurs(t *testing.T) {
	py := onnxPython(t)
	dir := t.TempDir()
	m, err := LoadFile(filepath.Join("testdata", "python_model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(m, filepath.Join(dir, "model.onnx")); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "tensors", "*.pb"))
	for _, f := range files {
		x, err := ReadTensorFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := EncodeTensor(x, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
import sys, glob, os, numpy as np, onnx
from onnx import numpy_helper, helper
d, td = sys.argv[1], sys.argv[2]
bad = []
for f in sorted(glob.glob(td + "/tensors/*.pb")):
    a, b = onnx.TensorProto(), onnx.TensorProto()
    a.ParseFromString(open(f, "rb").read())
    b.ParseFromString(open(d + "/" + os.path.basename(f), "rb").read())
    try:
        x = numpy_helper.to_array(a)
    except TypeError:  # onnx 1.12 cannot read complex typed fields; use the raw twin
        a.ParseFromString(open(f.replace("typed_", "raw_"), "rb").read())
        x = numpy_helper.to_array(a)
    y = numpy_helper.to_array(b)
    if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
        bad.append((f, x, y))
orig = onnx.load(td + "/python_model.onnx")
ours = onnx.load(d + "/model.onnx")
def walk(g1, g2, path):
    if [n.op_type for n in g1.node] != [n.op_type for n in g2.node]:
        bad.append((path, "ops")); return
    inits = {t.name: numpy_helper.to_array(t) for t in g2.initializer}
    for i1 in g1.initializer:
        if i1.name not in inits or not np.array_equal(numpy_helper.to_array(i1), inits[i1.name]):
            bad.append((path, "initializer", i1.name))
    for sp in g1.sparse_initializer:  # written back dense
        dense = np.zeros(tuple(sp.dims), numpy_helper.to_array(sp.values).dtype)
        idx = numpy_helper.to_array(sp.indices)
        dense[tuple(idx.T)] = numpy_helper.to_array(sp.values)
        if sp.values.name not in inits or not np.array_equal(dense, inits[sp.values.name]):
            bad.append((path, "sparse initializer", sp.values.name))
    for v1, v2 in zip(list(g1.input) + list(g1.output), list(g2.input) + list(g2.output)):
        if v1 != v2:
            bad.append((path, "value", v1, v2))
    for n1, n2 in zip(g1.node, g2.node):
        if (n1.name, list(n1.input), list(n1.output), n1.domain.replace("ai.onnx", "")) != (n2.name, list(n2.input), list(n2.output), n2.domain):
            bad.append((path, "node", n1.name))
        for a1, a2 in zip(n1.attribute, n2.attribute):
            if a1.name != a2.name or a1.type != a2.type:
                bad.append((path, n1.name, a1.name)); continue
            if a1.type == onnx.AttributeProto.GRAPH:
                walk(a1.g, a2.g, path + "/" + a1.name)
            elif a1.type == onnx.AttributeProto.GRAPHS:
                for x1, x2 in zip(a1.graphs, a2.graphs): walk(x1, x2, path + "/" + a1.name)
            elif a1.type == onnx.AttributeProto.TENSOR:
                if not np.array_equal(numpy_helper.to_array(a1.t), numpy_helper.to_array(a2.t)): bad.append((path, a1.name))
            elif a1.type in (onnx.AttributeProto.SPARSE_TENSOR, onnx.AttributeProto.SPARSE_TENSORS, onnx.AttributeProto.TENSORS):
                pass
            elif helper.get_attribute_value(a1) != helper.get_attribute_value(a2):
                bad.append((path, n1.name, a1.name, helper.get_attribute_value(a1), helper.get_attribute_value(a2)))
walk(orig.graph, ours.graph, "main")
if len(ours.functions) != 1 or ours.functions[0].name != "MyFunc" or ours.functions[0].node[0].attribute[0].ref_attr_name != "alpha":
    bad.append("function")
if {p.key: p.value for p in ours.metadata_props} != {"author": "onyx", "license": "none"}:
    bad.append("metadata")
if bad:
    print(bad); sys.exit(1)
print("ok", len(glob.glob(td + "/tensors/*.pb")))
`
	out, err := exec.Command(py, "-c", script, dir, "testdata").CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	t.Logf("python: %s", bytes.TrimSpace(out))
}

// TestOnnxModelSparseAllTypes round-trips sparse tensor attributes of every
// type: Encode keeps the non-zero elements, Decode scatters them back.
func TestOnnxModelSparseAllTypes(t *testing.T) {
	tensors := onnxTestTensors()
	tensors["string"] = tensor.Must(tensor.FromSlice([]string{"", "a", "", "b"}, 2, 2))
	tensors["all zero"] = tensor.Must(tensor.New(tensor.Int16, 3, 2))
	tensors["scalar"] = tensor.Must(tensor.FromSlice([]float64{2.5}))
	tensors["empty"] = tensor.Must(tensor.New(tensor.Uint8, 0, 2))
	var list []*tensor.Tensor
	var attrs []*ir.Attribute
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		list = append(list, tensors[name])
		attrs = append(attrs, &ir.Attribute{Name: name, Type: ir.AttrSparseTensor, Tensor: tensors[name]})
	}
	attrs = append(attrs, &ir.Attribute{Name: "list", Type: ir.AttrSparseTensors, Tensors: list})
	m := &ir.Model{IRVersion: 9, OpsetImports: map[string]int64{"": 19}, Graph: &ir.Graph{
		Nodes: []*ir.Node{{OpType: "Sparse", Domain: "x", Attrs: attrs}},
	}}
	onnxRoundTrip(t, "sparse attributes", m)
	// The number of values stored is the number of non-zero elements.
	mp, err := ToProto(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, ap := range mp.Graph.Node[0].Attribute {
		if ap.GetName() == "all zero" && len(ap.SparseTensor.Values.RawData) != 0 {
			t.Errorf("all-zero tensor stored %d value bytes", len(ap.SparseTensor.Values.RawData))
		}
		if ap.GetName() == "float" && !reflect.DeepEqual(ap.SparseTensor.Values.RawData[:4], []byte{0, 0, 0xc0, 0x3f}) {
			t.Errorf("first float value bytes % x", ap.SparseTensor.Values.RawData[:4])
		}
	}
	if _, err := ToProto(&ir.Model{Graph: &ir.Graph{Nodes: []*ir.Node{{OpType: "S", Attrs: []*ir.Attribute{{Name: "s", Type: ir.AttrSparseTensors, Tensors: []*tensor.Tensor{nil}}}}}}}); !errors.Is(err, ErrInvalidTensor) {
		t.Errorf("nil sparse tensor: %v", err)
	}
}

package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

var updateHostile = flag.Bool("update-hostile", false, "rewrite testdata/hostile from the generator in hostile_test.go")

// hostileDir holds the crafted models; cmd/onyx's tests run `onyx run` on
// each, expecting the error listed in its cases.txt.
const hostileDir = "../testdata/hostile"

// A hostileCase is a crafted model that must be refused with an error
// containing want (which names the node, tensor or value at fault).
type hostileCase struct {
	name  string
	want  string
	model func() *onnxpb.ModelProto
}

func hvi(name string, dt tensor.DType, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(dt)), Shape: shape}}}}
}

func hnode(name, op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func hints(name string, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(tensor.Int64)), Dims: []int64{int64(len(v))}, Int64Data: v}
}

func hgraph(nodes []*onnxpb.NodeProto, in, out []*onnxpb.ValueInfoProto, inits ...*onnxpb.TensorProto) *onnxpb.GraphProto {
	return &onnxpb.GraphProto{Name: proto.String("g"), Node: nodes, Input: in, Output: out, Initializer: inits}
}

func hmodel(g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}}
}

// hdyn is a model whose node op gets, at run time, a size of 10^6 plus the
// value of input n (so `onyx run --random` trips it too).
func hdyn(op string, extra []*onnxpb.ValueInfoProto, in []string, inits ...*onnxpb.TensorProto) func() *onnxpb.ModelProto {
	return func() *onnxpb.ModelProto {
		nodes := []*onnxpb.NodeProto{
			hnode("add", "Add", []string{"n", "big"}, []string{"size"}),
			hnode("huge", op, in, []string{"y"}),
		}
		ins := append([]*onnxpb.ValueInfoProto{hvi("n", tensor.Int64, 2)}, extra...)
		return hmodel(hgraph(nodes, ins, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, append(inits, hints("big", 1e6, 1e6))...))
	}
}

func relu(name, in, out string) *onnxpb.NodeProto {
	return hnode(name, "Relu", []string{in}, []string{out})
}

var hostileCases = []hostileCase{
	{"raw_data_short", `tensor "w": raw_data has 8 bytes, float32[4 4] needs 64`, func() *onnxpb.ModelProto {
		w := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{4, 4}, RawData: make([]byte, 8)}
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("add", "Add", []string{"x", "w"}, []string{"y"})},
			[]*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 4, 4)}, []*onnxpb.ValueInfoProto{hvi("y", tensor.Float32, 4, 4)}, w))
	}},
	{"raw_data_huge_claim", `tensor "w": raw_data has 16 bytes, float32[1000000 1000000] needs 4000000000000`, func() *onnxpb.ModelProto {
		w := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{1e6, 1e6}, RawData: make([]byte, 16)}
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("r", "w", "y")}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, w))
	}},
	{"negative_dim_initializer", `tensor "w": dimension 0 is -5`, func() *onnxpb.ModelProto {
		w := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{-5, 3}}
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("r", "w", "y")}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, w))
	}},
	{"negative_dim_input", `input "x": dim 0 is -5`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("r", "x", "y")},
			[]*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, -5, 3)}, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}))
	}},
	{"negative_dim_shape", `ConstantOfShape "neg"`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("neg", "ConstantOfShape", []string{"shape"}, []string{"y"})},
			nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, hints("shape", -5, 3)))
	}},
	{"huge_input", `input "x": over a session limit: float32[1000000 1000000] is 4000000000000 bytes`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("r", "x", "y")},
			[]*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 1e6, 1e6)}, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}))
	}},
	{"huge_constant_of_shape", `ConstantOfShape "huge": output "y": over a session limit`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("huge", "ConstantOfShape", []string{"shape"}, []string{"y"})},
			nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, hints("shape", 1e6, 1e6)))
	}},
	{"huge_run_constant_of_shape", `ConstantOfShape "huge": output "y": over a session limit`,
		hdyn("ConstantOfShape", nil, []string{"size"})},
	{"huge_run_expand", `Expand "huge": output "y": over a session limit`,
		hdyn("Expand", []*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 1)}, []string{"x", "size"})},
	{"huge_run_tile", `Tile "huge": output "y": over a session limit`,
		hdyn("Tile", []*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 1, 1)}, []string{"x", "size"})},
	{"huge_run_range", `Range "huge": output "y": over a session limit`, func() *onnxpb.ModelProto {
		lim := &onnxpb.TensorProto{Name: proto.String("big"), DataType: proto.Int32(int32(tensor.Int64)), Int64Data: []int64{1e12}}
		zero := &onnxpb.TensorProto{Name: proto.String("zero"), DataType: proto.Int32(int32(tensor.Int64)), Int64Data: []int64{0}}
		one := &onnxpb.TensorProto{Name: proto.String("one"), DataType: proto.Int32(int32(tensor.Int64)), Int64Data: []int64{1}}
		return hmodel(hgraph([]*onnxpb.NodeProto{
			hnode("add", "Add", []string{"n", "big"}, []string{"limit"}),
			hnode("huge", "Range", []string{"zero", "limit", "one"}, []string{"y"}),
		}, []*onnxpb.ValueInfoProto{hvi("n", tensor.Int64)}, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, lim, zero, one))
	}},
	{"huge_run_resize", `Resize "huge": output "y": over a session limit`, func() *onnxpb.ModelProto {
		big := &onnxpb.TensorProto{Name: proto.String("big"), DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{4}, FloatData: []float32{1, 1, 3e5, 3e5}}
		return hmodel(hgraph([]*onnxpb.NodeProto{
			hnode("add", "Add", []string{"s", "big"}, []string{"scales"}),
			hnode("huge", "Resize", []string{"x", "", "scales"}, []string{"y"}),
		}, []*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 1, 1, 2, 2), hvi("s", tensor.Float32, 4)},
			[]*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, big))
	}},
	// Each iteration adds four 64 MiB views of one tensor to the scan
	// outputs: stacking them would take 16 GiB after 64 iterations. The
	// Loop stops there, having allocated 64 MiB.
	{"huge_loop_scan", `Loop "hoard": iteration 63: `, func() *onnxpb.ModelProto {
		var outs []*onnxpb.ValueInfoProto
		nodes := []*onnxpb.NodeProto{hnode("again", "Identity", []string{"cond_in"}, []string{"cond_out"})}
		for i := range 4 {
			name := fmt.Sprintf("s%d", i)
			nodes = append(nodes, hnode("view"+name, "Identity", []string{"big"}, []string{name}))
			outs = append(outs, &onnxpb.ValueInfoProto{Name: proto.String(name)})
		}
		body := hgraph(nodes, []*onnxpb.ValueInfoProto{hvi("i", tensor.Int64), hvi("cond_in", tensor.Bool)},
			append([]*onnxpb.ValueInfoProto{{Name: proto.String("cond_out")}}, outs...))
		yes := &onnxpb.TensorProto{Name: proto.String("yes"), DataType: proto.Int32(int32(tensor.Bool)), Int32Data: []int32{1}}
		trips := &onnxpb.TensorProto{Name: proto.String("trips"), DataType: proto.Int32(int32(tensor.Int64)), Int64Data: []int64{1e12}}
		return hmodel(hgraph([]*onnxpb.NodeProto{
			hnode("big", "ConstantOfShape", []string{"size"}, []string{"big"}),
			hnode("hoard", "Loop", []string{"trips", "yes"}, []string{"s0", "s1", "s2", "s3"},
				&onnxpb.AttributeProto{Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: body}),
		}, nil, outs, hints("size", 16<<20), yes, trips))
	}},
	{"cycle", `the graph has a cycle through Relu "a_from_b"`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("a_from_b", "b", "a"), relu("b_from_a", "a", "b")},
			nil, []*onnxpb.ValueInfoProto{{Name: proto.String("a")}}))
	}},
	{"undefined_value", `Relu "r" reads "ghost", which nothing defines`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{relu("r", "ghost", "y")}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}))
	}},
	{"undefined_in_subgraph", `If "branchy" reads "ghost", which nothing defines`, func() *onnxpb.ModelProto {
		body := hgraph([]*onnxpb.NodeProto{relu("inner", "ghost", "z")}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("z")}})
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("branchy", "If", []string{"c"}, []string{"y"},
			&onnxpb.AttributeProto{Name: proto.String("then_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: body},
			&onnxpb.AttributeProto{Name: proto.String("else_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: body})},
			[]*onnxpb.ValueInfoProto{hvi("c", tensor.Bool)}, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}))
	}},
	{"wrong_attribute_type", `Transpose "t" (opset 13): invalid model: invalid node: attribute "perm" is string, want ints`, func() *onnxpb.ModelProto {
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("t", "Transpose", []string{"x"}, []string{"y"},
			&onnxpb.AttributeProto{Name: proto.String("perm"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("1,0")})},
			[]*onnxpb.ValueInfoProto{hvi("x", tensor.Float32, 2, 3)}, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}))
	}},
	{"deep_nesting", `subgraphs nested more than 64 deep`, func() *onnxpb.ModelProto {
		leaf := func() *onnxpb.GraphProto {
			return hgraph([]*onnxpb.NodeProto{hnode("leaf", "Identity", []string{"x"}, []string{"z"})}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("z")}})
		}
		g := leaf()
		for i := range 100 {
			g = hgraph([]*onnxpb.NodeProto{hnode(fmt.Sprintf("if%d", i), "If", []string{"c"}, []string{"z"},
				&onnxpb.AttributeProto{Name: proto.String("then_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g},
				&onnxpb.AttributeProto{Name: proto.String("else_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: leaf()})},
				nil, []*onnxpb.ValueInfoProto{{Name: proto.String("z")}})
		}
		g.Input = []*onnxpb.ValueInfoProto{hvi("c", tensor.Bool), hvi("x", tensor.Float32, 1)}
		return hmodel(g)
	}},
	{"external_data_escape", `tensor "w"`, func() *onnxpb.ModelProto {
		w := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(tensor.Uint8)), Dims: []int64{16},
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("../../../../../../etc/passwd")}}}
		return hmodel(hgraph([]*onnxpb.NodeProto{hnode("id", "Identity", []string{"w"}, []string{"y"})}, nil, []*onnxpb.ValueInfoProto{{Name: proto.String("y")}}, w))
	}},
}

// hostileInputs makes an input of every declared type: zeros, with unknown
// dims as 1.
func hostileInputs(t *testing.T, s *runtime.Session) map[string]*tensor.Tensor {
	feed := map[string]*tensor.Tensor{}
	for _, in := range s.Inputs() {
		dims := make([]int, len(in.Shape))
		for i, d := range in.Shape {
			dims[i] = 1
			if d.Known() {
				dims[i] = int(d.Value)
			}
		}
		x, err := tensor.New(in.DType, dims...)
		if err != nil {
			t.Fatal(err)
		}
		feed[in.Name] = x
	}
	return feed
}

// TestHostileModels loads, compiles and runs each crafted model of
// testdata/hostile (checking the files are what the generator makes): each
// must fail with its error, never panic or allocate what it asks for.
func TestHostileModels(t *testing.T) {
	var manifest bytes.Buffer
	manifest.WriteString("# Crafted hostile models (written by runtime/hostile_test.go, go test ./runtime -update-hostile):\n# file<TAB>the error it must give\n")
	for _, c := range hostileCases {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c.model())
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(hostileDir, c.name+".onnx")
		fmt.Fprintf(&manifest, "%s.onnx\t%s\n", c.name, c.want)
		if *updateHostile {
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if old, err := os.ReadFile(file); err != nil || !bytes.Equal(old, b) {
			t.Errorf("%s is missing or stale (%v): run go test ./runtime -run TestHostileModels -update-hostile", file, err)
		}
		t.Run(c.name, func(t *testing.T) {
			err := hostileRun(t, file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("a panic: %v", err)
			}
		})
	}
	file := filepath.Join(hostileDir, "cases.txt")
	if *updateHostile {
		if err := os.WriteFile(file, manifest.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if old, err := os.ReadFile(file); err != nil || !bytes.Equal(old, manifest.Bytes()) {
		t.Errorf("%s is missing or stale (%v): run go test ./runtime -run TestHostileModels -update-hostile", file, err)
	}
}

// hostileRun loads, compiles and runs the model in file on zero inputs.
func hostileRun(t *testing.T, file string) error {
	m, err := onnx.LoadFile(file)
	if err != nil {
		return err
	}
	s, err := runtime.NewSession(m)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Run(context.Background(), hostileInputs(t, s))
	return err
}

// TestLimitsOptions checks that limits can be lowered and raised, and that
// errors wrap ErrLimit.
func TestLimitsOptions(t *testing.T) {
	chain := chainModel(3, 1024)
	if _, err := runtime.NewSession(chain, runtime.WithLimits(runtime.Limits{MaxTensorBytes: 4095})); !errors.Is(err, runtime.ErrLimit) ||
		!strings.Contains(err.Error(), `input "x"`) {
		t.Errorf("MaxTensorBytes below the input: %v", err)
	}
	if _, err := runtime.NewSession(chain, runtime.WithLimits(runtime.Limits{MaxNodes: 2})); !errors.Is(err, runtime.ErrLimit) {
		t.Errorf("MaxNodes: %v", err)
	}
	// Three 4 KiB tensors live at once at most (x is the caller's).
	if _, err := runtime.NewSession(chain, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 4096})); !errors.Is(err, runtime.ErrLimit) ||
		!strings.Contains(err.Error(), "arena") {
		t.Errorf("MaxTotalBytes: %v", err)
	}
	if _, err := runtime.NewSession(chain, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 3 * 4096, MaxNodes: 3, MaxTensorBytes: 4096})); err != nil {
		t.Errorf("limits just large enough: %v", err)
	}
	if _, err := runtime.NewSession(chain, runtime.WithLimits(runtime.Limits{MaxNodes: -1})); err == nil {
		t.Error("a negative limit is accepted")
	}
	// Initializers count towards both limits.
	w := &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: &ir.Graph{
		Nodes:        []*ir.Node{{Name: "r", OpType: "Relu", Inputs: []string{"w"}, Outputs: []string{"y"}}},
		Outputs:      []*ir.ValueInfo{{Name: "y"}},
		Initializers: []*ir.Initializer{{Name: "w", Tensor: tensor.Must(tensor.New(tensor.Float32, 1024))}},
	}}
	if _, err := runtime.NewSession(w, runtime.WithLimits(runtime.Limits{MaxTensorBytes: 1000})); !errors.Is(err, runtime.ErrLimit) ||
		!strings.Contains(err.Error(), `initializer "w"`) {
		t.Errorf("initializer over MaxTensorBytes: %v", err)
	}
	if _, err := runtime.NewSession(w, runtime.WithLimits(runtime.Limits{MaxTotalBytes: 4000})); !errors.Is(err, runtime.ErrLimit) ||
		!strings.Contains(err.Error(), "initializers") {
		t.Errorf("initializers over MaxTotalBytes: %v", err)
	}
	// Raising the limit lets the run-time case through.
	m, err := onnx.LoadFile(filepath.Join(hostileDir, "huge_run_tile.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(m, runtime.WithLimits(runtime.Limits{MaxTensorBytes: 1000}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	small := map[string]*tensor.Tensor{"x": tensor.Must(tensor.FromSlice([]float32{1}, 1, 1)),
		"n": tensor.Must(tensor.FromSlice([]int64{-999_990, -999_990}, 2))} // tile 10x10: 400 bytes
	out, err := s.Run(context.Background(), small)
	if err != nil || !tensor.SameShape(out["y"].Shape(), []int{10, 10}) {
		t.Fatalf("a small Tile under the limit: %v", err)
	}
	small["n"] = tensor.Must(tensor.FromSlice([]int64{-999_980, -999_990}, 2)) // 20x10: 800 bytes
	if _, err := s.Run(context.Background(), small); err != nil {
		t.Fatal(err)
	}
	small["n"] = tensor.Must(tensor.FromSlice([]int64{-999_900, -999_990}, 2)) // 100x10: 4000 bytes
	if _, err := s.Run(context.Background(), small); !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), `Tile "huge"`) {
		t.Fatalf("Tile over a lowered limit: %v", err)
	}
}

// chainModel is y = Neg(Neg(...Neg(x))) with n nodes on float32[size].
func chainModel(n, size int) *ir.Model {
	g := &ir.Graph{Inputs: []*ir.ValueInfo{{Name: "v0", Type: f32Type(size)}}}
	g.Inputs[0].Name = "x"
	prev := "x"
	for i := range n {
		out := fmt.Sprintf("v%d", i+1)
		g.Nodes = append(g.Nodes, &ir.Node{OpType: "Neg", Inputs: []string{prev}, Outputs: []string{out}})
		prev = out
	}
	g.Outputs = []*ir.ValueInfo{{Name: prev}}
	return &ir.Model{IRVersion: 8, OpsetImports: map[string]int64{"": 13}, Graph: g}
}

// TestLongChain compiles and runs a 10,000-node chain (with and without
// graph optimizations): nothing in compilation recurses per node.
func TestLongChain(t *testing.T) {
	const n = 10000
	for _, opt := range []bool{true, false} {
		s, err := runtime.NewSession(chainModel(n, 4), runtime.WithGraphOptimizations(opt))
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.Must(tensor.FromSlice([]float32{-1, 2, -3, 4}, 4))
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if got := tensor.Data[float32](out[fmt.Sprintf("v%d", n)]); fmt.Sprint(got) != "[-1 2 -3 4]" {
			t.Errorf("optimize=%v: got %v", opt, got)
		}
		s.Close()
	}
}

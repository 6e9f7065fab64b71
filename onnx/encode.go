package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// Encode serialises m as a ModelProto. The output is deterministic: the
// same model always gives the same bytes. All tensors are stored inside the
// model, so it must fit in protobuf's 2 GiB limit.
func Encode(m *ir.Model) ([]byte, error) {
	mp, err := ToProto(m)
	if err != nil {
		return nil, err
	}
	if size := proto.Size(mp); size > math.MaxInt32 {
		return nil, fmt.Errorf("onnx: %w: model is %d bytes, over protobuf's 2 GiB limit", ErrUnsupported, size)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w: encoding: %v", ErrInvalidModel, err)
	}
	return b, nil
}

// Save writes m to path. It writes a temporary file in the same directory
// and renames it over path, so that on error an existing file is left as
// it was.
func Save(m *ir.Model, path string) (err error) {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("onnx: saving model: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("onnx: saving model to %s: %w", path, err)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ToProto converts m to a ModelProto. When m.IRVersion is 0 it writes the
// lowest IR version that supports m's default-domain opset (and functions).
func ToProto(m *ir.Model) (*onnxpb.ModelProto, error) {
	mp, err := modelToProto(m)
	return mp, public(err)
}

// irVersionForOpset gives, for each IR version from 3, the highest ai.onnx
// opset released with it (from the ONNX versioning table).
var irVersionForOpset = []struct{ ir, maxOpset int64 }{
	{3, 8}, {4, 9}, {5, 10}, {6, 11}, {7, 14}, {8, 18}, {9, 20}, {10, 22},
	{11, 23}, {12, 24}, {13, 27},
}

// defaultIRVersion picks the IR version Encode writes for m.
func defaultIRVersion(m *ir.Model) int64 {
	v := MaxIRVersion
	opset := m.OpsetImports[ir.DefaultDomain]
	for _, e := range irVersionForOpset {
		if opset <= e.maxOpset {
			v = e.ir
			break
		}
	}
	if len(m.Functions) > 0 {
		v = max(v, 8) // model-local functions came with IR 8
	}
	return v
}

func modelToProto(m *ir.Model) (*onnxpb.ModelProto, error) {
	if m == nil {
		return nil, errorf(ErrInvalidModel, "nil model")
	}
	if m.Graph == nil {
		return nil, errorf(ErrInvalidModel, "model has no graph")
	}
	v := m.IRVersion
	if v == 0 {
		v = defaultIRVersion(m)
	}
	mp := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(v),
		OpsetImport:  opsetsToProto(m.OpsetImports),
		Graph:        nil,
		ModelVersion: optInt64(m.ModelVersion),
	}
	mp.ProducerName = optString(m.ProducerName)
	mp.ProducerVersion = optString(m.ProducerVersion)
	mp.Domain = optString(m.Domain)
	mp.DocString = optString(m.DocString)
	mp.MetadataProps = metadataToProto(m.Metadata)
	var err error
	if mp.Graph, err = graphToProto(m.Graph); err != nil {
		return nil, err
	}
	for _, f := range m.Functions {
		fp, err := functionToProto(f)
		if err != nil {
			return nil, err
		}
		mp.Functions = append(mp.Functions, fp)
	}
	return mp, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}

func optInt64(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return proto.Int64(v)
}

// opsetsToProto lists the default domain first, then the others sorted.
func opsetsToProto(imports map[string]int64) []*onnxpb.OperatorSetIdProto {
	domains := make([]string, 0, len(imports))
	for d := range imports {
		domains = append(domains, d)
	}
	sort.Strings(domains) // "" sorts first
	var out []*onnxpb.OperatorSetIdProto
	for _, d := range domains {
		out = append(out, &onnxpb.OperatorSetIdProto{Domain: proto.String(d), Version: proto.Int64(imports[d])})
	}
	return out
}

func metadataToProto(md map[string]string) []*onnxpb.StringStringEntryProto {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*onnxpb.StringStringEntryProto
	for _, k := range keys {
		out = append(out, &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(md[k])})
	}
	return out
}

func graphToProto(g *ir.Graph) (*onnxpb.GraphProto, error) {
	gp := &onnxpb.GraphProto{Name: optString(g.Name), DocString: optString(g.DocString)}
	where := fmt.Sprintf("graph %q", g.Name)
	var err error
	if gp.Input, err = valueInfosToProto(g.Inputs, where); err != nil {
		return nil, err
	}
	if gp.Output, err = valueInfosToProto(g.Outputs, where); err != nil {
		return nil, err
	}
	if gp.ValueInfo, err = valueInfosToProto(g.ValueInfo, where); err != nil {
		return nil, err
	}
	for _, in := range g.Initializers {
		if in == nil || in.Name == "" {
			return nil, errorf(ErrInvalidModel, "%s: initializer without a name", where)
		}
		tp, err := tensorToProto(in.Tensor)
		if err != nil {
			return nil, fmt.Errorf("%s: initializer %q: %w", where, in.Name, err)
		}
		tp.Name = proto.String(in.Name)
		tp.DocString = optString(in.Doc)
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, n := range g.Nodes {
		np, err := nodeToProto(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		gp.Node = append(gp.Node, np)
	}
	return gp, nil
}

func valueInfosToProto(vs []*ir.ValueInfo, where string) ([]*onnxpb.ValueInfoProto, error) {
	var out []*onnxpb.ValueInfoProto
	for _, v := range vs {
		if v == nil {
			return nil, errorf(ErrInvalidModel, "%s: nil value info", where)
		}
		vp := &onnxpb.ValueInfoProto{Name: proto.String(v.Name), DocString: optString(v.DocString)}
		if v.Type != nil {
			var err error
			if vp.Type, err = typeToProto(v.Type); err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", where, v.Name, err)
			}
		}
		out = append(out, vp)
	}
	return out, nil
}

// typeToProto converts a type; nil (nothing known) becomes an empty
// TypeProto, as the decoder reads it.
func typeToProto(t *ir.Type) (*onnxpb.TypeProto, error) {
	if t == nil {
		return &onnxpb.TypeProto{}, nil
	}
	elem := func() (*onnxpb.TypeProto, error) {
		if t.Elem == nil {
			return nil, errorf(ErrInvalidModel, "%v type without element type", t)
		}
		return typeToProto(t.Elem)
	}
	switch t.Kind {
	case ir.KindTensor:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(t.DType)), Shape: shapeToProto(t.Shape),
		}}}, nil
	case ir.KindSparseTensor:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SparseTensorType{SparseTensorType: &onnxpb.TypeProto_SparseTensor{
			ElemType: proto.Int32(int32(t.DType)), Shape: shapeToProto(t.Shape),
		}}}, nil
	case ir.KindSequence:
		e, err := elem()
		if err != nil {
			return nil, err
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: e}}}, nil
	case ir.KindOptional:
		e, err := elem()
		if err != nil {
			return nil, err
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: e}}}, nil
	case ir.KindMap:
		e, err := elem()
		if err != nil {
			return nil, err
		}
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{
			KeyType: proto.Int32(int32(t.Key)), ValueType: e,
		}}}, nil
	}
	return nil, errorf(ErrInvalidModel, "unknown type kind %d", t.Kind)
}

func shapeToProto(s ir.Shape) *onnxpb.TensorShapeProto {
	if s == nil {
		return nil
	}
	sp := &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(s))}
	for i, d := range s {
		dp := &onnxpb.TensorShapeProto_Dimension{}
		switch {
		case d.Param != "":
			dp.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
		case d.Value >= 0:
			dp.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Value}
		}
		sp.Dim[i] = dp
	}
	return sp
}

func nodeToProto(n *ir.Node) (*onnxpb.NodeProto, error) {
	if n == nil {
		return nil, errorf(ErrInvalidModel, "nil node")
	}
	if n.OpType == "" {
		return nil, errorf(ErrInvalidModel, "%v: no op type", n)
	}
	np := &onnxpb.NodeProto{
		Input:     slices.Clone(n.Inputs),
		Output:    slices.Clone(n.Outputs),
		Name:      optString(n.Name),
		OpType:    proto.String(n.OpType),
		Domain:    optString(n.Domain),
		DocString: optString(n.DocString),
	}
	for _, a := range n.Attrs {
		ap, err := attributeToProto(a)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", n, err)
		}
		np.Attribute = append(np.Attribute, ap)
	}
	return np, nil
}

func attributeToProto(a *ir.Attribute) (*onnxpb.AttributeProto, error) {
	if a == nil || a.Name == "" {
		return nil, errorf(ErrInvalidModel, "attribute without a name")
	}
	ap := &onnxpb.AttributeProto{
		Name:      proto.String(a.Name),
		Type:      onnxpb.AttributeProto_AttributeType(a.Type).Enum(),
		DocString: optString(a.DocString),
	}
	if a.RefAttrName != "" {
		ap.RefAttrName = proto.String(a.RefAttrName)
		return ap, nil
	}
	bad := func(err error) (*onnxpb.AttributeProto, error) {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	missing := func() (*onnxpb.AttributeProto, error) {
		return nil, errorf(ErrInvalidModel, "attribute %q: type %v without a value", a.Name, a.Type)
	}
	var err error
	switch a.Type {
	case ir.AttrFloat:
		ap.F = proto.Float32(a.Float)
	case ir.AttrInt:
		ap.I = proto.Int64(a.Int)
	case ir.AttrString:
		ap.S = []byte(a.String)
	case ir.AttrTensor:
		if a.Tensor == nil {
			return missing()
		}
		if ap.T, err = tensorToProto(a.Tensor); err != nil {
			return bad(err)
		}
	case ir.AttrSparseTensor:
		if a.Tensor == nil {
			return missing()
		}
		if ap.SparseTensor, err = sparseToProto(a.Tensor); err != nil {
			return bad(err)
		}
	case ir.AttrGraph:
		if a.Graph == nil {
			return missing()
		}
		if ap.G, err = graphToProto(a.Graph); err != nil {
			return bad(err)
		}
	case ir.AttrTypeProto:
		if ap.Tp, err = typeToProto(a.TypeProto); err != nil {
			return bad(err)
		}
	case ir.AttrFloats:
		ap.Floats = slices.Clone(a.Floats)
	case ir.AttrInts:
		ap.Ints = slices.Clone(a.Ints)
	case ir.AttrStrings:
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, []byte(s))
		}
	case ir.AttrTensors:
		for _, t := range a.Tensors {
			tp, err := tensorToProto(t)
			if err != nil {
				return bad(err)
			}
			ap.Tensors = append(ap.Tensors, tp)
		}
	case ir.AttrSparseTensors:
		for _, t := range a.Tensors {
			sp, err := sparseToProto(t)
			if err != nil {
				return bad(err)
			}
			ap.SparseTensors = append(ap.SparseTensors, sp)
		}
	case ir.AttrGraphs:
		for _, g := range a.Graphs {
			if g == nil {
				return missing()
			}
			gp, err := graphToProto(g)
			if err != nil {
				return bad(err)
			}
			ap.Graphs = append(ap.Graphs, gp)
		}
	case ir.AttrTypeProtos:
		for _, t := range a.TypeProtos {
			tp, err := typeToProto(t)
			if err != nil {
				return bad(err)
			}
			ap.TypeProtos = append(ap.TypeProtos, tp)
		}
	default:
		return nil, errorf(ErrInvalidModel, "attribute %q: unknown type %v", a.Name, a.Type)
	}
	return ap, nil
}

func functionToProto(f *ir.Function) (*onnxpb.FunctionProto, error) {
	if f == nil || f.Name == "" {
		return nil, errorf(ErrInvalidModel, "function without a name")
	}
	fp := &onnxpb.FunctionProto{
		Name:        proto.String(f.Name),
		Domain:      optString(f.Domain),
		Input:       slices.Clone(f.Inputs),
		Output:      slices.Clone(f.Outputs),
		Attribute:   slices.Clone(f.Attributes),
		DocString:   optString(f.DocString),
		OpsetImport: opsetsToProto(f.OpsetImports),
	}
	for _, a := range f.AttributeDefs {
		ap, err := attributeToProto(a)
		if err != nil {
			return nil, fmt.Errorf("function %q: %w", f.Name, err)
		}
		fp.AttributeProto = append(fp.AttributeProto, ap)
	}
	for _, n := range f.Nodes {
		np, err := nodeToProto(n)
		if err != nil {
			return nil, fmt.Errorf("function %q: %w", f.Name, err)
		}
		fp.Node = append(fp.Node, np)
	}
	return fp, nil
}

// sparseToProto stores the non-zero elements of t (non-empty strings,
// true bools) with linear int64 indices.
func sparseToProto(t *tensor.Tensor) (*onnxpb.SparseTensorProto, error) {
	if t == nil {
		return nil, errorf(ErrInvalidTensor, "nil tensor")
	}
	var pos []int
	var values *tensor.Tensor
	switch d := t.Raw().(type) {
	case []float32:
		pos, values = gatherNonZero(d, func(v float32) bool { return v != 0 })
	case []float64:
		pos, values = gatherNonZero(d, func(v float64) bool { return v != 0 })
	case []int8:
		pos, values = gatherNonZero(d, func(v int8) bool { return v != 0 })
	case []int16:
		pos, values = gatherNonZero(d, func(v int16) bool { return v != 0 })
	case []int32:
		pos, values = gatherNonZero(d, func(v int32) bool { return v != 0 })
	case []int64:
		pos, values = gatherNonZero(d, func(v int64) bool { return v != 0 })
	case []uint8:
		pos, values = gatherNonZero(d, func(v uint8) bool { return v != 0 })
	case []uint16:
		pos, values = gatherNonZero(d, func(v uint16) bool { return v != 0 })
	case []uint32:
		pos, values = gatherNonZero(d, func(v uint32) bool { return v != 0 })
	case []uint64:
		pos, values = gatherNonZero(d, func(v uint64) bool { return v != 0 })
	case []bool:
		pos, values = gatherNonZero(d, func(v bool) bool { return v })
	case []string:
		pos, values = gatherNonZero(d, func(v string) bool { return v != "" })
	case []tensor.F16:
		pos, values = gatherNonZero(d, func(v tensor.F16) bool { return v.Float32() != 0 })
	case []tensor.BF16:
		pos, values = gatherNonZero(d, func(v tensor.BF16) bool { return v.Float32() != 0 })
	case []complex64:
		pos, values = gatherNonZero(d, func(v complex64) bool { return v != 0 })
	case []complex128:
		pos, values = gatherNonZero(d, func(v complex128) bool { return v != 0 })
	default:
		return nil, errorf(ErrUnsupported, "sparse tensor of type %v", t.DType())
	}
	vp, err := tensorToProto(values)
	if err != nil {
		return nil, err
	}
	idx := make([]int64, len(pos))
	for i, p := range pos {
		idx[i] = int64(p)
	}
	ip, err := tensorToProto(tensor.Must(tensor.FromSlice(idx, len(idx))))
	if err != nil {
		return nil, err
	}
	sp := &onnxpb.SparseTensorProto{Values: vp, Indices: ip, Dims: make([]int64, t.Rank())}
	for i, d := range t.Shape() {
		sp.Dims[i] = int64(d)
	}
	return sp, nil
}

func gatherNonZero[T tensor.Elem](d []T, nonZero func(T) bool) ([]int, *tensor.Tensor) {
	var pos []int
	var vals []T
	for i, v := range d {
		if nonZero(v) {
			pos = append(pos, i)
			vals = append(vals, v)
		}
	}
	return pos, tensor.Must(tensor.FromSlice(vals, len(vals)))
}

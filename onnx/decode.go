package onnx

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// Decode decodes a serialised ModelProto. It has no directory to read
// external data from: a model with external data is an error wrapping
// ErrExternalData unless an Option says where the data is.
func Decode(data []byte, opts ...Option) (*ir.Model, error) {
	var mp onnxpb.ModelProto
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &mp); err != nil {
		return nil, public(errorf(ErrInvalidModel, "decoding ModelProto: %v", err))
	}
	return FromProto(&mp, opts...)
}

// Load reads and decodes a model from r, like Decode.
func Load(r io.Reader, opts ...Option) (*ir.Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("onnx: reading model: %w", err)
	}
	return Decode(data, opts...)
}

// LoadFile reads the model at path. External data is read from files in the
// model's directory, and only there (see the package comment).
func LoadFile(path string, opts ...Option) (*ir.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	opts = append([]Option{WithExternalDataDir(filepath.Dir(path))}, opts...)
	m, err := Decode(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// LoadFS reads the model called name in fsys. External data is read from
// fsys, relative to the directory of name.
func LoadFS(fsys fs.FS, name string, opts ...Option) (*ir.Model, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	opts = append([]Option{WithExternalDataFS(fsys, path.Dir(name))}, opts...)
	m, err := Decode(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, name)
	}
	return m, nil
}

// FromProto converts a decoded ModelProto to an ir.Model.
func FromProto(mp *onnxpb.ModelProto, opts ...Option) (*ir.Model, error) {
	l := newLoader(opts)
	defer l.close()
	m, err := l.model(mp)
	if err != nil {
		return nil, public(err)
	}
	return m, nil
}

func (l *loader) model(mp *onnxpb.ModelProto) (*ir.Model, error) {
	if mp.IrVersion == nil {
		return nil, errorf(ErrInvalidModel, "ir_version is not set")
	}
	v := mp.GetIrVersion()
	if v < MinIRVersion || v > MaxIRVersion {
		return nil, errorf(ErrUnsupportedIRVersion, "IR version %d (onyx reads %d to %d)", v, MinIRVersion, MaxIRVersion)
	}
	m := &ir.Model{
		IRVersion:       v,
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		DocString:       mp.GetDocString(),
	}
	var err error
	if m.OpsetImports, err = opsets(mp.OpsetImport, "model"); err != nil {
		return nil, err
	}
	if m.Metadata, err = metadata(mp.MetadataProps, "model"); err != nil {
		return nil, err
	}
	if mp.Graph == nil {
		return nil, errorf(ErrInvalidModel, "model has no graph")
	}
	if m.Graph, err = l.graph(mp.Graph, true); err != nil {
		return nil, err
	}
	if _, ok := m.OpsetImports[ir.DefaultDomain]; !ok && l.usesDefault {
		return nil, errorf(ErrInvalidModel, "the graph uses ai.onnx operators but opset_import has no entry for the default domain")
	}
	for i, fp := range mp.Functions {
		f, err := l.function(fp)
		if err != nil {
			return nil, fmt.Errorf("function %d %q: %w", i, fp.GetName(), err)
		}
		m.Functions = append(m.Functions, f)
	}
	return m, nil
}

// normDomain maps "ai.onnx" to "".
func normDomain(d string) string {
	if d == "ai.onnx" {
		return ir.DefaultDomain
	}
	return d
}

func opsets(ids []*onnxpb.OperatorSetIdProto, where string) (map[string]int64, error) {
	m := make(map[string]int64, len(ids))
	for _, id := range ids {
		d := normDomain(id.GetDomain())
		if id.GetVersion() < 1 {
			return nil, errorf(ErrInvalidModel, "%s: opset_import of domain %q has version %d", where, id.GetDomain(), id.GetVersion())
		}
		if old, dup := m[d]; dup && old != id.GetVersion() {
			return nil, errorf(ErrInvalidModel, "%s: opset_import has domain %q twice (versions %d and %d)", where, id.GetDomain(), old, id.GetVersion())
		}
		m[d] = id.GetVersion()
	}
	return m, nil
}

func metadata(props []*onnxpb.StringStringEntryProto, where string) (map[string]string, error) {
	if len(props) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(props))
	for _, p := range props {
		if _, dup := m[p.GetKey()]; dup {
			return nil, errorf(ErrInvalidModel, "%s: metadata_props has key %q twice", where, p.GetKey())
		}
		m[p.GetKey()] = p.GetValue()
	}
	return m, nil
}

// graph converts a graph; main is false inside functions, where the
// default-domain check does not apply.
func (l *loader) graph(gp *onnxpb.GraphProto, main bool) (*ir.Graph, error) {
	g := &ir.Graph{Name: gp.GetName(), DocString: gp.GetDocString()}
	where := fmt.Sprintf("graph %q", gp.GetName())
	var err error
	if g.Inputs, err = valueInfos(gp.Input, where, "input"); err != nil {
		return nil, err
	}
	if g.Outputs, err = valueInfos(gp.Output, where, "output"); err != nil {
		return nil, err
	}
	if g.ValueInfo, err = valueInfos(gp.ValueInfo, where, "value_info"); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(gp.Initializer)+len(gp.SparseInitializer))
	for i, tp := range gp.Initializer {
		name := tp.GetName()
		if name == "" {
			return nil, errorf(ErrInvalidModel, "%s: initializer %d has no name", where, i)
		}
		if seen[name] {
			return nil, errorf(ErrInvalidModel, "%s: initializer %q appears twice", where, name)
		}
		seen[name] = true
		t, err := l.tensor(tp)
		if err != nil {
			return nil, fmt.Errorf("%s: initializer: %w", where, err)
		}
		g.Initializers = append(g.Initializers, &ir.Initializer{Name: name, Tensor: t, Doc: tp.GetDocString()})
	}
	for i, sp := range gp.SparseInitializer {
		name := sp.GetValues().GetName()
		if name == "" {
			return nil, errorf(ErrInvalidModel, "%s: sparse initializer %d has no name (values.name)", where, i)
		}
		if seen[name] {
			return nil, errorf(ErrInvalidModel, "%s: initializer %q appears twice", where, name)
		}
		seen[name] = true
		t, err := l.sparse(sp)
		if err != nil {
			return nil, fmt.Errorf("%s: sparse initializer %q: %w", where, name, err)
		}
		g.Initializers = append(g.Initializers, &ir.Initializer{Name: name, Tensor: t, Doc: sp.GetValues().GetDocString()})
	}
	for i, np := range gp.Node {
		n, err := l.node(np, main)
		if err != nil {
			return nil, fmt.Errorf("%s: node %d: %w", where, i, err)
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func valueInfos(vps []*onnxpb.ValueInfoProto, where, field string) ([]*ir.ValueInfo, error) {
	var out []*ir.ValueInfo
	for i, vp := range vps {
		if vp.GetName() == "" {
			return nil, errorf(ErrInvalidModel, "%s: %s %d has no name", where, field, i)
		}
		var t *ir.Type
		if vp.Type != nil {
			var err error
			if t, err = typeFromProto(vp.Type); err != nil {
				return nil, fmt.Errorf("%s: %s %q: %w", where, field, vp.GetName(), err)
			}
			if err := checkDims(vp.Type); err != nil {
				return nil, fmt.Errorf("%s: %s %q: %w", where, field, vp.GetName(), err)
			}
		}
		out = append(out, &ir.ValueInfo{Name: vp.GetName(), Type: t, DocString: vp.GetDocString()})
	}
	return out, nil
}

// checkDims rejects a tensor type with a dim_value below -1: -1 is what
// some old exporters wrote for an unknown dimension (read as unknown),
// anything lower is corrupt.
func checkDims(tp *onnxpb.TypeProto) error {
	var sp *onnxpb.TensorShapeProto
	switch v := tp.Value.(type) {
	case *onnxpb.TypeProto_TensorType:
		sp = v.TensorType.Shape
	case *onnxpb.TypeProto_SparseTensorType:
		sp = v.SparseTensorType.Shape
	}
	for i, d := range sp.GetDim() {
		if v, ok := d.Value.(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v.DimValue < -1 {
			return errorf(ErrInvalidModel, "dim %d is %d", i, v.DimValue)
		}
	}
	return nil
}

// typeFromProto converts a TypeProto. A TypeProto with no value set gives
// nil (nothing known). Element types onyx cannot store (8-bit floats, ...)
// are kept as their DType number, for the runtime to reject if used.
func typeFromProto(tp *onnxpb.TypeProto) (*ir.Type, error) {
	switch v := tp.Value.(type) {
	case nil:
		return nil, nil
	case *onnxpb.TypeProto_TensorType:
		return &ir.Type{
			Kind:  ir.KindTensor,
			DType: tensor.DType(v.TensorType.GetElemType()),
			Shape: shapeFromProto(v.TensorType.Shape),
		}, nil
	case *onnxpb.TypeProto_SparseTensorType:
		return &ir.Type{
			Kind:  ir.KindSparseTensor,
			DType: tensor.DType(v.SparseTensorType.GetElemType()),
			Shape: shapeFromProto(v.SparseTensorType.Shape),
		}, nil
	case *onnxpb.TypeProto_SequenceType:
		elem, err := elemType(v.SequenceType.ElemType, "sequence")
		if err != nil {
			return nil, err
		}
		return &ir.Type{Kind: ir.KindSequence, Elem: elem}, nil
	case *onnxpb.TypeProto_OptionalType:
		elem, err := elemType(v.OptionalType.ElemType, "optional")
		if err != nil {
			return nil, err
		}
		return &ir.Type{Kind: ir.KindOptional, Elem: elem}, nil
	case *onnxpb.TypeProto_MapType:
		elem, err := elemType(v.MapType.ValueType, "map")
		if err != nil {
			return nil, err
		}
		return &ir.Type{Kind: ir.KindMap, Key: tensor.DType(v.MapType.GetKeyType()), Elem: elem}, nil
	case *onnxpb.TypeProto_OpaqueType:
		return nil, errorf(ErrUnsupported, "opaque type %s.%s", v.OpaqueType.GetDomain(), v.OpaqueType.GetName())
	}
	return nil, errorf(ErrUnsupported, "unknown kind of TypeProto")
}

func elemType(tp *onnxpb.TypeProto, kind string) (*ir.Type, error) {
	if tp == nil {
		return nil, errorf(ErrInvalidModel, "%s type without element type", kind)
	}
	t, err := typeFromProto(tp)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errorf(ErrInvalidModel, "%s type with an empty element type", kind)
	}
	return t, nil
}

// shapeFromProto converts a shape; nil (rank unknown) when absent, an empty
// non-nil Shape for a scalar.
func shapeFromProto(sp *onnxpb.TensorShapeProto) ir.Shape {
	if sp == nil {
		return nil
	}
	s := make(ir.Shape, len(sp.Dim))
	for i, d := range sp.Dim {
		switch v := d.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if v.DimValue >= 0 {
				s[i] = ir.DimOf(v.DimValue)
			} else {
				s[i] = ir.UnknownDim
			}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			if v.DimParam != "" {
				s[i] = ir.SymDim(v.DimParam)
			} else {
				s[i] = ir.UnknownDim
			}
		default:
			s[i] = ir.UnknownDim
		}
	}
	return s
}

func (l *loader) node(np *onnxpb.NodeProto, main bool) (*ir.Node, error) {
	n := &ir.Node{
		Name:      np.GetName(),
		OpType:    np.GetOpType(),
		Domain:    normDomain(np.GetDomain()),
		Inputs:    slices.Clone(np.Input),
		Outputs:   slices.Clone(np.Output),
		DocString: np.GetDocString(),
	}
	if n.OpType == "" {
		return nil, errorf(ErrInvalidModel, "node %q has no op_type", n.Name)
	}
	if main && n.Domain == ir.DefaultDomain {
		l.usesDefault = true
	}
	seen := make(map[string]bool, len(np.Attribute))
	for _, ap := range np.Attribute {
		a, err := l.attribute(ap, main)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", n, err)
		}
		if seen[a.Name] {
			return nil, errorf(ErrInvalidModel, "%v: attribute %q appears twice", n, a.Name)
		}
		seen[a.Name] = true
		n.Attrs = append(n.Attrs, a)
	}
	return n, nil
}

// attrTypeOf guesses the type of an attribute written without one (old
// producers), from the field that is set.
func attrTypeOf(ap *onnxpb.AttributeProto) ir.AttrType {
	switch {
	case ap.F != nil:
		return ir.AttrFloat
	case ap.I != nil:
		return ir.AttrInt
	case ap.S != nil:
		return ir.AttrString
	case ap.T != nil:
		return ir.AttrTensor
	case ap.G != nil:
		return ir.AttrGraph
	case ap.SparseTensor != nil:
		return ir.AttrSparseTensor
	case ap.Tp != nil:
		return ir.AttrTypeProto
	case len(ap.Floats) > 0:
		return ir.AttrFloats
	case len(ap.Ints) > 0:
		return ir.AttrInts
	case len(ap.Strings) > 0:
		return ir.AttrStrings
	case len(ap.Tensors) > 0:
		return ir.AttrTensors
	case len(ap.Graphs) > 0:
		return ir.AttrGraphs
	case len(ap.SparseTensors) > 0:
		return ir.AttrSparseTensors
	case len(ap.TypeProtos) > 0:
		return ir.AttrTypeProtos
	}
	return ir.AttrUndefined
}

func (l *loader) attribute(ap *onnxpb.AttributeProto, main bool) (*ir.Attribute, error) {
	a := &ir.Attribute{
		Name:        ap.GetName(),
		Type:        ir.AttrType(ap.GetType()),
		RefAttrName: ap.GetRefAttrName(),
		DocString:   ap.GetDocString(),
	}
	if a.Name == "" {
		return nil, errorf(ErrInvalidModel, "attribute without a name")
	}
	if a.Type == ir.AttrUndefined {
		a.Type = attrTypeOf(ap)
	}
	if a.RefAttrName != "" {
		// A reference to a function's attribute holds no value.
		return a, nil
	}
	bad := func(err error) (*ir.Attribute, error) {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	var err error
	switch a.Type {
	case ir.AttrFloat:
		a.Float = ap.GetF()
	case ir.AttrInt:
		a.Int = ap.GetI()
	case ir.AttrString:
		a.String = string(ap.GetS())
	case ir.AttrTensor:
		if ap.T == nil {
			return nil, errorf(ErrInvalidModel, "attribute %q: type tensor without t", a.Name)
		}
		if a.Tensor, err = l.tensor(ap.T); err != nil {
			return bad(err)
		}
	case ir.AttrSparseTensor:
		if ap.SparseTensor == nil {
			return nil, errorf(ErrInvalidModel, "attribute %q: type sparse_tensor without sparse_tensor", a.Name)
		}
		if a.Tensor, err = l.sparse(ap.SparseTensor); err != nil {
			return bad(err)
		}
	case ir.AttrGraph:
		if ap.G == nil {
			return nil, errorf(ErrInvalidModel, "attribute %q: type graph without g", a.Name)
		}
		if a.Graph, err = l.graph(ap.G, main); err != nil {
			return bad(err)
		}
	case ir.AttrTypeProto:
		if ap.Tp == nil {
			return nil, errorf(ErrInvalidModel, "attribute %q: type type_proto without tp", a.Name)
		}
		if a.TypeProto, err = typeFromProto(ap.Tp); err != nil {
			return bad(err)
		}
	case ir.AttrFloats:
		a.Floats = slices.Clone(ap.Floats)
	case ir.AttrInts:
		a.Ints = slices.Clone(ap.Ints)
	case ir.AttrStrings:
		for _, s := range ap.Strings {
			a.Strings = append(a.Strings, string(s))
		}
	case ir.AttrTensors:
		for _, tp := range ap.Tensors {
			t, err := l.tensor(tp)
			if err != nil {
				return bad(err)
			}
			a.Tensors = append(a.Tensors, t)
		}
	case ir.AttrSparseTensors:
		for _, sp := range ap.SparseTensors {
			t, err := l.sparse(sp)
			if err != nil {
				return bad(err)
			}
			a.Tensors = append(a.Tensors, t)
		}
	case ir.AttrGraphs:
		for _, gp := range ap.Graphs {
			g, err := l.graph(gp, main)
			if err != nil {
				return bad(err)
			}
			a.Graphs = append(a.Graphs, g)
		}
	case ir.AttrTypeProtos:
		for _, tp := range ap.TypeProtos {
			t, err := typeFromProto(tp)
			if err != nil {
				return bad(err)
			}
			a.TypeProtos = append(a.TypeProtos, t)
		}
	default:
		return nil, errorf(ErrInvalidModel, "attribute %q: unknown type %d", a.Name, ap.GetType())
	}
	return a, nil
}

func (l *loader) function(fp *onnxpb.FunctionProto) (*ir.Function, error) {
	f := &ir.Function{
		Name:       fp.GetName(),
		Domain:     normDomain(fp.GetDomain()),
		Inputs:     slices.Clone(fp.Input),
		Outputs:    slices.Clone(fp.Output),
		Attributes: slices.Clone(fp.Attribute),
		DocString:  fp.GetDocString(),
	}
	if f.Name == "" {
		return nil, errorf(ErrInvalidModel, "function without a name")
	}
	var err error
	if f.OpsetImports, err = opsets(fp.OpsetImport, "function"); err != nil {
		return nil, err
	}
	for _, ap := range fp.AttributeProto {
		a, err := l.attribute(ap, false)
		if err != nil {
			return nil, fmt.Errorf("attribute_proto: %w", err)
		}
		f.AttributeDefs = append(f.AttributeDefs, a)
	}
	for i, np := range fp.Node {
		n, err := l.node(np, false)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		f.Nodes = append(f.Nodes, n)
	}
	return f, nil
}

// sparseDenseLimit is MaxSparseDenseBytes; the fuzz test lowers it.
var sparseDenseLimit int64 = MaxSparseDenseBytes

// sparse converts a SparseTensorProto to a dense tensor.
func (l *loader) sparse(sp *onnxpb.SparseTensorProto) (*tensor.Tensor, error) {
	if sp.Values == nil || sp.Indices == nil {
		return nil, errorf(ErrInvalidTensor, "sparse tensor without values or indices")
	}
	shape, n, err := protoShape(sp.Dims)
	if err != nil {
		return nil, errorf(ErrInvalidTensor, "sparse tensor: %v", err)
	}
	values, err := l.tensor(sp.Values)
	if err != nil {
		return nil, fmt.Errorf("sparse values: %w", err)
	}
	indices, err := l.tensor(sp.Indices)
	if err != nil {
		return nil, fmt.Errorf("sparse indices: %w", err)
	}
	dt := values.DType()
	bytes := int64(n) * int64(elemBytes(dt))
	if bytes > sparseDenseLimit-l.sparseDense {
		return nil, errorf(ErrTooLarge, "sparse tensor of shape %v: the model's sparse tensors are over %d bytes when dense", shape, sparseDenseLimit)
	}
	l.sparseDense += bytes
	if err := l.reserve("sparse tensor", bytes); err != nil {
		return nil, err
	}
	nnz := values.Len()
	if values.Rank() != 1 {
		return nil, errorf(ErrInvalidTensor, "sparse values have shape %v, want [NNZ]", values.Shape())
	}
	if indices.DType() != tensor.Int64 {
		return nil, errorf(ErrInvalidTensor, "sparse indices are %v, want int64", indices.DType())
	}
	idx := tensor.Data[int64](indices)
	rank := len(shape)
	ish := indices.Shape()
	linear := len(ish) == 1 && ish[0] == nnz
	if !linear && !(len(ish) == 2 && ish[0] == nnz && ish[1] == rank) {
		return nil, errorf(ErrInvalidTensor, "sparse indices have shape %v, want [%d] or [%d %d]", ish, nnz, nnz, rank)
	}
	dense, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, errorf(ErrInvalidTensor, "sparse tensor: %v", err)
	}
	strides := tensor.Strides(shape)
	pos := make([]int, nnz)
	for k := range nnz {
		if linear {
			if idx[k] < 0 || idx[k] >= int64(n) {
				return nil, errorf(ErrInvalidTensor, "sparse index %d is %d, out of range for %d elements", k, idx[k], n)
			}
			pos[k] = int(idx[k])
			continue
		}
		off := 0
		for j := range rank {
			v := idx[k*rank+j]
			if v < 0 || v >= int64(shape[j]) {
				return nil, errorf(ErrInvalidTensor, "sparse index [%d, %d] is %d, out of range for dim %d", k, j, v, shape[j])
			}
			off += int(v) * strides[j]
		}
		pos[k] = off
	}
	scatterSparse(dense, values, pos)
	return dense, nil
}

// scatterSparse sets dense[pos[k]] = values[k].
func scatterSparse(dense, values *tensor.Tensor, pos []int) {
	switch d := dense.Raw().(type) {
	case []float32:
		scatterTyped(d, tensor.Data[float32](values), pos)
	case []float64:
		scatterTyped(d, tensor.Data[float64](values), pos)
	case []int8:
		scatterTyped(d, tensor.Data[int8](values), pos)
	case []int16:
		scatterTyped(d, tensor.Data[int16](values), pos)
	case []int32:
		scatterTyped(d, tensor.Data[int32](values), pos)
	case []int64:
		scatterTyped(d, tensor.Data[int64](values), pos)
	case []uint8:
		scatterTyped(d, tensor.Data[uint8](values), pos)
	case []uint16:
		scatterTyped(d, tensor.Data[uint16](values), pos)
	case []uint32:
		scatterTyped(d, tensor.Data[uint32](values), pos)
	case []uint64:
		scatterTyped(d, tensor.Data[uint64](values), pos)
	case []bool:
		scatterTyped(d, tensor.Data[bool](values), pos)
	case []string:
		scatterTyped(d, tensor.Data[string](values), pos)
	case []tensor.F16:
		scatterTyped(d, tensor.Data[tensor.F16](values), pos)
	case []tensor.BF16:
		scatterTyped(d, tensor.Data[tensor.BF16](values), pos)
	case []complex64:
		scatterTyped(d, tensor.Data[complex64](values), pos)
	case []complex128:
		scatterTyped(d, tensor.Data[complex128](values), pos)
	}
}

func scatterTyped[T tensor.Elem](dst, src []T, pos []int) {
	for k, p := range pos {
		dst[p] = src[k]
	}
}

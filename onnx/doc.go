// Package onnx reads and writes ONNX models (.onnx files, the protobuf
// ModelProto) and tensors (TensorProto, as in the .pb files of ONNX test
// cases), converting them to and from onyx's ir and tensor packages.
//
//	m, err := onnx.LoadFile("model.onnx")   // or Load(r), Decode(b), LoadFS(fsys, name)
//	b, err := onnx.Encode(m)                // or Save(m, "out.onnx")
//	t, err := onnx.ReadTensorFile("test_data_set_0/input_0.pb")
//
// # What is read
//
// IR versions MinIRVersion (3, the first with opset imports) to
// MaxIRVersion (14, the newest in the schema) are accepted; others fail with
// ErrUnsupportedIRVersion. The domain "ai.onnx" is normalised to "". A model
// whose graph uses default-domain operators must import the default domain.
//
// Tensors of every type onyx stores are read from raw_data (little-endian)
// or from the typed fields (float_data, int32_data, int64_data, double_data,
// uint64_data, string_data) as the ONNX IR specifies; float16 and bfloat16
// become tensor.F16 and tensor.BF16. The 8-, 4- and 2-bit types and
// segmented tensors fail with ErrUnsupported. Every size is checked against
// the data actually present before anything is allocated, so a corrupt or
// hostile file yields an error, never a panic or a huge allocation.
//
// Sparse initializers are converted to dense initializers, and sparse tensor
// attributes to dense tensors kept in Attribute.Tensor(s) with the attribute
// type left as AttrSparseTensor(s); Encode writes them back as sparse tensors
// with linear indices. Dense results are limited to MaxSparseDenseBytes in
// all.
//
// WithMaxBytes bounds the total size of the tensors one decoding produces,
// for programs that load models from untrusted sources. A dimension below
// -1 in a value's type is an error (-1, which old exporters wrote, reads as
// unknown).
//
// The ir package keeps what onyx needs; these parts of a ModelProto are
// dropped when reading: training_info, device configurations, node
// overloads, metadata_props of graphs, nodes and values, quantization
// annotations, dimension and type denotations, tensor metadata, and a
// function's value_info and metadata. Model metadata_props are kept.
//
// # External data
//
// Tensors whose data_location is EXTERNAL are read from the file named by
// their "location" key (with optional "offset" and "length"; "checksum" and
// "basepath" are ignored), relative to the directory of the model: the one
// passed to LoadFile, the directory of name inside the fs.FS passed to
// LoadFS, or the one given with WithExternalDataDir or WithExternalDataFS.
// Files are opened only inside that directory: a location that is absolute
// or contains ".." is rejected, and LoadFile and WithExternalDataDir open
// the directory as an os.Root, so a symlink leading out of it fails too.
// (With LoadFS, containment of symlinks is up to the fs.FS: os.DirFS follows
// them, (*os.Root).FS does not leave the root.) Decode and Load, which have
// no directory, reject models with external data unless given an Option.
// Only regular files are read (not FIFOs or devices), and only within
// their size: an offset or length past the end is an error. Hard links are
// not refused: a hard link in the directory is a file there, made by
// someone who could write to it (ONNX's own loader refuses files with more
// than one link; onyx does not, so that deduplicated model stores work).
//
// # Errors
//
// Errors name the tensor, node, attribute or field at fault, start with
// "onnx: ", and wrap one of the sentinel errors below, which errors.Is
// finds.
package onnx

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/onyxml/onyx/onnx/onnxpb"
)

// The IR versions this package reads. Encode writes m.IRVersion, or when it
// is 0 the lowest version that supports the model's default opset.
const (
	MinIRVersion = 3
	MaxIRVersion = int64(onnxpb.Version_IR_VERSION)
)

// MaxSparseDenseBytes bounds the size of the dense tensors the sparse
// initializers and attributes of one model are expanded to (1 GiB in all),
// since a sparse tensor of a few bytes can declare any shape.
const MaxSparseDenseBytes = 1 << 30

// onnxSentinel is a sentinel error that can also match a more general one.
type onnxSentinel struct {
	msg    string
	parent error
}

func (e *onnxSentinel) Error() string { return e.msg }
func (e *onnxSentinel) Unwrap() error { return e.parent }

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// ErrInvalidModel reports a ModelProto that is malformed or breaks
	// the ONNX IR's rules (bad protobuf, missing graph or names,
	// duplicate initializers, ...).
	ErrInvalidModel = errors.New("onnx: invalid model")

	// ErrInvalidTensor reports a TensorProto whose dims, type and data
	// disagree. errors.Is(err, ErrInvalidModel) also holds for it.
	ErrInvalidTensor error = &onnxSentinel{"onnx: invalid tensor", ErrInvalidModel}

	// ErrUnsupported reports valid ONNX that onyx cannot represent, such
	// as 8-bit float tensors or opaque types.
	ErrUnsupported = errors.New("onnx: unsupported")

	// ErrUnsupportedIRVersion reports an IR version outside
	// [MinIRVersion, MaxIRVersion]. errors.Is(err, ErrUnsupported) also
	// holds for it.
	ErrUnsupportedIRVersion error = &onnxSentinel{"onnx: unsupported IR version", ErrUnsupported}

	// ErrTooLarge reports a model whose tensors are larger than the limit
	// set with WithMaxBytes, or whose sparse tensors are larger than
	// MaxSparseDenseBytes when dense. errors.Is(err, ErrUnsupported) also
	// holds for it.
	ErrTooLarge error = &onnxSentinel{"onnx: too large", ErrUnsupported}

	// ErrExternalData reports external tensor data that cannot be read: no
	// directory to read it from, a location outside the model's directory,
	// a missing file, or an offset and length past the end of the file.
	// When a file system call failed, its error (such as fs.ErrNotExist)
	// is wrapped too.
	ErrExternalData = errors.New("onnx: external data")
)

// onnxError is an error of a given kind (one of the sentinels) with a
// message; the package prefix is added once, at the API boundary.
type onnxError struct {
	kind error
	err  error
}

func (e *onnxError) Error() string   { return e.err.Error() }
func (e *onnxError) Unwrap() []error { return []error{e.kind, e.err} }

// errorf returns an error of the given kind; format may use %w.
func errorf(kind error, format string, args ...any) error {
	return &onnxError{kind: kind, err: fmt.Errorf(format, args...)}
}

// public prefixes an internal error with the package name.
func public(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("onnx: %w", err)
}

// Option configures decoding.
type Option func(*config)

type config struct {
	fsys     fs.FS  // where external data is read from; nil: nowhere
	dir      string // the model's directory inside fsys
	rootDir  string // a directory to open as an os.Root for external data
	maxBytes int64  // bound on the bytes of all tensors decoded; 0: none
}

// WithMaxBytes bounds the total size of the tensors (initializers, tensor
// attributes, external data, sparse tensors when dense) one decoding may
// produce; past it decoding fails with ErrTooLarge, before allocating.
// Zero or negative means no bound beyond the data present.
func WithMaxBytes(n int64) Option {
	return func(c *config) { c.maxBytes = n }
}

// WithExternalDataDir reads external tensor data from files in dir, opened
// as an os.Root so that nothing outside dir can be read.
func WithExternalDataDir(dir string) Option {
	return func(c *config) { c.fsys, c.dir, c.rootDir = nil, ".", dir }
}

// WithExternalDataFS reads external tensor data from files in fsys,
// relative to dir (a slash-separated path in fsys; "." for its root).
func WithExternalDataFS(fsys fs.FS, dir string) Option {
	return func(c *config) { c.fsys, c.dir, c.rootDir = fsys, dir, "" }
}

package onnx

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/proto"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// onnxExtTensor is a float32 TensorProto whose data is in an external file.
func onnxExtTensor(name string, dims []int64, kv ...string) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{
		Name:         proto.String(name),
		DataType:     proto.Int32(int32(tensor.Float32)),
		Dims:         dims,
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	return tp
}

// onnxExtModel serialises a model whose initializers are the given tensors.
func onnxExtModel(t *testing.T, inits ...*onnxpb.TensorProto) []byte {
	t.Helper()
	mp := onnxModelProto()
	mp.Graph.Initializer = inits
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// onnxF32Bytes is the little-endian encoding of v.
func onnxF32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func onnxWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOnnxExternalRead(t *testing.T) {
	dir := t.TempDir()
	// Two tensors in one file at offsets, one in a subdirectory, one
	// large enough to be read in several chunks, one empty.
	data := append([]byte("HEADER.."), onnxF32Bytes(1, 2, 3, 4, 5, 6)...)
	onnxWrite(t, filepath.Join(dir, "weights.bin"), data)
	onnxWrite(t, filepath.Join(dir, "sub", "b.bin"), onnxF32Bytes(-1, -2))
	big := make([]float32, 700000) // 2.8 MB: three chunks
	for i := range big {
		big[i] = float32(i)
	}
	onnxWrite(t, filepath.Join(dir, "big.bin"), append(make([]byte, 4), onnxF32Bytes(big...)...))
	model := onnxExtModel(t,
		onnxExtTensor("a", []int64{2, 2}, "location", "weights.bin", "offset", "8", "length", "16"),
		onnxExtTensor("c", []int64{2}, "location", "./weights.bin", "offset", "24", "checksum", "ignored", "basepath", "/elsewhere"),
		onnxExtTensor("b", []int64{2}, "location", "sub/b.bin"),
		onnxExtTensor("big", []int64{700, 1000}, "location", "big.bin", "offset", "4"),
		onnxExtTensor("empty", []int64{0}, "location", "weights.bin", "offset", "32"),
	)
	onnxWrite(t, filepath.Join(dir, "model.onnx"), model)
	check := func(how string, m *ir.Model, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		g := m.Graph
		want := map[string][]float32{"a": {1, 2, 3, 4}, "c": {5, 6}, "b": {-1, -2}, "empty": {}}
		for name, w := range want {
			if got := tensor.Data[float32](g.Initializer(name)); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %s = %v, want %v", how, name, got, w)
			}
		}
		if got := tensor.Data[float32](g.Initializer("big")); !reflect.DeepEqual(got, big) {
			t.Errorf("%s: the big tensor differs", how)
		}
	}
	m, err := LoadFile(filepath.Join(dir, "model.onnx"))
	check("LoadFile", m, err)
	m, err = LoadFS(os.DirFS(filepath.Dir(dir)), filepath.Base(dir)+"/model.onnx")
	check("LoadFS(os.DirFS)", m, err)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, err = LoadFS(root.FS(), "model.onnx")
	check("LoadFS(Root.FS)", m, err)
	m, err = Decode(model, WithExternalDataDir(dir))
	check("Decode(WithExternalDataDir)", m, err)
	m, err = Decode(model, WithExternalDataFS(os.DirFS(dir), "."))
	check("Decode(WithExternalDataFS)", m, err)
	// File systems whose files can only seek, or only be read front to back.
	m, err = LoadFS(onnxStreamFS{os.DirFS(dir), true}, "model.onnx")
	check("LoadFS(seek-only files)", m, err)
	m, err = LoadFS(onnxStreamFS{os.DirFS(dir), false}, "model.onnx")
	check("LoadFS(stream-only files)", m, err)
	// In-memory files.
	mfs := fstest.MapFS{"m/model.onnx": {Data: model}, "m/weights.bin": {Data: data}, "m/sub/b.bin": {Data: onnxF32Bytes(-1, -2)}}
	bigData, _ := os.ReadFile(filepath.Join(dir, "big.bin"))
	mfs["m/big.bin"] = &fstest.MapFile{Data: bigData}
	m, err = LoadFS(mfs, "m/model.onnx")
	check("LoadFS(MapFS)", m, err)
	// TensorFromProto with an option.
	x, err := TensorFromProto(onnxExtTensor("b", []int64{2}, "location", "sub/b.bin"), WithExternalDataDir(dir))
	if err != nil || !reflect.DeepEqual(tensor.Data[float32](x), []float32{-1, -2}) {
		t.Errorf("TensorFromProto: %v, %v", x, err)
	}
}

// onnxStreamFS hides ReadAt (and Seek, unless seek is set) of the files of
// an fs.FS.
type onnxStreamFS struct {
	fsys fs.FS
	seek bool
}

type onnxStreamFile struct{ f fs.File }

type onnxSeekFile struct{ onnxStreamFile }

func (f onnxSeekFile) Seek(off int64, whence int) (int64, error) {
	return f.f.(io.Seeker).Seek(off, whence)
}

func (s onnxStreamFS) Open(name string) (fs.File, error) {
	f, err := s.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if s.seek {
		return onnxSeekFile{onnxStreamFile{f}}, nil
	}
	return onnxStreamFile{f}, nil
}

func (f onnxStreamFile) Read(b []byte) (int, error) { return f.f.Read(b) }
func (f onnxStreamFile) Stat() (fs.FileInfo, error) { return f.f.Stat() }
func (f onnxStreamFile) Close() error               { return f.f.Close() }

func TestOnnxExternalErrors(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "model")
	onnxWrite(t, filepath.Join(dir, "w.bin"), onnxF32Bytes(1, 2, 3, 4))
	onnxWrite(t, filepath.Join(top, "secret.bin"), onnxF32Bytes(9, 9, 9, 9))
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlinks := true
	for link, target := range map[string]string{
		"out.bin":    filepath.Join(top, "secret.bin"), // absolute, leading out
		"rel.bin":    "../secret.bin",                  // relative, leading out
		"in.bin":     "w.bin",                          // inside: allowed
		"outdir":     top,                              // a directory leading out
		"dangling":   filepath.Join(top, "none"),
		"loop1.bin":  "loop2.bin",
		"loop2.bin":  "loop1.bin",
		"adir/x.bin": "../../secret.bin",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			symlinks = false
			t.Logf("no symlinks: %v", err)
			break
		}
	}
	type extCase struct {
		name string
		kv   []string
		dims []int64
		msg  string
		errs []error
	}
	cases := []extCase{
		{"no location", []string{"offset", "0"}, []int64{1}, `no "location" key`, nil},
		{"dotdot", []string{"location", "../secret.bin"}, []int64{4}, `contains ".."`, nil},
		{"inner dotdot", []string{"location", "adir/../../secret.bin"}, []int64{4}, `contains ".."`, nil},
		{"backslash dotdot", []string{"location", `..\secret.bin`}, []int64{4}, `contains ".."`, nil},
		{"absolute", []string{"location", filepath.Join(top, "secret.bin")}, []int64{4}, "absolute path", nil},
		{"absolute slash", []string{"location", "/etc/passwd"}, []int64{1}, "absolute path", nil},
		{"windows drive", []string{"location", `C:\w.bin`}, []int64{1}, "absolute path", nil},
		{"unc", []string{"location", `\\server\share\w.bin`}, []int64{1}, "absolute path", nil},
		{"nul", []string{"location", "w.bin\x00x"}, []int64{1}, "NUL", nil},
		{"missing file", []string{"location", "none.bin"}, []int64{1}, `opening "none.bin"`, []error{fs.ErrNotExist}},
		{"directory", []string{"location", "adir"}, []int64{1}, "not a regular file", nil},
		{"offset past end", []string{"location", "w.bin", "offset", "17"}, []int64{0}, "needs bytes [17, 17)", nil},
		{"data past end", []string{"location", "w.bin", "offset", "8"}, []int64{3}, `needs bytes [8, 20) of "w.bin", which has 16`, nil},
		{"too long", []string{"location", "w.bin"}, []int64{5}, "which has 16", nil},
		{"length mismatch", []string{"location", "w.bin", "length", "8"}, []int64{4}, "length is 8 bytes, float32[4] needs 16", nil},
		{"negative offset", []string{"location", "w.bin", "offset", "-4"}, []int64{1}, `offset "-4" is not a non-negative integer`, nil},
		{"bad length", []string{"location", "w.bin", "length", "4k"}, []int64{1}, `length "4k"`, nil},
		{"huge offset", []string{"location", "w.bin", "offset", "9223372036854775807"}, []int64{1}, "needs bytes", nil},
		{"huge claim", []string{"location", "w.bin"}, []int64{1 << 15, 1 << 14}, "which has 16", nil},
	}
	if symlinks {
		cases = append(cases,
			extCase{"symlink out (absolute)", []string{"location", "out.bin"}, []int64{4}, `opening "out.bin"`, nil},
			extCase{"symlink out (relative)", []string{"location", "rel.bin"}, []int64{4}, `opening "rel.bin"`, nil},
			extCase{"through a symlinked directory", []string{"location", "outdir/secret.bin"}, []int64{4}, `opening "outdir/secret.bin"`, nil},
			extCase{"symlink in a subdirectory", []string{"location", "adir/x.bin"}, []int64{4}, `opening "adir/x.bin"`, nil},
			extCase{"dangling symlink", []string{"location", "dangling"}, []int64{1}, `opening "dangling"`, nil},
			extCase{"symlink loop", []string{"location", "loop1.bin"}, []int64{1}, `opening "loop1.bin"`, nil},
		)
	}
	for _, c := range cases {
		model := onnxExtModel(t, onnxExtTensor("w", c.dims, c.kv...))
		onnxWrite(t, filepath.Join(dir, "model.onnx"), model)
		_, err := LoadFile(filepath.Join(dir, "model.onnx"))
		if err == nil {
			t.Errorf("%s: LoadFile succeeded", c.name)
			continue
		}
		if !errors.Is(err, ErrExternalData) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), `tensor "w"`) {
			t.Errorf("%s: error %q, want ErrExternalData naming tensor \"w\" and containing %q", c.name, err, c.msg)
		}
		for _, e := range c.errs {
			if !errors.Is(err, e) {
				t.Errorf("%s: error %q does not wrap %v", c.name, err, e)
			}
		}
	}
	if symlinks {
		// A symlink that stays inside the directory is fine.
		onnxWrite(t, filepath.Join(dir, "model.onnx"), onnxExtModel(t, onnxExtTensor("w", []int64{4}, "location", "in.bin")))
		m, err := LoadFile(filepath.Join(dir, "model.onnx"))
		if err != nil || !reflect.DeepEqual(tensor.Data[float32](m.Graph.Initializer("w")), []float32{1, 2, 3, 4}) {
			t.Errorf("symlink inside the directory: %v", err)
		}
	}
	// A model directory that cannot be opened.
	_, err := Decode(onnxExtModel(t, onnxExtTensor("w", []int64{4}, "location", "w.bin")), WithExternalDataDir(filepath.Join(top, "none")))
	if !errors.Is(err, ErrExternalData) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	// String tensors cannot be external.
	st := onnxExtTensor("s", []int64{1}, "location", "w.bin")
	st.DataType = proto.Int32(int32(tensor.String))
	if _, err := TensorFromProto(st, WithExternalDataDir(dir)); !errors.Is(err, ErrInvalidTensor) {
		t.Errorf("external strings: %v", err)
	}
	// External data in a nested graph's tensor attribute is read too.
	mp := onnxModelProto()
	mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
		T: onnxExtTensor("attr", []int64{2}, "location", "w.bin", "offset", "4")}}
	b, _ := proto.Marshal(mp)
	m, err := Decode(b, WithExternalDataDir(dir))
	if err != nil || !reflect.DeepEqual(tensor.Data[float32](m.Graph.Nodes[0].Attrs[0].Tensor), []float32{2, 3}) {
		t.Errorf("external attribute tensor: %v", err)
	}
}

func TestOnnxExternalCleanLocation(t *testing.T) {
	for loc, want := range map[string]string{
		"w.bin": "w.bin", "./w.bin": "w.bin", "a/b/../c": "", "a//b": "a/b", "a/./b": "a/b", "..": "", "a/..": "",
		"...": "...", "..a": "..a", "/": "", "": "", `a\..\b`: "", "D:w.bin": "",
	} {
		got, err := cleanLocation(loc)
		if want == "" {
			if err == nil {
				t.Errorf("cleanLocation(%q) = %q, want an error", loc, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("cleanLocation(%q) = %q, %v; want %q", loc, got, err, want)
		}
	}
}

// TestOnnxExternalManyTensorsOneFile checks that a file shared by many
// tensors is opened once and read at the right offsets.
func TestOnnxExternalManyTensorsOneFile(t *testing.T) {
	dir := t.TempDir()
	var data []byte
	var inits []*onnxpb.TensorProto
	for i := range 200 {
		off := len(data)
		data = append(data, onnxF32Bytes(float32(i), float32(-i))...)
		inits = append(inits, onnxExtTensor("t"+strconv.Itoa(i), []int64{2}, "location", "all.bin", "offset", strconv.Itoa(off), "length", "8"))
	}
	onnxWrite(t, filepath.Join(dir, "all.bin"), data)
	counter := &onnxCountFS{fsys: os.DirFS(dir)}
	m, err := Decode(onnxExtModel(t, inits...), WithExternalDataFS(counter, "."))
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range m.Graph.Initializers {
		if d := tensor.Data[float32](in.Tensor); d[0] != float32(i) || d[1] != float32(-i) {
			t.Fatalf("%s = %v", in.Name, d)
		}
	}
	if counter.opens != 1 {
		t.Errorf("the shared file was opened %d times", counter.opens)
	}
}

type onnxCountFS struct {
	fsys  fs.FS
	opens int
}

func (c *onnxCountFS) Open(name string) (fs.File, error) {
	c.opens++
	return c.fsys.Open(name)
}

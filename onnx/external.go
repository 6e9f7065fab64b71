package onnx

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/onyxml/onyx/onnx/onnxpb"
	"github.com/onyxml/onyx/tensor"
)

// loader holds the state of one decoding: where external data lives and the
// files opened so far.
type loader struct {
	cfg     config
	root    *os.Root // opened lazily from cfg.rootDir
	rootErr error
	files   map[string]*extFile
	// usesDefault records that a node of the main graph (or a subgraph)
	// is in the default domain.
	usesDefault bool
	// decoded and sparseDense are the bytes of the tensors decoded so far, and
	// of the dense expansions of sparse ones.
	decoded, sparseDense int64
}

// reserve counts bytes more of decoded tensor data against WithMaxBytes.
func (l *loader) reserve(where string, bytes int64) error {
	if l.cfg.maxBytes > 0 && bytes > l.cfg.maxBytes-l.decoded {
		return errorf(ErrTooLarge, "%s: %d more bytes of tensor data would be over the limit of %d (WithMaxBytes)", where, bytes, l.cfg.maxBytes)
	}
	l.decoded += bytes
	return nil
}

// extFile is an open external data file.
type extFile struct {
	f    fs.File
	size int64
}

func newLoader(opts []Option) *loader {
	l := &loader{files: map[string]*extFile{}}
	for _, o := range opts {
		if o != nil {
			o(&l.cfg)
		}
	}
	return l
}

// close closes every file the loader opened.
func (l *loader) close() {
	for _, ef := range l.files {
		ef.f.Close()
	}
	l.files = nil
	if l.root != nil {
		l.root.Close()
		l.root = nil
	}
}

// fsys returns the file system external data is read from, and the model's
// directory in it.
func (l *loader) fsys() (fs.FS, string, error) {
	if l.cfg.rootDir != "" {
		if l.root == nil && l.rootErr == nil {
			l.root, l.rootErr = os.OpenRoot(l.cfg.rootDir)
		}
		if l.rootErr != nil {
			return nil, "", l.rootErr
		}
		return l.root.FS(), ".", nil
	}
	return l.cfg.fsys, l.cfg.dir, nil
}

// cleanLocation checks an external data location and returns it as a clean
// slash-separated relative path.
func cleanLocation(loc string) (string, error) {
	switch {
	case loc == "":
		return "", errors.New(`no "location" key`)
	case strings.ContainsRune(loc, 0):
		return "", errors.New("location contains a NUL byte")
	case path.IsAbs(loc) || filepath.IsAbs(loc) || strings.HasPrefix(loc, `\`) || filepath.VolumeName(loc) != "" ||
		(len(loc) >= 2 && loc[1] == ':'):
		return "", errors.New("location is an absolute path; it must be relative to the model's directory")
	}
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "", errors.New(`location contains ".."; it must stay inside the model's directory`)
		}
	}
	return path.Clean(loc), nil
}

// open returns the external file at the clean relative path p.
func (l *loader) open(p string) (*extFile, error) {
	if ef, ok := l.files[p]; ok {
		return ef, nil
	}
	fsys, dir, err := l.fsys()
	if err != nil {
		return nil, err
	}
	name := path.Join(dir, p)
	if !fs.ValidPath(name) {
		return nil, errors.New("location is not a valid path")
	}
	// Stat first, where the file system can, so that a FIFO or device is
	// refused before Open blocks on it.
	if sfs, ok := fsys.(fs.StatFS); ok {
		fi, err := sfs.Stat(name)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, errors.New("not a regular file")
		}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	ef := &extFile{f: f, size: fi.Size()}
	l.files[p] = ef
	return ef, nil
}

// section returns a reader of length bytes at offset off of the file at p.
func (l *loader) section(p string, ef *extFile, off, length int64) (io.Reader, func(), error) {
	if ra, ok := ef.f.(io.ReaderAt); ok {
		return io.NewSectionReader(ra, off, length), func() {}, nil
	}
	if sk, ok := ef.f.(io.Seeker); ok {
		if _, err := sk.Seek(off, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return io.LimitReader(ef.f, length), func() {}, nil
	}
	// A file that can only be read front to back: open it again and skip.
	fsys, dir, err := l.fsys()
	if err != nil {
		return nil, nil, err
	}
	f, err := fsys.Open(path.Join(dir, p))
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.CopyN(io.Discard, f, off); err != nil {
		f.Close()
		return nil, nil, err
	}
	return io.LimitReader(f, length), func() { f.Close() }, nil
}

// external reads the data of a tensor stored outside the model.
func (l *loader) external(tp *onnxpb.TensorProto, where string, dt tensor.DType, shape []int, n int) (*tensor.Tensor, error) {
	if dt == tensor.String {
		return nil, errorf(ErrInvalidTensor, "%s: string tensors cannot be stored externally", where)
	}
	var (
		loc         string
		off, length int64 = 0, -1
	)
	for _, kv := range tp.ExternalData {
		v := kv.GetValue()
		switch kv.GetKey() {
		case "location":
			loc = v
		case "offset", "length":
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x < 0 {
				return nil, errorf(ErrExternalData, "%s: external data %s %q is not a non-negative integer", where, kv.GetKey(), v)
			}
			if kv.GetKey() == "offset" {
				off = x
			} else {
				length = x
			}
		}
		// "checksum" and "basepath" are not used; unknown keys are ignored.
	}
	want := int64(n) * int64(dt.Size())
	if length >= 0 && length != want {
		return nil, errorf(ErrExternalData, "%s: external data length is %d bytes, %v%v needs %d", where, length, dt, shape, want)
	}
	p, err := cleanLocation(loc)
	if err != nil {
		return nil, errorf(ErrExternalData, "%s: %v (location %q)", where, err, loc)
	}
	if l.cfg.fsys == nil && l.cfg.rootDir == "" {
		return nil, errorf(ErrExternalData, "%s: data is in external file %q, but there is no directory to read it from (use LoadFile, LoadFS or an Option)", where, loc)
	}
	ef, err := l.open(p)
	if err != nil {
		return nil, errorf(ErrExternalData, "%s: opening %q: %w", where, loc, err)
	}
	if off > ef.size || want > ef.size-off {
		return nil, errorf(ErrExternalData, "%s: needs bytes [%d, %d) of %q, which has %d", where, off, off+want, loc, ef.size)
	}
	t, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
	}
	if want == 0 {
		return t, nil
	}
	r, done, err := l.section(p, ef, off, want)
	if err != nil {
		return nil, errorf(ErrExternalData, "%s: reading %q: %w", where, loc, err)
	}
	defer done()
	// Read in chunks of whole elements so the data is not held twice.
	size := dt.Size()
	buf := make([]byte, min(want, int64(1<<20/size*size)))
	for i := 0; int64(i)*int64(size) < want; {
		k := min(int64(len(buf)), want-int64(i)*int64(size))
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return nil, errorf(ErrExternalData, "%s: reading %q: %w", where, loc, err)
		}
		if err := tensor.DecodeLE(t, i, buf[:k]); err != nil {
			return nil, errorf(ErrInvalidTensor, "%s: %v", where, err)
		}
		i += int(k) / size
	}
	return t, nil
}

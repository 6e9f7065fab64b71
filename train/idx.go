package train

// The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, element
// type, number of dims), the dims as big-endian uint32, then the elements
// big-endian. Files may be gzipped.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/onyxml/onyx/tensor"
)

// ErrIDX is wrapped by the errors of malformed IDX data.
var ErrIDX = errors.New("train: invalid IDX data")

// MaxIDXElements bounds the elements an IDX file may declare (1<<30).
const MaxIDXElements = 1 << 30

// ReadIDX reads one IDX tensor from r, gzipped or not: element types
// ubyte (uint8), byte (int8), short (int16), int (int32), float (float32)
// and double (float64). Truncated data, trailing bytes, bad magic numbers
// and sizes over MaxIDXElements are errors wrapping ErrIDX; memory grows
// with the data actually read, never with the declared size alone.
func ReadIDX(r io.Reader) (*tensor.Tensor, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrIDX, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("%w: no header: %v", ErrIDX, err)
	}
	if magic[0] != 0 || magic[1] != 0 || magic[3] == 0 {
		return nil, fmt.Errorf("%w: bad magic % x", ErrIDX, magic)
	}
	var dt tensor.DType
	switch magic[2] {
	case 0x08:
		dt = tensor.Uint8
	case 0x09:
		dt = tensor.Int8
	case 0x0B:
		dt = tensor.Int16
	case 0x0C:
		dt = tensor.Int32
	case 0x0D:
		dt = tensor.Float32
	case 0x0E:
		dt = tensor.Float64
	default:
		return nil, fmt.Errorf("%w: unknown element type 0x%02x", ErrIDX, magic[2])
	}
	shape := make([]int, magic[3])
	n := 1
	for i := range shape {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("%w: truncated dims: %v", ErrIDX, err)
		}
		shape[i] = int(d)
		if d != 0 && n > MaxIDXElements/int(d) {
			return nil, fmt.Errorf("%w: shape %v... over %d elements", ErrIDX, shape[:i+1], MaxIDXElements)
		}
		n *= int(d)
	}
	size := n * dt.Size()
	data, err := io.ReadAll(io.LimitReader(br, int64(size)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIDX, err)
	}
	if len(data) < size {
		return nil, fmt.Errorf("%w: truncated: %d of %d data bytes for shape %v", ErrIDX, len(data), size, shape)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing bytes after %v elements", ErrIDX, shape)
	}
	t, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Uint8:
		copy(tensor.Data[uint8](t), data)
	case tensor.Int8:
		for i, d := 0, tensor.Data[int8](t); i < n; i++ {
			d[i] = int8(data[i])
		}
	case tensor.Int16:
		for i, d := 0, tensor.Data[int16](t); i < n; i++ {
			d[i] = int16(binary.BigEndian.Uint16(data[2*i:]))
		}
	case tensor.Int32:
		for i, d := 0, tensor.Data[int32](t); i < n; i++ {
			d[i] = int32(binary.BigEndian.Uint32(data[4*i:]))
		}
	case tensor.Float32:
		for i, d := 0, tensor.Data[float32](t); i < n; i++ {
			d[i] = math.Float32frombits(binary.BigEndian.Uint32(data[4*i:]))
		}
	case tensor.Float64:
		for i, d := 0, tensor.Data[float64](t); i < n; i++ {
			d[i] = math.Float64frombits(binary.BigEndian.Uint64(data[8*i:]))
		}
	}
	return t, nil
}

// ReadIDXFile reads an IDX file (gzipped or not).
func ReadIDXFile(path string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ReadIDX(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// IDXDataset turns IDX images (N, H, W) of uint8 and labels (N) into a
// Dataset: X float32 (N, 1, H, W) scaled to [0, 1], Y int64 (N).
func IDXDataset(images, labels *tensor.Tensor) (*Dataset, error) {
	if images.DType() != tensor.Uint8 || images.Rank() != 3 {
		return nil, fmt.Errorf("%w: images are %v%v, want uint8 (N, H, W)", ErrIDX, images.DType(), images.Shape())
	}
	if labels.DType() != tensor.Uint8 || labels.Rank() != 1 || labels.Shape()[0] != images.Shape()[0] {
		return nil, fmt.Errorf("%w: labels are %v%v for %d images", ErrIDX, labels.DType(), labels.Shape(), images.Shape()[0])
	}
	s := images.Shape()
	x, err := tensor.New(tensor.Float32, s[0], 1, s[1], s[2])
	if err != nil {
		return nil, err
	}
	xd := tensor.Data[float32](x)
	for i, v := range tensor.Data[uint8](images) {
		xd[i] = float32(v) / 255
	}
	y := tensor.Must(tensor.New(tensor.Int64, s[0]))
	yd := tensor.Data[int64](y)
	for i, v := range tensor.Data[uint8](labels) {
		yd[i] = int64(v)
	}
	return &Dataset{X: x, Y: y}, nil
}

// LoadMNIST reads the MNIST-format split "train" or "t10k" from dir:
// PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte, each optionally
// with a .gz suffix (as MNIST and Fashion-MNIST are distributed).
func LoadMNIST(dir, split string) (*Dataset, error) {
	find := func(kind string) (string, error) {
		base := filepath.Join(dir, split+"-"+kind)
		for _, p := range []string{base, base + ".gz"} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("train: no %s or %s.gz", base, base)
	}
	ip, err := find("images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lp, err := find("labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	images, err := ReadIDXFile(ip)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXFile(lp)
	if err != nil {
		return nil, err
	}
	return IDXDataset(images, labels)
}

// WriteIDX writes a uint8 tensor in the IDX format (uncompressed); tests
// and tools use it to make small datasets.
func WriteIDX(w io.Writer, t *tensor.Tensor) error {
	if t.DType() != tensor.Uint8 || t.Rank() == 0 || t.Rank() > 255 {
		return fmt.Errorf("train: WriteIDX of %v%v (uint8, rank 1 to 255)", t.DType(), t.Shape())
	}
	head := []byte{0, 0, 0x08, byte(t.Rank())}
	for _, d := range t.Shape() {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err := w.Write(tensor.Data[uint8](t))
	return err
}

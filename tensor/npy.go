package tensor

// This file holds the little-endian element encoding shared by .npy files
// and ONNX's raw_data, and the .npy reader and writer.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// ErrNPY reports a malformed or unsupported .npy stream.
var ErrNPY = errors.New("tensor: invalid .npy data")

// hostLittleEndian selects the copy fast path of AppendLE and DecodeLE;
// tests turn it off to exercise the portable path.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// AppendLE appends the little-endian bytes of elements [from, to) of t to b,
// DType.Size() bytes per element (bools as 0 or 1; F16 and BF16 as their
// bits). It returns an error for String tensors or a bad range.
func AppendLE(b []byte, t *Tensor, from, to int) ([]byte, error) {
	size := t.dtype.Size()
	if size == 0 || t.dtype == String {
		return b, fmt.Errorf("tensor: %v has no fixed-width byte encoding", t.dtype)
	}
	if from < 0 || to < from || to > t.Len() {
		return b, fmt.Errorf("tensor: element range [%d, %d) out of bounds for %d elements", from, to, t.Len())
	}
	if from == to {
		return b, nil
	}
	if d, ok := t.data.([]bool); ok {
		for _, v := range d[from:to] {
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
		return b, nil
	}
	if hostLittleEndian {
		return append(b, npyBytesView(t.data)[from*size:to*size]...), nil
	}
	b = append(b, make([]byte, (to-from)*size)...)
	npyPutLE(b[len(b)-(to-from)*size:], t.data, from, to)
	return b, nil
}

// DecodeLE sets elements start, start+1, ... of t from the little-endian
// bytes src, DType.Size() bytes per element; len(src) must be a multiple of
// the size and the elements must fit in t. A bool is true when its byte is
// not zero. It returns an error for String tensors or a bad length.
func DecodeLE(t *Tensor, start int, src []byte) error {
	size := t.dtype.Size()
	if size == 0 || t.dtype == String {
		return fmt.Errorf("tensor: %v has no fixed-width byte encoding", t.dtype)
	}
	if len(src)%size != 0 {
		return fmt.Errorf("tensor: %d bytes is not a whole number of %v elements", len(src), t.dtype)
	}
	n := len(src) / size
	if start < 0 || n > t.Len()-start {
		return fmt.Errorf("tensor: %d elements at %d do not fit in %d", n, start, t.Len())
	}
	if n == 0 {
		return nil
	}
	if d, ok := t.data.([]bool); ok {
		for i, c := range src {
			d[start+i] = c != 0
		}
		return nil
	}
	if hostLittleEndian {
		copy(npyBytesView(t.data)[start*size:], src)
		return nil
	}
	npyGetLE(t.data, start, src)
	return nil
}

// npyBytesView returns the memory of a fixed-width, non-bool slice as bytes.
func npyBytesView(data any) []byte {
	switch d := data.(type) {
	case []float32:
		return npySliceBytes(d)
	case []float64:
		return npySliceBytes(d)
	case []int8:
		return npySliceBytes(d)
	case []int16:
		return npySliceBytes(d)
	case []int32:
		return npySliceBytes(d)
	case []int64:
		return npySliceBytes(d)
	case []uint8:
		return d
	case []uint16:
		return npySliceBytes(d)
	case []uint32:
		return npySliceBytes(d)
	case []uint64:
		return npySliceBytes(d)
	case []F16:
		return npySliceBytes(d)
	case []BF16:
		return npySliceBytes(d)
	case []complex64:
		return npySliceBytes(d)
	case []complex128:
		return npySliceBytes(d)
	}
	return nil
}

func npySliceBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

// npyPutLE writes elements [from, to) of data to b in little-endian order,
// portably.
func npyPutLE(b []byte, data any, from, to int) {
	le := binary.LittleEndian
	switch d := data.(type) {
	case []float32:
		for i, v := range d[from:to] {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range d[from:to] {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case []int8:
		for i, v := range d[from:to] {
			b[i] = byte(v)
		}
	case []uint8:
		copy(b, d[from:to])
	case []int16:
		npyPutInts(b, d[from:to], 2)
	case []uint16:
		npyPutInts(b, d[from:to], 2)
	case []F16:
		npyPutInts(b, d[from:to], 2)
	case []BF16:
		npyPutInts(b, d[from:to], 2)
	case []int32:
		npyPutInts(b, d[from:to], 4)
	case []uint32:
		npyPutInts(b, d[from:to], 4)
	case []int64:
		npyPutInts(b, d[from:to], 8)
	case []uint64:
		npyPutInts(b, d[from:to], 8)
	case []complex64:
		for i, v := range d[from:to] {
			le.PutUint32(b[8*i:], math.Float32bits(real(v)))
			le.PutUint32(b[8*i+4:], math.Float32bits(imag(v)))
		}
	case []complex128:
		for i, v := range d[from:to] {
			le.PutUint64(b[16*i:], math.Float64bits(real(v)))
			le.PutUint64(b[16*i+8:], math.Float64bits(imag(v)))
		}
	}
}

type npyInt interface {
	~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

func npyPutInts[T npyInt](b []byte, s []T, size int) {
	for i, v := range s {
		u := uint64(v)
		for k := range size {
			b[size*i+k] = byte(u >> (8 * k))
		}
	}
}

func npyGetInts[T npyInt](d []T, b []byte, size int) {
	for i := range d {
		var u uint64
		for k := range size {
			u |= uint64(b[size*i+k]) << (8 * k)
		}
		d[i] = T(u)
	}
}

// npyGetLE decodes little-endian src into data starting at element start,
// portably.
func npyGetLE(data any, start int, src []byte) {
	le := binary.LittleEndian
	switch d := data.(type) {
	case []float32:
		for i := range d[start : start+len(src)/4] {
			d[start+i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case []float64:
		for i := range d[start : start+len(src)/8] {
			d[start+i] = math.Float64frombits(le.Uint64(src[8*i:]))
		}
	case []int8:
		for i, c := range src {
			d[start+i] = int8(c)
		}
	case []uint8:
		copy(d[start:], src)
	case []int16:
		npyGetInts(d[start:start+len(src)/2], src, 2)
	case []uint16:
		npyGetInts(d[start:start+len(src)/2], src, 2)
	case []F16:
		npyGetInts(d[start:start+len(src)/2], src, 2)
	case []BF16:
		npyGetInts(d[start:start+len(src)/2], src, 2)
	case []int32:
		npyGetInts(d[start:start+len(src)/4], src, 4)
	case []uint32:
		npyGetInts(d[start:start+len(src)/4], src, 4)
	case []int64:
		npyGetInts(d[start:start+len(src)/8], src, 8)
	case []uint64:
		npyGetInts(d[start:start+len(src)/8], src, 8)
	case []complex64:
		for i := range d[start : start+len(src)/8] {
			d[start+i] = complex(math.Float32frombits(le.Uint32(src[8*i:])), math.Float32frombits(le.Uint32(src[8*i+4:])))
		}
	case []complex128:
		for i := range d[start : start+len(src)/16] {
			d[start+i] = complex(math.Float64frombits(le.Uint64(src[16*i:])), math.Float64frombits(le.Uint64(src[16*i+8:])))
		}
	}
}

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npyMaxHeader bounds the header length ReadNPY accepts (numpy itself
// writes a few hundred bytes and refuses to read more than 10000 by default).
const npyMaxHeader = 1 << 20

// npyDescr maps DTypes to the numpy type strings WriteNPY writes.
var npyDescr = map[DType]string{
	Float32: "<f4", Float64: "<f8", Float16: "<f2",
	Int8: "|i1", Int16: "<i2", Int32: "<i4", Int64: "<i8",
	Uint8: "|u1", Uint16: "<u2", Uint32: "<u4", Uint64: "<u8",
	Bool: "|b1", Complex64: "<c8", Complex128: "<c16",
}

// npyParseDescr maps a numpy type string to a DType. It accepts the byte
// order marks '<', '|' and '=' (taken as little-endian, which is what
// numpy writes on the machines it runs on) and rejects '>'.
func npyParseDescr(s string) (DType, error) {
	if s == "" {
		return Undefined, fmt.Errorf("%w: empty descr", ErrNPY)
	}
	order, code := s[0], s[1:]
	switch order {
	case '<', '|', '=':
	case '>':
		return Undefined, fmt.Errorf("%w: big-endian descr %q is not supported", ErrNPY, s)
	default:
		code = s
	}
	for dt, d := range npyDescr {
		if d[1:] == code {
			return dt, nil
		}
	}
	if code == "?" {
		return Bool, nil
	}
	return Undefined, fmt.Errorf("%w: unsupported descr %q", ErrNPY, s)
}

// ReadNPY reads one array in NumPy's .npy format (versions 1.0, 2.0 and
// 3.0; C order; little-endian f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 c8 c16).
// Fortran-ordered arrays, big-endian data, object arrays and structured
// dtypes are errors wrapping ErrNPY. The data is read as it arrives, so a
// header claiming a huge shape over a short stream fails without a large
// allocation.
func ReadNPY(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: reading magic: %v", ErrNPY, npyEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrNPY, pre[:6])
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length: %v", ErrNPY, npyEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length: %v", ErrNPY, npyEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > npyMaxHeader {
			return nil, fmt.Errorf("%w: header of %d bytes is too long", ErrNPY, n)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("%w: unsupported format version %d.%d", ErrNPY, pre[6], pre[7])
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("%w: reading %d-byte header: %v", ErrNPY, hlen, npyEOF(err))
	}
	dt, shape, err := npyParseHeader(string(header))
	if err != nil {
		return nil, err
	}
	n, err := NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNPY, err)
	}
	want := int64(n) * int64(dt.Size())
	var buf bytes.Buffer
	buf.Grow(int(min(want, 1<<20)))
	got, err := io.CopyN(&buf, r, want)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: reading data: %v", ErrNPY, err)
	}
	if got != want {
		return nil, fmt.Errorf("%w: %v%v needs %d data bytes, stream has %d", ErrNPY, dt, shape, want, got)
	}
	t, err := New(dt, shape...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNPY, err)
	}
	if err := DecodeLE(t, 0, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNPY, err)
	}
	return t, nil
}

func npyEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// npyParseHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func npyParseHeader(h string) (DType, []int, error) {
	p := &npyLexer{s: strings.TrimRight(h, " \t\r\n\x00")}
	bad := func(format string, args ...any) (DType, []int, error) {
		return Undefined, nil, fmt.Errorf("%w: header %q: %s", ErrNPY, h, fmt.Sprintf(format, args...))
	}
	if !p.eat('{') {
		return bad("want '{'")
	}
	var (
		descr                           string
		shape                           []int
		haveDescr, haveOrder, haveShape bool
	)
	for !p.eat('}') {
		key, ok := p.str()
		if !ok {
			return bad("want a quoted key at offset %d", p.i)
		}
		if !p.eat(':') {
			return bad("want ':' after %q", key)
		}
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return bad("descr is not a string (structured dtypes are not supported)")
			}
			haveDescr = true
		case "fortran_order":
			w := p.word()
			switch w {
			case "False":
			case "True":
				return Undefined, nil, fmt.Errorf("%w: fortran_order arrays are not supported", ErrNPY)
			default:
				return bad("fortran_order is %q", w)
			}
			haveOrder = true
		case "shape":
			if !p.eat('(') {
				return bad("shape is not a tuple")
			}
			shape = []int{}
			for !p.eat(')') {
				w := p.word()
				w = strings.TrimSuffix(w, "L") // Python 2 longs
				d, err := strconv.ParseInt(w, 10, 64)
				if err != nil || d < 0 || d > MaxElements {
					return bad("bad dimension %q", w)
				}
				shape = append(shape, int(d))
				if !p.eat(',') && !p.peek(')') {
					return bad("want ',' or ')' in shape")
				}
			}
			haveShape = true
		default:
			return bad("unknown key %q", key)
		}
		if !p.eat(',') && !p.peek('}') {
			return bad("want ',' or '}' after %q", key)
		}
	}
	if p.skip(); p.i != len(p.s) {
		return bad("trailing text")
	}
	if !haveDescr || !haveOrder || !haveShape {
		return bad("missing descr, fortran_order or shape")
	}
	dt, err := npyParseDescr(descr)
	if err != nil {
		return Undefined, nil, err
	}
	return dt, shape, nil
}

type npyLexer struct {
	s string
	i int
}

func (p *npyLexer) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *npyLexer) peek(c byte) bool {
	p.skip()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *npyLexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

// str reads a '...' or "..." literal without escapes.
func (p *npyLexer) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

// word reads a bare token up to a delimiter.
func (p *npyLexer) word() string {
	p.skip()
	j := p.i
	for j < len(p.s) && strings.IndexByte(" \t\r\n,:(){}", p.s[j]) < 0 {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

// WriteNPY writes t in NumPy's .npy format: version 1.0 (2.0 when the header
// would not fit), C order, little-endian. String and BFloat16 tensors, which
// numpy has no plain dtype for, are errors.
func WriteNPY(w io.Writer, t *Tensor) error {
	descr, ok := npyDescr[t.dtype]
	if !ok {
		return fmt.Errorf("tensor: WriteNPY: %v has no .npy dtype", t.dtype)
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, d := range t.shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(d))
	}
	if len(t.shape) == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh.String())
	// Pad with spaces so that the data starts at a multiple of 64 bytes, and
	// end the header with a newline, as numpy does.
	major, prefix := byte(1), 10
	if len(dict)+1+prefix > math.MaxUint16 {
		major, prefix = 2, 12
	}
	total := (prefix + len(dict) + 1 + 63) / 64 * 64
	hlen := total - prefix
	out := make([]byte, 0, total)
	out = append(out, npyMagic...)
	out = append(out, major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen))
	}
	out = append(out, dict...)
	for len(out) < total-1 {
		out = append(out, ' ')
	}
	out = append(out, '\n')
	if _, err := w.Write(out); err != nil {
		return err
	}
	// Write the data in chunks so that a large tensor is not copied whole.
	const chunk = 1 << 20
	n := t.Len()
	step := max(1, chunk/t.dtype.Size())
	var buf []byte
	for from := 0; from < n; from += step {
		to := min(n, from+step)
		var err error
		if buf, err = AppendLE(buf[:0], t, from, to); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

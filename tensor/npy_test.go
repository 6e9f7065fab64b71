package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// npyTestTensors returns one tensor of every .npy dtype, with awkward
// values (negative, extremes, NaN-free so DeepEqual works).
func npyTestTensors() map[string]*Tensor {
	return map[string]*Tensor{
		"f4":  Must(FromSlice([]float32{1.5, -2, float32(math.Inf(1)), math.SmallestNonzeroFloat32, math.MaxFloat32, 0}, 2, 3)),
		"f8":  Must(FromSlice([]float64{math.Pi, -1e300, 5e-324}, 3)),
		"f2":  Must(FromSlice([]F16{NewF16(1), NewF16(-0.5), 0x7bff, 0x0001}, 2, 2)),
		"i1":  Must(FromSlice([]int8{-128, 127, 0}, 3, 1)),
		"i2":  Must(FromSlice([]int16{-32768, 32767}, 2)),
		"i4":  Must(FromSlice([]int32{math.MinInt32, math.MaxInt32, -1}, 1, 3)),
		"i8":  Must(FromSlice([]int64{math.MinInt64, math.MaxInt64}, 2)),
		"u1":  Must(FromSlice([]uint8{0, 255}, 2)),
		"u2":  Must(FromSlice([]uint16{0, 65535}, 2)),
		"u4":  Must(FromSlice([]uint32{0, math.MaxUint32}, 2)),
		"u8":  Must(FromSlice([]uint64{0, math.MaxUint64}, 1, 2, 1)),
		"b1":  Must(FromSlice([]bool{true, false, true}, 3)),
		"c8":  Must(FromSlice([]complex64{complex(1, -2), complex(0, 3.5)}, 2)),
		"c16": Must(FromSlice([]complex128{complex(-1, 2), 0}, 2)),
		// Shapes: a scalar, an empty tensor, a rank-5 tensor.
		"scalar": Scalar(float32(42)),
		"empty":  Must(New(Int64, 0, 3)),
		"rank5":  Must(New(Uint8, 1, 2, 1, 2, 1)),
	}
}

func TestNPYRoundTrip(t *testing.T) {
	for name, x := range npyTestTensors() {
		var b bytes.Buffer
		if err := WriteNPY(&b, x); err != nil {
			t.Fatalf("%s: WriteNPY: %v", name, err)
		}
		raw := b.Bytes()
		// The header is padded so that the data starts at a multiple of 64.
		hl := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hl)%64 != 0 || raw[10+hl-1] != '\n' {
			t.Errorf("%s: header length %d is not padded to 64 bytes ending in a newline", name, hl)
		}
		if len(raw) != 10+hl+x.Len()*x.DType().Size() {
			t.Errorf("%s: %d bytes written", name, len(raw))
		}
		y, err := ReadNPY(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: ReadNPY: %v", name, err)
		}
		if y.DType() != x.DType() || !SameShape(y.Shape(), x.Shape()) || !reflect.DeepEqual(y.Raw(), x.Raw()) {
			t.Errorf("%s: read back %v, want %v", name, y, x)
		}
	}
}

func TestNPYKnownBytes(t *testing.T) {
	// The exact bytes numpy 1.24 writes for np.save(f, np.array([[1, 2]], "<i2")).
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2), }" +
		strings.Repeat(" ", 58) + "\n\x01\x00\x02\x00"
	var b bytes.Buffer
	if err := WriteNPY(&b, Must(FromSlice([]int16{1, 2}, 1, 2))); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteNPY wrote\n%q\nwant\n%q", b.String(), want)
	}
}

// npyFile builds a .npy stream with the given version and header text.
func npyFile(major byte, header string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	b = append(b, header...)
	return append(b, data...)
}

func TestNPYHeaderVariants(t *testing.T) {
	data := []byte{1, 0, 0, 0, 2, 0, 0, 0}
	for _, c := range []struct {
		major  byte
		header string
	}{
		{1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n"},
		{2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n"},
		{3, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n"},
		{1, `{"shape": (2,), "descr": "<i4", "fortran_order": False}`},
		{1, "{'descr':'=i4','fortran_order':False,'shape':(2L,)}   \n"},
		{1, "{ 'descr' : 'i4' , 'fortran_order' : False , 'shape' : ( 2 , ) , }"},
		{1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }"},
	} {
		x, err := ReadNPY(bytes.NewReader(npyFile(c.major, c.header, data)))
		if err != nil {
			t.Errorf("v%d %q: %v", c.major, c.header, err)
			continue
		}
		if d := Data[int32](x); x.Len() != 2 || d[0] != 1 || d[1] != 2 {
			t.Errorf("v%d %q: read %v", c.major, c.header, x)
		}
	}
	// b1 bytes other than 0 and 1 read as true.
	x, err := ReadNPY(bytes.NewReader(npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 1, 7})))
	if err != nil || !reflect.DeepEqual(Data[bool](x), []bool{false, true, true}) {
		t.Errorf("bool read %v, %v", x, err)
	}
	// Trailing bytes after the array are ignored.
	if _, err := ReadNPY(bytes.NewReader(npyFile(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (), }", []byte{1, 2, 3}))); err != nil {
		t.Errorf("trailing data: %v", err)
	}
}

func TestNPYErrors(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	data := make([]byte, 8)
	cases := map[string][]byte{
		"empty":          nil,
		"short magic":    []byte("\x93NUM"),
		"bad magic":      []byte("\x93NUMPX\x01\x00\x00\x00"),
		"no header len":  []byte("\x93NUMPY\x01\x00\x10"),
		"short header":   npyFile(1, ok, data)[:20],
		"short data":     npyFile(1, ok, data[:7]),
		"no data":        npyFile(1, ok, nil),
		"fortran":        npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data),
		"big endian":     npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data),
		"object":         npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data),
		"unicode":        npyFile(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", data),
		"structured":     npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data),
		"no shape":       npyFile(1, "{'descr': '<f4', 'fortran_order': False, }", data),
		"no descr":       npyFile(1, "{'fortran_order': False, 'shape': (2,), }", data),
		"no order":       npyFile(1, "{'descr': '<f4', 'shape': (2,), }", data),
		"unknown key":    npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data),
		"negative dim":   npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data),
		"bad dim":        npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2x,), }", data),
		"unclosed shape": npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2 2), }", data),
		"unclosed dict":  npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", data),
		"trailing":       npyFile(1, ok+" x", data),
		"not a dict":     npyFile(1, "descr", data),
		"order value":    npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data),
		"unterminated":   npyFile(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (2,), }", data),
		"overflow shape": npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", data),
		"huge header":    append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f),
	}
	cases["version 4"] = npyFile(1, ok, data)
	cases["version 4"][6] = 4
	for name, b := range cases {
		x, err := ReadNPY(bytes.NewReader(b))
		if err == nil {
			t.Errorf("%s: ReadNPY succeeded: %v", name, x)
			continue
		}
		if !errors.Is(err, ErrNPY) {
			t.Errorf("%s: error %v does not wrap ErrNPY", name, err)
		}
	}
	if err := WriteNPY(io.Discard, Must(FromSlice([]string{"a"}, 1))); err == nil {
		t.Error("WriteNPY of strings succeeded")
	}
	if err := WriteNPY(io.Discard, Must(FromSlice([]BF16{1}, 1))); err == nil {
		t.Error("WriteNPY of bfloat16 succeeded")
	}
}

// A header that claims a huge array over a short stream must fail without
// allocating the array.
func TestNPYHugeShapeShortStream(t *testing.T) {
	b := npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", make([]byte, 64))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadNPY(bytes.NewReader(b))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrNPY) {
		t.Fatalf("ReadNPY = %v, want ErrNPY", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("ReadNPY allocated %d bytes for a 64-byte stream", got)
	}
}

type npyFailWriter struct{ n int }

func (w *npyFailWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestNPYWriteErrors(t *testing.T) {
	x := Must(New(Float32, 3))
	for n := range 2 {
		if err := WriteNPY(&npyFailWriter{n: n}, x); err == nil {
			t.Errorf("WriteNPY with the %dth write failing succeeded", n+1)
		}
	}
	// A tensor larger than one chunk is written in several writes.
	big := Must(New(Float64, 300000))
	for i := range Data[float64](big) {
		Data[float64](big)[i] = float64(i)
	}
	var b bytes.Buffer
	if err := WriteNPY(&b, big); err != nil {
		t.Fatal(err)
	}
	y, err := ReadNPY(&b)
	if err != nil || !reflect.DeepEqual(Data[float64](y), Data[float64](big)) {
		t.Fatalf("big round trip: %v", err)
	}
}

// TestNPYPortablePath checks the byte-by-byte encoding used on big-endian
// hosts against the copy used on little-endian ones (on a big-endian host,
// only the portable path is valid and is checked against the round trip).
func TestNPYPortablePath(t *testing.T) {
	native := hostLittleEndian
	defer func() { hostLittleEndian = native }()
	paths := []bool{false}
	if native {
		paths = append(paths, true)
	}
	for name, x := range npyTestTensors() {
		hostLittleEndian = false
		slow, err := AppendLE([]byte{9}, x, 0, x.Len())
		if err != nil {
			t.Fatal(err)
		}
		if slow[0] != 9 {
			t.Errorf("%s: AppendLE overwrote the prefix", name)
		}
		slow = slow[1:]
		if native {
			hostLittleEndian = true
			fast, err := AppendLE(nil, x, 0, x.Len())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(slow, fast) {
				t.Errorf("%s: portable AppendLE differs from the copy", name)
			}
		}
		// Decode in two pieces to exercise the start offset.
		for _, le := range paths {
			hostLittleEndian = le
			y := Must(New(x.DType(), x.Shape()...))
			size, half := x.DType().Size(), x.Len()/2
			if err := DecodeLE(y, 0, slow[:half*size]); err != nil {
				t.Fatal(err)
			}
			if err := DecodeLE(y, half, slow[half*size:]); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(y.Raw(), x.Raw()) {
				t.Errorf("%s: DecodeLE (copy path %v) = %v, want %v", name, le, y, x)
			}
		}
	}
	hostLittleEndian = native
	// The little-endian layout is fixed whatever the host.
	for _, c := range []struct {
		x    *Tensor
		want []byte
	}{
		{Must(FromSlice([]float32{1}, 1)), []byte{0, 0, 0x80, 0x3f}},
		{Must(FromSlice([]int16{-2}, 1)), []byte{0xfe, 0xff}},
		{Must(FromSlice([]uint64{0x0102030405060708}, 1)), []byte{8, 7, 6, 5, 4, 3, 2, 1}},
		{Must(FromSlice([]F16{0x3c00}, 1)), []byte{0, 0x3c}},
		{Must(FromSlice([]complex64{complex(1, 2)}, 1)), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}},
		{Must(FromSlice([]bool{true, false}, 2)), []byte{1, 0}},
	} {
		if b, _ := AppendLE(nil, c.x, 0, c.x.Len()); !bytes.Equal(b, c.want) {
			t.Errorf("%v encodes as % x, want % x", c.x, b, c.want)
		}
	}
}

func TestNPYCodecErrors(t *testing.T) {
	x := Must(New(Int32, 4))
	s := Must(FromSlice([]string{"a"}, 1))
	if _, err := AppendLE(nil, s, 0, 1); err == nil {
		t.Error("AppendLE of strings succeeded")
	}
	for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 5}} {
		if _, err := AppendLE(nil, x, r[0], r[1]); err == nil {
			t.Errorf("AppendLE range %v succeeded", r)
		}
	}
	if err := DecodeLE(x, 0, make([]byte, 5)); err == nil {
		t.Error("DecodeLE of 5 bytes into int32 succeeded")
	}
	if err := DecodeLE(x, 2, make([]byte, 12)); err == nil {
		t.Error("DecodeLE past the end succeeded")
	}
	if err := DecodeLE(x, -1, make([]byte, 4)); err == nil {
		t.Error("DecodeLE at -1 succeeded")
	}
	if err := DecodeLE(s, 0, []byte{1}); err == nil {
		t.Error("DecodeLE into strings succeeded")
	}
}

// npyPython returns a Python interpreter with numpy, or skips the test.
func npyPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import numpy").Run() == nil {
				return path
			}
		}
	}
	t.Skip("no python3 with numpy; skipping the cross-check with numpy")
	return ""
}

// TestNPYWithNumpy checks files numpy writes and reads against ours.
func TestNPYWithNumpy(t *testing.T) {
	py := npyPython(t)
	dir := t.TempDir()
	tensors := npyTestTensors()
	for name, x := range tensors {
		f, err := os.Create(filepath.Join(dir, "go_"+name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteNPY(f, x); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	// numpy writes the same values, and checks ours.
	script := `
import sys, numpy as np
d = sys.argv[1]
inf = float("inf")
arrs = {
 "f4": np.array([[1.5, -2, inf], [np.finfo(np.float32).tiny * 2.0**-23, np.finfo(np.float32).max, 0]], "<f4"),
 "f8": np.array([np.pi, -1e300, 5e-324], "<f8"),
 "f2": np.array([[1, -0.5], [65504, 2.0**-24]], "<f2"),
 "i1": np.array([[-128], [127], [0]], "i1"),
 "i2": np.array([-32768, 32767], "<i2"),
 "i4": np.array([[-2**31, 2**31 - 1, -1]], "<i4"),
 "i8": np.array([-2**63, 2**63 - 1], "<i8"),
 "u1": np.array([0, 255], "u1"),
 "u2": np.array([0, 65535], "<u2"),
 "u4": np.array([0, 2**32 - 1], "<u4"),
 "u8": np.array([[[0], [2**64 - 1]]], "<u8"),
 "b1": np.array([True, False, True]),
 "c8": np.array([1 - 2j, 3.5j], "<c8"),
 "c16": np.array([-1 + 2j, 0], "<c16"),
 "scalar": np.array(42, "<f4"),
 "empty": np.zeros((0, 3), "<i8"),
 "rank5": np.zeros((1, 2, 1, 2, 1), "u1"),
}
for name, a in arrs.items():
    np.save(d + "/np_" + name + ".npy", a)
    b = np.load(d + "/go_" + name + ".npy")
    if b.dtype != a.dtype or b.shape != a.shape or not np.array_equal(a, b):
        print("mismatch", name, a.dtype, a.shape, b.dtype, b.shape, a, b)
        sys.exit(1)
# A version 2.0 file, and a Fortran-ordered one.
np.lib.format.write_array(open(d + "/np_v2.npy", "wb"), np.arange(6, dtype="<i4").reshape(2, 3), version=(2, 0))
np.save(d + "/np_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	for name, x := range tensors {
		y := npyTestReadFile(t, filepath.Join(dir, "np_"+name+".npy"))
		if y.DType() != x.DType() || !SameShape(y.Shape(), x.Shape()) || !reflect.DeepEqual(y.Raw(), x.Raw()) {
			t.Errorf("%s: numpy's file reads as %v, want %v", name, y, x)
		}
	}
	v2 := npyTestReadFile(t, filepath.Join(dir, "np_v2.npy"))
	if fmt.Sprint(v2.Shape(), Data[int32](v2)) != "[2 3] [0 1 2 3 4 5]" {
		t.Errorf("version 2.0 file reads as %v", v2)
	}
	f, err := os.Open(filepath.Join(dir, "np_fortran.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ReadNPY(f); !errors.Is(err, ErrNPY) {
		t.Errorf("Fortran-ordered file: %v, want ErrNPY", err)
	}
}

func npyTestReadFile(t *testing.T, path string) *Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := ReadNPY(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

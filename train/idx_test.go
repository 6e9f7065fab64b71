package train

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxml/onyx/tensor"
)

func TestIDXReadWrite(t *testing.T) {
	img := tensor.Must(tensor.FromSlice([]uint8{0, 255, 51, 102, 7, 8}, 3, 1, 2))
	var raw bytes.Buffer
	if err := WriteIDX(&raw, img); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102, 7, 8}
	if !bytes.Equal(raw.Bytes(), want) {
		t.Fatalf("WriteIDX: % x", raw.Bytes())
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	for name, b := range map[string][]byte{"raw": raw.Bytes(), "gzip": gz.Bytes()} {
		got, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !tensor.SameShape(got.Shape(), []int{3, 1, 2}) || !bytes.Equal(tensor.Data[uint8](got), tensor.Data[uint8](img)) {
			t.Errorf("%s: %v", name, got)
		}
	}
	// Big-endian int32 and float32 elements.
	i32 := []byte{0, 0, 0x0C, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0}
	got, err := ReadIDX(bytes.NewReader(i32))
	if err != nil || tensor.Data[int32](got)[0] != -2 || tensor.Data[int32](got)[1] != 256 {
		t.Errorf("int32: %v %v", got, err)
	}
	f32 := []byte{0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0}
	if got, err := ReadIDX(bytes.NewReader(f32)); err != nil || tensor.Data[float32](got)[0] != 1.5 {
		t.Errorf("float32: %v %v", got, err)
	}
}

func TestIDXErrors(t *testing.T) {
	cases := map[string][]byte{
		"empty":       {},
		"short magic": {0, 0},
		"bad magic":   {1, 0, 8, 1, 0, 0, 0, 1, 5},
		"bad type":    {0, 0, 0x0A, 1, 0, 0, 0, 1, 5},
		"no dims":     {0, 0, 8, 0},
		"short dims":  {0, 0, 8, 2, 0, 0, 0, 1, 0},
		"truncated":   {0, 0, 8, 1, 0, 0, 0, 4, 1, 2},
		"trailing":    {0, 0, 8, 1, 0, 0, 0, 1, 1, 2},
		"huge":        {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9},
		"bad gzip":    {0x1f, 0x8b, 0, 0, 0},
		"huge claim":  {0, 0, 0x0E, 1, 0x3f, 0xff, 0xff, 0xff, 1, 2, 3},
	}
	for name, b := range cases {
		if _, err := ReadIDX(bytes.NewReader(b)); !errors.Is(err, ErrIDX) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := IDXDataset(tensor.Must(tensor.New(tensor.Uint8, 2, 3, 3)), tensor.Must(tensor.New(tensor.Uint8, 3))); !errors.Is(err, ErrIDX) {
		t.Errorf("label count mismatch: %v", err)
	}
	if _, err := LoadMNIST(t.TempDir(), "train"); err == nil {
		t.Error("LoadMNIST of an empty directory")
	}
}

// idxWriteSynthetic writes n 8x8 images of 3 classes (a bright row band
// per class) as split-images-idx3-ubyte(.gz) and labels in dir.
func idxWriteSynthetic(t *testing.T, dir, split string, n int, gz bool) {
	t.Helper()
	img := tensor.Must(tensor.New(tensor.Uint8, n, 8, 8))
	lab := tensor.Must(tensor.New(tensor.Uint8, n))
	d, l := tensor.Data[uint8](img), tensor.Data[uint8](lab)
	for i := range n {
		k := (i*7 + i/3) % 3
		l[i] = uint8(k)
		for p := range 64 {
			v := (p*31 + i*17) % 60
			if r := p / 8; r >= 2*k+1 && r <= 2*k+2 {
				v += 180
			}
			d[i*64+p] = uint8(v)
		}
	}
	for kind, tt := range map[string]*tensor.Tensor{"images-idx3-ubyte": img, "labels-idx1-ubyte": lab} {
		var b bytes.Buffer
		if err := WriteIDX(&b, tt); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, split+"-"+kind)
		data := b.Bytes()
		if gz {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			name, data = name+".gz", z.Bytes()
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIDXLoadMNIST(t *testing.T) {
	dir := t.TempDir()
	idxWriteSynthetic(t, dir, "train", 30, true)
	idxWriteSynthetic(t, dir, "t10k", 9, false)
	for split, n := range map[string]int{"train": 30, "t10k": 9} {
		d, err := LoadMNIST(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(d.X.Shape(), []int{n, 1, 8, 8}) || d.Y.Len() != n || d.X.DType() != tensor.Float32 {
			t.Errorf("%s: X %v Y %v", split, d.X.Shape(), d.Y.Shape())
		}
		for _, v := range tensor.Data[float32](d.X) {
			if v < 0 || v > 1 {
				t.Fatalf("pixel %v outside [0, 1]", v)
			}
		}
	}
}

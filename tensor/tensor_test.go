package tensor

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestTensorNumElements(t *testing.T) {
	big := MaxElements
	cases := []struct {
		shape []int
		want  int
		ok    bool
	}{
		{nil, 1, true},
		{[]int{}, 1, true},
		{[]int{3}, 3, true},
		{[]int{2, 3, 4}, 24, true},
		{[]int{0}, 0, true},
		{[]int{5, 0, 7}, 0, true},
		{[]int{big}, big, true},
		{[]int{big, 1, 1}, big, true},
		{[]int{big + 1}, 0, false},
		{[]int{big, 2}, 0, false},
		{[]int{-1}, 0, false},
		{[]int{0, -1}, 0, false},
		{[]int{-1, 0}, 0, false},
		{[]int{math.MaxInt, math.MaxInt}, 0, false},
		{[]int{1 << 21, 1 << 21, 1 << 21}, 0, false},
		// The dims other than a zero are still bounded, whatever the order.
		{[]int{big, big, 0}, 0, false},
		{[]int{0, big, big}, 0, false},
		{[]int{big, 0, big}, 0, false},
		{[]int{big, 0}, 0, true},
	}
	for _, c := range cases {
		n, err := NumElements(c.shape)
		if c.ok {
			if err != nil || n != c.want {
				t.Errorf("NumElements(%v) = %d, %v; want %d", c.shape, n, err, c.want)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrShape) {
			t.Errorf("NumElements(%v) = %d, %v; want an ErrShape error", c.shape, n, err)
		}
	}
}

func TestTensorNewAndErrors(t *testing.T) {
	for dt := range dtypeNames {
		if dt == Undefined {
			continue
		}
		x, err := New(dt, 2, 3)
		if err != nil {
			t.Fatalf("New(%v): %v", dt, err)
		}
		if x.DType() != dt || x.Len() != 6 || x.Rank() != 2 || !SameShape(x.Shape(), []int{2, 3}) {
			t.Errorf("New(%v, 2, 3) = %v", dt, x)
		}
		if s, err := New(dt); err != nil || s.Len() != 1 || s.Rank() != 0 {
			t.Errorf("New(%v) scalar = %v, %v", dt, s, err)
		}
	}
	if _, err := New(DType(99), 2); err == nil {
		t.Error("New(dtype 99) succeeded")
	}
	if _, err := New(Float32, 2, -3); !errors.Is(err, ErrShape) {
		t.Errorf("New with a negative dim: %v", err)
	}
	if _, err := New(Float32, MaxElements, 2); !errors.Is(err, ErrShape) {
		t.Errorf("New over MaxElements: %v", err)
	}
	// New copies the shape it is given.
	shape := []int{2, 2}
	x := Must(New(Float32, shape...))
	shape[0] = 7
	if x.Shape()[0] != 2 {
		t.Error("New kept the caller's shape slice")
	}
}

func TestTensorFromSlice(t *testing.T) {
	x, err := FromSlice([]int64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil || x.DType() != Int64 || !SameShape(x.Shape(), []int{2, 3}) {
		t.Fatalf("FromSlice = %v, %v", x, err)
	}
	if _, err := FromSlice([]float32{1, 2, 3}, 2, 2); !errors.Is(err, ErrShape) {
		t.Errorf("FromSlice with 3 elements for 2x2: %v", err)
	}
	if _, err := FromSlice([]float32{1}, -1); !errors.Is(err, ErrShape) {
		t.Errorf("FromSlice with a negative dim: %v", err)
	}
	if _, err := FromSlice([]float32{1}); err != nil {
		t.Errorf("FromSlice scalar: %v", err)
	}
	if _, err := FromSlice([]float32{}); !errors.Is(err, ErrShape) {
		t.Errorf("FromSlice of no elements as a scalar: %v", err)
	}
	e, err := FromSlice[float32](nil, 0, 3)
	if err != nil || e.Len() != 0 || Data[float32](e) == nil {
		t.Errorf("FromSlice(nil, 0, 3) = %v, %v (data must be a non-nil empty slice)", e, err)
	}
	// The data is shared, not copied.
	d := []int32{1, 2}
	y := Must(FromSlice(d, 2))
	d[0] = 9
	if Data[int32](y)[0] != 9 {
		t.Error("FromSlice copied the data")
	}
	for _, dt := range []DType{Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Bool, String, Float16, BFloat16, Complex64, Complex128} {
		if got := Must(New(dt, 1)).DType(); got != dt {
			t.Errorf("dtype %v round trip gives %v", dt, got)
		}
	}
	if DTypeOf[F16]() != Float16 || DTypeOf[BF16]() != BFloat16 || DTypeOf[complex128]() != Complex128 {
		t.Error("DTypeOf is wrong for F16, BF16 or complex128")
	}
}

func TestTensorReshape(t *testing.T) {
	x := Must(FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	y, err := x.Reshape(3, 2)
	if err != nil || !SameShape(y.Shape(), []int{3, 2}) {
		t.Fatalf("Reshape(3, 2) = %v, %v", y, err)
	}
	Data[float32](y)[0] = 10
	if Data[float32](x)[0] != 10 {
		t.Error("Reshape does not share data")
	}
	if !SameShape(x.Shape(), []int{2, 3}) {
		t.Error("Reshape changed the original's shape")
	}
	for _, bad := range [][]int{{4, 2}, {7}, {-6}, {-2, -3}, {MaxElements, 2}} {
		if _, err := x.Reshape(bad...); !errors.Is(err, ErrShape) {
			t.Errorf("Reshape(%v) = %v, want ErrShape", bad, err)
		}
	}
	s := Must(FromSlice([]float32{5}, 1, 1))
	if r, err := s.Reshape(); err != nil || r.Rank() != 0 {
		t.Errorf("Reshape to scalar: %v, %v", r, err)
	}
}

func TestTensorCloneCopyConvert(t *testing.T) {
	x := Must(FromSlice([]int16{-1, 2, 3}, 3))
	c := x.Clone()
	Data[int16](c)[0] = 7
	if Data[int16](x)[0] != -1 {
		t.Error("Clone shares data")
	}
	if err := c.CopyFrom(x); err != nil || Data[int16](c)[0] != -1 {
		t.Errorf("CopyFrom: %v", err)
	}
	if err := c.CopyFrom(Must(FromSlice([]int32{1, 2, 3}, 3))); err == nil {
		t.Error("CopyFrom with another dtype succeeded")
	}
	if err := c.CopyFrom(Must(FromSlice([]int16{1, 2}, 2))); err == nil {
		t.Error("CopyFrom with another length succeeded")
	}
	f, err := x.Float64s()
	if err != nil || !reflect.DeepEqual(f, []float64{-1, 2, 3}) {
		t.Errorf("Float64s = %v, %v", f, err)
	}
	h := Must(FromSlice([]F16{NewF16(1.5), NewF16(-2)}, 2))
	if f, _ := h.Float64s(); !reflect.DeepEqual(f, []float64{1.5, -2}) {
		t.Errorf("F16 Float64s = %v", f)
	}
	b := Must(FromSlice([]bool{true, false}, 2))
	if f, _ := b.Float64s(); !reflect.DeepEqual(f, []float64{1, 0}) {
		t.Errorf("bool Float64s = %v", f)
	}
	if _, err := Must(FromSlice([]string{"a"}, 1)).Float64s(); err == nil {
		t.Error("string Float64s succeeded")
	}
	i, err := Must(FromSlice([]uint8{200, 3}, 2)).Int64s()
	if err != nil || !reflect.DeepEqual(i, []int64{200, 3}) {
		t.Errorf("Int64s = %v, %v", i, err)
	}
	if _, err := Must(FromSlice([]float32{1}, 1)).Int64s(); err == nil {
		t.Error("float Int64s succeeded")
	}
	i64 := Must(FromSlice([]int64{5}, 1))
	got, _ := i64.Int64s()
	got[0] = 6
	if Data[int64](i64)[0] != 5 {
		t.Error("Int64s returned the tensor's own slice")
	}
	if s := Must(FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 9)).String(); s != "float32[9]{1 2 3 4 5 6 7 8 ...}" {
		t.Errorf("String = %q", s)
	}
}

func TestTensorBroadcastShapes(t *testing.T) {
	cases := []struct {
		in   [][]int
		want []int
	}{
		{[][]int{{2, 3}, {2, 3}}, []int{2, 3}},
		{[][]int{{2, 3}, {3}}, []int{2, 3}},
		{[][]int{{2, 1}, {1, 3}}, []int{2, 3}},
		{[][]int{{}, {4, 5}}, []int{4, 5}},
		{[][]int{{5, 1, 4}, {3, 1}, {1}}, []int{5, 3, 4}},
		{[][]int{{0, 3}, {1, 3}}, []int{0, 3}},
		{[][]int{{0}, {1}}, []int{0}},
		{[][]int{{1}, {0}}, []int{0}},
		{[][]int{}, []int{}},
		{[][]int{{8, 1, 6, 1}, {7, 1, 5}}, []int{8, 7, 6, 5}},
	}
	for _, c := range cases {
		got, err := BroadcastShapes(c.in...)
		if err != nil || !SameShape(got, c.want) {
			t.Errorf("BroadcastShapes(%v) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range [][][]int{{{2, 3}, {3, 2}}, {{2}, {3}}, {{0}, {2}}, {{4, 3}, {2, 1, 3}, {5, 1}}} {
		if got, err := BroadcastShapes(bad...); !errors.Is(err, ErrShape) {
			t.Errorf("BroadcastShapes(%v) = %v, %v; want ErrShape", bad, got, err)
		}
	}
}

func TestTensorStridesAndAxes(t *testing.T) {
	if s := Strides([]int{2, 3, 4}); !SameShape(s, []int{12, 4, 1}) {
		t.Errorf("Strides = %v", s)
	}
	if s := Strides(nil); len(s) != 0 {
		t.Errorf("Strides(nil) = %v", s)
	}
	if s := BroadcastStrides([]int{3, 1}, []int{2, 3, 4}); !SameShape(s, []int{0, 1, 0}) {
		t.Errorf("BroadcastStrides = %v", s)
	}
	if s := BroadcastStrides([]int{1, 1}, []int{1, 1}); !SameShape(s, []int{1, 1}) {
		t.Errorf("BroadcastStrides of ones = %v", s)
	}
	for _, c := range []struct{ axis, rank, want int }{{0, 3, 0}, {-1, 3, 2}, {-3, 3, 0}, {2, 3, 2}} {
		if got, err := NormAxis(c.axis, c.rank); err != nil || got != c.want {
			t.Errorf("NormAxis(%d, %d) = %d, %v; want %d", c.axis, c.rank, got, err, c.want)
		}
	}
	for _, c := range [][2]int{{3, 3}, {-4, 3}, {0, 0}, {-1, 0}, {1, 0}} {
		if _, err := NormAxis(c[0], c[1]); !errors.Is(err, ErrShape) {
			t.Errorf("NormAxis(%d, %d) = %v, want ErrShape", c[0], c[1], err)
		}
	}
}

func TestTensorDType(t *testing.T) {
	for dt, name := range dtypeNames {
		if dt.String() != name {
			t.Errorf("%d.String() = %q", dt, dt.String())
		}
		if dt == Undefined {
			continue
		}
		if p, err := ParseDType(name); err != nil || p != dt {
			t.Errorf("ParseDType(%q) = %v, %v", name, p, err)
		}
	}
	if _, err := ParseDType("undefined"); err == nil {
		t.Error("ParseDType(undefined) succeeded")
	}
	if DType(42).String() != "dtype(42)" {
		t.Errorf("DType(42) = %q", DType(42))
	}
	if !Float16.IsFloat() || Int8.IsFloat() || !Uint64.IsInt() || Bool.IsInt() || Uint8.IsSigned() || !BFloat16.IsSigned() {
		t.Error("IsFloat/IsInt/IsSigned are wrong")
	}
}

func TestTensorBytes(t *testing.T) {
	f := Must(New(Float32, 2, 3))
	view := Must(f.Reshape(6))
	s := Must(FromSlice([]string{"ab", ""}, 2))
	for _, c := range []struct {
		name string
		t    *Tensor
		want int64
	}{
		{"float32[2 3]", f, 24},
		{"a view", view, 24},
		{"float16 scalar", Must(New(Float16)), 2},
		{"empty", Must(New(Int64, 0, 5)), 0},
		{"strings", s, 2*StringHeaderBytes + 2},
		{"sequence", NewSequence(Float32, []*Tensor{f, view}), 48},
		{"empty sequence", NewSequence(Float32, nil), 0},
		{"optional of a sequence", NewOptional(Float32, NewSequence(Float32, []*Tensor{f})), 24},
		{"empty optional", NewOptional(Float32, nil), 0},
	} {
		if got := c.t.Bytes(); got != c.want {
			t.Errorf("%s: Bytes() = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestBroadcastPairs checks the indices against a direct computation from
// the broadcast rules, with broadcast dims on both sides and ranks apart.
func TestBroadcastPairs(t *testing.T) {
	a, b, to := []int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}
	var got [][3]int
	BroadcastPairs(a, b, to, func(i, ai, bi int) { got = append(got, [3]int{i, ai, bi}) })
	if len(got) != 24 {
		t.Fatalf("%d calls, want 24", len(got))
	}
	for i, g := range got {
		x, y, z := i/12, i/4%3, i%4
		if want := [3]int{i, x*4 + z, y}; g != want {
			t.Errorf("call %d: (i, ai, bi) = %v, want %v", i, g, want)
		}
	}
	calls := 0
	BroadcastPairs([]int{0, 2}, []int{2}, []int{0, 2}, func(int, int, int) { calls++ })
	if calls != 0 {
		t.Errorf("an empty shape made %d calls", calls)
	}
}

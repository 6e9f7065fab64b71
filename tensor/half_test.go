package tensor

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// halfRefRound rounds f to F16 the slow way: find the neighbouring finite
// halves by binary search over their values, pick the nearer in float64
// (exact), ties to the even bit pattern, and overflow to infinity at and
// beyond 65520 (the midpoint between the largest half and 2^16).
func halfRefRound(f float32) F16 {
	if f != f {
		panic("NaN")
	}
	sign := F16(0)
	x := float64(f)
	if math.Signbit(x) {
		sign = 0x8000
		x = -x
	}
	if x >= 65520 {
		return sign | 0x7c00
	}
	// Positive finite halves are 0x0000..0x7bff in increasing order.
	i := sort.Search(0x7c00, func(i int) bool { return float64(F16(i).Float32()) > x }) - 1
	lo := F16(i)
	if float64(lo.Float32()) == x || i == 0x7bff {
		return sign | lo
	}
	hi := lo + 1
	dl, dh := x-float64(lo.Float32()), float64(hi.Float32())-x
	switch {
	case dl < dh:
		return sign | lo
	case dh < dl:
		return sign | hi
	case lo&1 == 0:
		return sign | lo
	}
	return sign | hi
}

func TestHalfF16EveryPatternRoundTrips(t *testing.T) {
	for b := range 1 << 16 {
		h := F16(b)
		f := h.Float32()
		exp := b >> 10 & 0x1f
		man := b & 0x3ff
		if exp == 0x1f && man != 0 {
			if f == f {
				t.Fatalf("F16(%#04x).Float32() = %v, want NaN", b, f)
			}
			// NaNs stay NaNs with the same sign and quiet bit set.
			g := NewF16(f)
			if g>>10&0x1f != 0x1f || g&0x3ff == 0 || g&0x8000 != h&0x8000 || g&0x200 == 0 {
				t.Fatalf("NewF16(NaN %#04x) = %#04x", b, uint16(g))
			}
			continue
		}
		if g := NewF16(f); g != h {
			t.Fatalf("NewF16(F16(%#04x).Float32() = %v) = %#04x", b, f, uint16(g))
		}
		// Widening is exact: compare with the value computed in float64.
		var want float64
		switch {
		case exp == 0x1f:
			want = math.Inf(1)
		case exp == 0:
			want = math.Ldexp(float64(man), -24)
		default:
			want = math.Ldexp(float64(man|0x400), exp-25)
		}
		if b&0x8000 != 0 {
			want = -want
		}
		if float64(f) != want || math.Signbit(float64(f)) != (b&0x8000 != 0) {
			t.Fatalf("F16(%#04x).Float32() = %v, want %v", b, f, want)
		}
	}
}

func TestHalfF16TiesAndNeighbours(t *testing.T) {
	// Between every pair of adjacent positive finite halves, the midpoint
	// (exact in float32) must round to the even one, and the float32
	// values just beside it to the nearer one.
	for b := range 0x7bff {
		lo, hi := F16(b), F16(b+1)
		mid := (float64(lo.Float32()) + float64(hi.Float32())) / 2
		m := float32(mid)
		if float64(m) != mid {
			t.Fatalf("midpoint %v not exact in float32", mid)
		}
		even := lo
		if lo&1 == 1 {
			even = hi
		}
		for _, s := range []float32{1, -1} {
			sb := F16(0)
			if s < 0 {
				sb = 0x8000
			}
			if g := NewF16(s * m); g != sb|even {
				t.Fatalf("NewF16(%v) = %#04x, want %#04x (tie to even)", s*m, uint16(g), uint16(sb|even))
			}
			below := math.Nextafter32(m, 0)
			above := math.Nextafter32(m, float32(math.Inf(1)))
			if g := NewF16(s * below); g != sb|lo {
				t.Fatalf("NewF16(%v) = %#04x, want %#04x", s*below, uint16(g), uint16(sb|lo))
			}
			if g := NewF16(s * above); g != sb|hi {
				t.Fatalf("NewF16(%v) = %#04x, want %#04x", s*above, uint16(g), uint16(sb|hi))
			}
		}
	}
}

func TestHalfF16Special(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		f    float32
		want F16
	}{
		{0, 0},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},                             // largest half
		{65519.996, 0x7bff},                         // just below the overflow midpoint
		{65520, 0x7c00},                             // the midpoint rounds to even: infinity
		{1e10, 0x7c00},                              // overflow
		{-1e10, 0xfc00},                             // negative overflow
		{inf, 0x7c00},                               // +Inf
		{-inf, 0xfc00},                              // -Inf
		{float32(math.Ldexp(1, -24)), 0x0001},       // smallest subnormal
		{float32(math.Ldexp(1, -25)), 0x0000},       // half of it: tie to even (0)
		{float32(math.Ldexp(1.5, -25)), 0x0001},     // above the tie
		{float32(math.Ldexp(3, -25)), 0x0002},       // 1.5 ulp: tie to even (2)
		{float32(math.Ldexp(1, -14)), 0x0400},       // smallest normal
		{float32(math.Ldexp(1023.5, -24)), 0x0400},  // largest subnormal + half ulp: tie rounds up to the normal
		{float32(math.Ldexp(1, -30)), 0x0000},       // underflow
		{-float32(math.Ldexp(1, -30)), 0x8000},      // negative underflow keeps the sign
		{math.Float32frombits(1), 0},                // float32 subnormal
		{float32(math.Ldexp(1, -149)) * -1, 0x8000}, // negative float32 subnormal
	}
	for _, c := range cases {
		if g := NewF16(c.f); g != c.want {
			t.Errorf("NewF16(%v) = %#04x, want %#04x", c.f, uint16(g), uint16(c.want))
		}
	}
	if f := F16(0x7c00).Float32(); !math.IsInf(float64(f), 1) {
		t.Errorf("F16 +Inf widens to %v", f)
	}
	if f := F16(0xfc00).Float32(); !math.IsInf(float64(f), -1) {
		t.Errorf("F16 -Inf widens to %v", f)
	}
	nan := float32(math.NaN())
	if g := NewF16(nan); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
		t.Errorf("NewF16(NaN) = %#04x, not a NaN", uint16(g))
	}
	// A float32 NaN whose payload is only in the low bits must not become
	// infinity.
	if g := NewF16(math.Float32frombits(0x7f800001)); g&0x3ff == 0 {
		t.Errorf("NewF16(signalling NaN) = %#04x, became infinity", uint16(g))
	}
}

func TestHalfF16MatchesReference(t *testing.T) {
	check := func(bits uint32) {
		f := math.Float32frombits(bits)
		if f != f {
			return
		}
		if g, w := NewF16(f), halfRefRound(f); g != w {
			t.Fatalf("NewF16(%v [%#08x]) = %#04x, reference %#04x", f, bits, uint16(g), uint16(w))
		}
	}
	// A stride through all float32 patterns, plus random ones near the
	// half range where rounding is interesting.
	step := uint32(4093)
	if testing.Short() {
		step = 65521
	}
	for b := uint64(0); b < 1<<32; b += uint64(step) {
		check(uint32(b))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		e := uint32(r.IntN(40) + 127 - 26) // exponents from 2^-26 to 2^13
		check(r.Uint32()&0x807fffff | e<<23)
	}
}

func TestHalfBF16(t *testing.T) {
	// Every bfloat16 pattern widens exactly and narrows back.
	for b := range 1 << 16 {
		h := BF16(b)
		f := h.Float32()
		if math.Float32bits(f) != uint32(b)<<16 {
			t.Fatalf("BF16(%#04x).Float32() bits %#08x", b, math.Float32bits(f))
		}
		g := NewBF16(f)
		if f != f {
			if g>>7&0xff != 0xff || g&0x7f == 0 || g&0x40 == 0 || g&0x8000 != h&0x8000 {
				t.Fatalf("NewBF16(NaN %#04x) = %#04x", b, uint16(g))
			}
			continue
		}
		if g != h {
			t.Fatalf("NewBF16(BF16(%#04x)) = %#04x", b, uint16(g))
		}
	}
	cases := []struct {
		bits uint32
		want BF16
	}{
		{0x3f800000, 0x3f80},                // 1
		{0x3f808000, 0x3f80},                // tie, even stays
		{0x3f818000, 0x3f82},                // tie, odd rounds up
		{0x3f808001, 0x3f81},                // above the tie
		{0x3f807fff, 0x3f80},                // below the tie
		{0x7f7fffff, 0x7f80},                // max float32 rounds to +Inf
		{0xff7fffff, 0xff80},                // and to -Inf
		{0x7f800000, 0x7f80},                // +Inf
		{0x00000001, 0x0000},                // tiny subnormal
		{0x80000000, 0x8000},                // -0
		{0x7f800001, 0x7fc0},                // NaN with a low payload stays NaN (quiet)
		{0x7fff0000 | 0xffff, 0x7fff},       // NaN with a full payload
		{0x00408000, 0x0040},                // subnormal tie to even
		{0x00418000, 0x0042},                // subnormal tie, odd rounds up
		{math.Float32bits(3.14159), 0x4049}, // pi
	}
	for _, c := range cases {
		if g := NewBF16(math.Float32frombits(c.bits)); g != c.want {
			t.Errorf("NewBF16(%#08x) = %#04x, want %#04x", c.bits, uint16(g), uint16(c.want))
		}
	}
	// Against a float64 reference on random values.
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		bits := r.Uint32()
		f := math.Float32frombits(bits)
		lo := BF16(bits >> 16)
		if bits>>23&0xff == 0xff || lo&0x7fff == 0x7f7f { // Inf, NaN, overflow: tested above
			continue
		}
		hi := lo + 1
		x := float64(f)
		dl := math.Abs(x - float64(lo.Float32()))
		dh := math.Abs(float64(hi.Float32()) - x)
		want := lo
		if dh < dl || (dh == dl && lo&1 == 1) {
			want = hi
		}
		if g := NewBF16(f); g != want {
			t.Fatalf("NewBF16(%#08x) = %#04x, want %#04x", bits, uint16(g), uint16(want))
		}
	}
}

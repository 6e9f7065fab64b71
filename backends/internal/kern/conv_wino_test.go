package kern

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

func TestWinoLayout(t *testing.T) {
	var i WinoInArgs
	var o WinoOutArgs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"in.x", unsafe.Offsetof(i.x), 0}, {"in.v", unsafe.Offsetof(i.v), 8}, {"in.cin", unsafe.Offsetof(i.cin), 16},
		{"in.plane", unsafe.Offsetof(i.plane), 24}, {"in.wp", unsafe.Offsetof(i.wp), 32}, {"in.groups", unsafe.Offsetof(i.groups), 40},
		{"in.th0", unsafe.Offsetof(i.th0), 48}, {"in.tw0", unsafe.Offsetof(i.tw0), 56}, {"in.tilesWp", unsafe.Offsetof(i.tilesWp), 64},
		{"in.vs", unsafe.Offsetof(i.vs), 72}, {"in.panel", unsafe.Offsetof(i.panel), 80}, {"in.nr", unsafe.Offsetof(i.nr), 88},
		{"out.m", unsafe.Offsetof(o.m), 0}, {"out.y", unsafe.Offsetof(o.y), 8}, {"out.res", unsafe.Offsetof(o.res), 16},
		{"out.bias", unsafe.Offsetof(o.bias), 24}, {"out.cout", unsafe.Offsetof(o.cout), 32}, {"out.ms", unsafe.Offsetof(o.ms), 40},
		{"out.ldm", unsafe.Offsetof(o.ldm), 48}, {"out.groups", unsafe.Offsetof(o.groups), 56}, {"out.th0", unsafe.Offsetof(o.th0), 64},
		{"out.tw0", unsafe.Offsetof(o.tw0), 72}, {"out.tilesWp", unsafe.Offsetof(o.tilesWp), 80}, {"out.oh", unsafe.Offsetof(o.oh), 88},
		{"out.ow", unsafe.Offsetof(o.ow), 96}, {"out.ohw4", unsafe.Offsetof(o.ohw4), 104}, {"out.ow4", unsafe.Offsetof(o.ow4), 112},
		{"out.flags", unsafe.Offsetof(o.flags), 120}, {"out.lo", unsafe.Offsetof(o.lo), 128}, {"out.hi", unsafe.Offsetof(o.hi), 132},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
}

// TestWinoTransforms runs each ISA's transforms against their Go
// definitions (winoInGo, winoOutGo, in the ISA's lane order) over blocks
// that start mid-row, odd output sizes (partial tiles on the right and at
// the bottom), 1 to 17 channels, every panel width (nt a multiple of it,
// as the driver makes it), every epilogue. Input,
// residual and output end where their memory does (pageEnd), so that a
// read or write past them faults; the outputs have NaN guards besides.
func TestWinoTransforms(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, g := range testISAs(t) {
		lanes := &g.WinoLanes
		for _, nr := range []int{8, 16, 32} {
			for _, s := range []struct{ oh, ow, cin, cout, t0, nt int }{
				{4, 4, 1, 3, 0, 32}, {7, 13, 3, 1, 0, 32}, {9, 31, 2, 9, 16, 32}, {14, 14, 5, 8, 0, 64},
				{3, 40, 2, 3, 32, 32}, {2, 2, 1, 2, 0, 32}, {5, 17, 9, 17, 8, 32}, {11, 29, 17, 4, 40, 64},
				{1, 3, 8, 1, 0, 32}, {6, 32, 1, 2, 16, 32},
			} {
				tilesWp := ceil8((s.ow + 1) / 2)
				tiles := s.t0 + s.nt
				hp, wp := 2*((tiles+tilesWp-1)/tilesWp)+2, 2*tilesWp+2
				x := pageEnd(t, s.cin*hp*wp)
				copy(x, gemmRandSlice(r, len(x)))
				in := WinoInArgs{cin: s.cin, plane: hp * wp * 4, wp: wp * 4, groups: s.nt / 8, th0: s.t0 / tilesWp, tw0: s.t0 % tilesWp,
					tilesWp: tilesWp, vs: s.cin * s.nt * 4, panel: s.cin * nr * 4, nr: nr}
				want := make([]float32, 16*s.cin*s.nt)
				in.x, in.v = &x[0], &want[0]
				winoInGo(&in, lanes)
				got, all := gemmGuarded(len(want), 8)
				in.x, in.v = &x[0], &got[0]
				g.WinoIn(&in)
				if _, ok := gemmGuardWritten(all, 8); ok {
					t.Fatalf("%s in %+v nr %d: wrote into the guard", g.Name, s, nr)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s in %+v nr %d: v[%d] = %g, want %g", g.Name, s, nr, i, got[i], want[i])
					}
				}
				// The output transform of random M (with a NaN, which
				// must come out NaN through the clamp), every epilogue.
				cout := s.cout
				m := gemmRandSlice(r, 16*cout*s.nt)
				m[r.IntN(len(m))] = float32(math.NaN())
				bias := gemmRandSlice(r, cout)
				res := pageEnd(t, cout*s.oh*s.ow)
				copy(res, gemmRandSlice(r, len(res)))
				for flags := range 4 {
					for _, b := range [][]float32{nil, bias} {
						out := WinoOutArgs{cout: cout, ms: cout * s.nt * 4, ldm: s.nt * 4, groups: s.nt / 8, th0: s.t0 / tilesWp,
							tw0: s.t0 % tilesWp, tilesWp: tilesWp, oh: s.oh, ow: s.ow, ohw4: s.oh * s.ow * 4, ow4: s.ow * 4,
							flags: flags, lo: -0.3, hi: 0.4}
						want := make([]float32, cout*s.oh*s.ow)
						for i := range want {
							want[i] = -7
						}
						out.m, out.y, out.res = &m[0], &want[0], &res[0]
						if b != nil {
							out.bias = &b[0]
						}
						winoOutGo(&out, lanes)
						got, all := gemmGuarded(len(want), 8)
						end := pageEnd(t, len(want))
						for i := range got {
							got[i], end[i] = -7, -7
						}
						out.y = &got[0]
						g.WinoOut(&out)
						out.y = &end[0]
						g.WinoOut(&out)
						if _, ok := gemmGuardWritten(all, 8); ok {
							t.Fatalf("%s out %+v nr %d flags %d: wrote into the guard", g.Name, s, nr, flags)
						}
						// The transforms only add and subtract: in the Go
						// definitions' order, they give the same floats.
						for _, got := range [][]float32{got, end} {
							for i := range want {
								nan := math.IsNaN(float64(want[i]))
								if got[i] != want[i] && !(nan && math.IsNaN(float64(got[i]))) {
									t.Fatalf("%s out %+v nr %d flags %d bias %v: y[%d] = %g, want %g",
										g.Name, s, nr, flags, b != nil, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestWinoLanesChecked: an ISA whose WinoLanes is not a permutation is
// refused when its table is filled.
func TestWinoLanesChecked(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("fill accepted WinoLanes {1, 1, 2, ...}")
		}
	}()
	g := &ISA{Name: "bad-lanes", MR: 4, NR: 8, KC: 8, MC: 8, NC: 8, Ready: func() bool { return true },
		WinoLanes: [8]int{1, 1, 2, 3, 4, 5, 6, 7}}
	g.fill()
}

// TestWinoSpans checks that the blocks of a Winograd image, as the race
// detector is told of them, cover each output pixel exactly once.
func TestWinoSpans(t *testing.T) {
	for _, c := range []struct{ oh, ow, nt int }{{1, 1, 8}, {7, 7, 8}, {14, 14, 16}, {56, 56, 24}, {5, 33, 40}, {28, 2, 8}} {
		tilesH, tilesWp := (c.oh+1)/2, ((c.ow+1)/2+7)/8*8
		seen := make([]int, c.oh*c.ow)
		for t0 := 0; t0 < tilesH*tilesWp; t0 += c.nt {
			winoSpans(c.oh, c.ow, tilesWp, t0, min(c.nt, tilesH*tilesWp-t0), func(oy, x0, x1 int) {
				for x := x0; x < x1; x++ {
					seen[oy*c.ow+x]++
				}
			})
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("%dx%d in blocks of %d tiles: pixel (%d, %d) covered %d times", c.oh, c.ow, c.nt, i/c.ow, i%c.ow, n)
			}
		}
	}
}

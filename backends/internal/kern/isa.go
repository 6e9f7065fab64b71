package kern

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// ISA is one instruction set's kernels: the SGEMM micro-kernel with its
// tile and blocking, and the inner routines of the convolution, pooling
// and activation drivers. The architecture packages fill one per tier;
// every routine left nil runs its Go definition (the func of the same name
// with the suffix Go, which the assembly is tested against), so a table
// needs only the micro-kernel to run everything.
//
// The routines take their arguments by pointer, in structs of a fixed
// layout that the assembly reads (the Test*Layout tests); the drivers keep them
// in pooled memory, so that calls through the table allocate
// nothing. Each routine's preconditions are in the doc of its Go version.
type ISA struct {
	Name string // the tier, as ops.KernelDef.Backend and ONYX_CPU name it

	// The SGEMM tile: strips of MR rows of A (MR <= 16) by panels of NR
	// columns of B (NR a multiple of 8, <= 32); KC is the depth of a block,
	// MC the rows of A packed at once (a multiple of MR), NC the columns of
	// C per kernel call (a multiple of NR).
	MR, NR, KC, MC, NC int

	// Ready reports whether the CPU can run the kernels.
	Ready func() bool

	// Gemm holds the micro-kernels by row count: Gemm[r] (1 <= r <= MR)
	// computes a strip of r rows, see GemmArgs and gemmKernelGo. Unless
	// GemmTails, args.n is a multiple of NR (the drivers compute a
	// narrower last panel through a scratch tile). With LaneMasks (NR 16),
	// args.mask points at the lane masks of the last panel when n%NR != 0.
	Gemm      []func(args *GemmArgs)
	GemmTails bool
	LaneMasks bool

	ConvPack      func(args *ConvPackArgs) // convPackGo
	ConvTranspose func(args *ConvTrArgs)   // convTransposeGo
	WinoIn        func(args *WinoInArgs)   // winoInGo
	WinoOut       func(args *WinoOutArgs)  // winoOutGo

	// WinoLanes is the lane order of a Winograd group's 8 tiles in V and
	// M (lane l holds the group's tile WinoLanes[l]), which only WinoIn
	// and WinoOut see (the GEMMs between them do not care), so each
	// instruction set can take the order its loads deinterleave into; the
	// Go definitions follow it. All zero means winoLanePerm.
	WinoLanes [8]int

	// PaddedWindows: the window routines (DWS*, MaxS*, AvgS*) take
	// padded planes only: padT and padL 0, and every tap of every vector
	// of output columns (the last one rounded up to 8 columns) inside x.
	// The pool driver then copies each plane into a plane bordered with
	// the reduction's identity (the depthwise driver always does).
	PaddedWindows bool

	DWCopy  func(args *DWArgs)  // dwCopyGo
	DW3x3S1 func(args *DWArgs)  // dw3x3Go, stride 1
	DW3x3S2 func(args *DWArgs)  // dw3x3Go, stride 2
	DWS1    func(args *WinArgs) // dwWindowGo, stride 1
	DWS2    func(args *WinArgs) // dwWindowGo, stride 2
	MaxS1   func(args *WinArgs) // poolMaxGo, stride 1
	MaxS2   func(args *WinArgs) // poolMaxGo, stride 2
	AvgS1   func(args *WinArgs) // poolAvgGo, stride 1
	AvgS2   func(args *WinArgs) // poolAvgGo, stride 2

	Sum       func(x *float32, n int) float32        // sumGo
	LeakyRelu func(x *float32, n int, alpha float32) // leakyReluGo
	HardSwish func(x *float32, n int)                // hardSwishGo
	Sigmoid   func(x *float32, n int)                // sigmoidGo

	once sync.Once
}

// fill sets the routines the table leaves nil to their Go definitions.
func (g *ISA) fill() {
	g.once.Do(func() {
		if g.MR < 1 || g.MR > maxMR || g.NR < 8 || g.NR > maxNR || g.NR%8 != 0 || g.KC < 1 || g.MC%g.MR != 0 || g.NC%g.NR != 0 {
			panic(fmt.Sprintf("kern: ISA %q: bad tile %dx%d (kc %d, mc %d, nc %d)", g.Name, g.MR, g.NR, g.KC, g.MC, g.NC))
		}
		if g.Gemm == nil {
			mr, nr := g.MR, g.NR
			g.Gemm = make([]func(*GemmArgs), mr+1)
			for r := 1; r <= mr; r++ {
				g.Gemm[r] = func(a *GemmArgs) { gemmKernelGo(mr, nr, r, a) }
			}
			g.GemmTails = true
		}
		if len(g.Gemm) != g.MR+1 || (g.LaneMasks && g.NR != 16) {
			panic(fmt.Sprintf("kern: ISA %q: %d kernels for %d rows", g.Name, len(g.Gemm)-1, g.MR))
		}
		if g.ConvPack == nil {
			g.ConvPack = convPackGo
		}
		if g.ConvTranspose == nil {
			g.ConvTranspose = convTransposeGo
		}
		if g.WinoLanes == ([8]int{}) {
			g.WinoLanes = winoLanePerm
		}
		if !winoLanesOK(g.WinoLanes) {
			panic(fmt.Sprintf("kern: ISA %q: WinoLanes %v is not a permutation of 0..7", g.Name, g.WinoLanes))
		}
		if g.WinoIn == nil {
			g.WinoIn = func(a *WinoInArgs) { winoInGo(a, &g.WinoLanes) }
		}
		if g.WinoOut == nil {
			g.WinoOut = func(a *WinoOutArgs) { winoOutGo(a, &g.WinoLanes) }
		}
		if g.DWCopy == nil {
			g.DWCopy = dwCopyGo
		}
		if g.DW3x3S1 == nil {
			g.DW3x3S1 = func(a *DWArgs) { dw3x3Go(a, 1) }
		}
		if g.DW3x3S2 == nil {
			g.DW3x3S2 = func(a *DWArgs) { dw3x3Go(a, 2) }
		}
		for _, w := range []struct {
			f *func(*WinArgs)
			d func(*WinArgs, int)
			s int
		}{
			{&g.DWS1, dwWindowGo, 1}, {&g.DWS2, dwWindowGo, 2},
			{&g.MaxS1, poolMaxGo, 1}, {&g.MaxS2, poolMaxGo, 2},
			{&g.AvgS1, poolAvgGo, 1}, {&g.AvgS2, poolAvgGo, 2},
		} {
			if *w.f == nil {
				d, s := w.d, w.s
				*w.f = func(a *WinArgs) { d(a, s) }
			}
		}
		if g.Sum == nil {
			g.Sum = sumGo
		}
		if g.LeakyRelu == nil {
			g.LeakyRelu = leakyReluGo
		}
		if g.HardSwish == nil {
			g.HardSwish = hardSwishGo
		}
		if g.Sigmoid == nil {
			g.Sigmoid = sigmoidGo
		}
	})
}

// The largest tile an ISA may declare (the drivers' scratch tiles are
// sized for it).
const (
	maxMR = 16
	maxNR = 32
)

// Go is the ISA of Go code only: the reference the others are tested
// against, and what the exported SGEMM of an architecture package uses on
// a CPU without any of its tiers.
var Go = &ISA{Name: "go", MR: 4, NR: 16, KC: 256, MC: 144, NC: 512, Ready: func() bool { return true }}

// registered holds the ISAs passed to Register, by name.
var (
	regMu      sync.Mutex
	registered = map[string]*ISA{}
	opsTiers   []string // the ISAs with ops kernels, in registration order
)

// Register makes g's kernels available: it fills g's nil routines with
// their Go definitions and, when g.Ready() and opsKernels, registers with
// ops the kernels built on it (Gemm, MatMul, Conv, pools, the runtime's
// fused nodes) under the backend name g.Name at ops.PriorityArch. A tier
// the CPU runs but ONYX_CPU keeps out is registered with opsKernels false,
// so that tests still reach it (ISAs); one the CPU cannot run is only
// recorded, for tests that emulate it (declared). Register panics on a
// nil, unnamed or malformed ISA, or a name registered before.
func Register(g *ISA, opsKernels bool) {
	if g == nil || g.Name == "" || g.Ready == nil || g.Name == Go.Name {
		panic("kern: Register of a nil or unnamed ISA")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if registered[g.Name] != nil {
		panic(fmt.Sprintf("kern: ISA %q registered twice", g.Name))
	}
	g.fill()
	registered[g.Name] = g
	if opsKernels && g.Ready() {
		registerOps(g)
		opsTiers = append(opsTiers, g.Name)
	}
}

// declared returns the registered ISA of a name, whether or not the CPU
// can run it, or nil.
func declared(name string) *ISA {
	regMu.Lock()
	defer regMu.Unlock()
	return registered[name]
}

// ISAs returns the registered ISAs the CPU can run, by name.
func ISAs() []*ISA {
	regMu.Lock()
	defer regMu.Unlock()
	var out []*ISA
	for _, g := range registered {
		if g.Ready() {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *ISA) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}

func init() { Go.fill() }

// CPUAllows reports whether ONYX_CPU (a comma-separated list of tiers, as
// the runtime reads it) lets an architecture package use tier. Unset, it
// allows all.
func CPUAllows(tier string) bool {
	env := strings.TrimSpace(os.Getenv("ONYX_CPU"))
	if env == "" {
		return true
	}
	for _, t := range strings.Split(env, ",") {
		if strings.TrimSpace(t) == tier {
			return true
		}
	}
	return false
}

//go:build amd64

package kern

// An interpreter for the assembled AVX-512 kernels, so that machines
// without AVX-512 test them too: it reads objdump's Intel-syntax
// disassembly of this test binary and runs the kernels instruction by
// instruction (only the instructions they use, with Intel's semantics), on
// the real Go memory the driver hands them, restricted to the regions
// GemmArgs allows (any other access fails the test). The whole driver then
// runs over it, as it does over the real kernels.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

type emuKind int

const (
	emuGPR emuKind = iota + 1
	emuZMM
	emuKReg
	emuMem
	emuImm
	emuTarget
)

// emuArg is one operand: a register, a memory reference [base + index*scale
// + disp] with an optional mask, an immediate or a jump target.
type emuArg struct {
	kind         emuKind
	reg          int // GPR number, zmm number or k number
	bits         int // GPR or memory width
	base, index  int // GPR numbers, -1 for none
	scale        int
	disp         int64
	mask         int // k register masking a zmm or memory operand, 0 for none
	zero         bool
	imm          uint64
	text         string
	isCL, isByte bool
}

type emuInsn struct {
	addr uint64
	op   string
	args []emuArg
}

var emuGPRNames = map[string][2]int{}

func init() {
	for i, n := range []string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"} {
		emuGPRNames[n] = [2]int{i, 64}
		emuGPRNames["e"+n[1:]] = [2]int{i, 32}
	}
	for i := 8; i < 16; i++ {
		emuGPRNames[fmt.Sprint("r", i)] = [2]int{i, 64}
		emuGPRNames[fmt.Sprint("r", i, "d")] = [2]int{i, 32}
	}
	emuGPRNames["cl"] = [2]int{1, 8}
}

var (
	emuZmmRe  = regexp.MustCompile(`^zmm(\d+)(?:\{k(\d)\})?(\{z\})?$`)
	emuMemRe  = regexp.MustCompile(`^(?:(\w+) PTR )?\[([^\]]*)\](?:\{k(\d)\})?$`)
	emuTermRe = regexp.MustCompile(`[+-]?[^+-]+`)
	emuLineRe = regexp.MustCompile(`^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$`)
)

func emuParseArg(s string) (emuArg, error) {
	a := emuArg{text: s, base: -1, index: -1}
	if g, ok := emuGPRNames[s]; ok {
		a.kind, a.reg, a.bits = emuGPR, g[0], g[1]
		return a, nil
	}
	if m := emuZmmRe.FindStringSubmatch(s); m != nil {
		a.kind = emuZMM
		a.reg, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			a.mask, _ = strconv.Atoi(m[2])
		}
		a.zero = m[3] != ""
		return a, nil
	}
	if len(s) == 2 && s[0] == 'k' && s[1] >= '0' && s[1] <= '7' {
		a.kind, a.reg = emuKReg, int(s[1]-'0')
		return a, nil
	}
	if m := emuMemRe.FindStringSubmatch(s); m != nil {
		a.kind = emuMem
		a.bits = map[string]int{"QWORD": 64, "DWORD": 32, "ZMMWORD": 512, "": 0}[m[1]]
		if m[3] != "" {
			a.mask, _ = strconv.Atoi(m[3])
		}
		for _, term := range emuTermRe.FindAllString(m[2], -1) {
			neg := strings.HasPrefix(term, "-")
			term = strings.TrimLeft(term, "+-")
			if reg, sc, ok := strings.Cut(term, "*"); ok {
				a.index = emuGPRNames[reg][0]
				a.scale, _ = strconv.Atoi(sc)
				continue
			}
			if g, ok := emuGPRNames[term]; ok {
				a.base = g[0]
				continue
			}
			v, err := strconv.ParseInt(strings.TrimPrefix(term, "0x"), 16, 64)
			if err != nil {
				return a, fmt.Errorf("memory operand %q: %v", s, err)
			}
			if neg {
				v = -v
			}
			a.disp += v
		}
		return a, nil
	}
	if f := strings.Fields(s); strings.HasPrefix(s, "0x") && len(f) <= 2 {
		v, err := strconv.ParseUint(f[0][2:], 16, 64)
		a.kind, a.imm = emuImm, v
		return a, err
	}
	if f := strings.Fields(s); len(f) == 2 && strings.HasPrefix(f[1], "<") {
		v, err := strconv.ParseUint(f[0], 16, 64)
		a.kind, a.imm = emuTarget, v
		return a, err
	}
	return a, fmt.Errorf("operand %q not understood", s)
}

// emuSplitArgs splits operands at commas outside brackets.
func emuSplitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// emuLoad disassembles the AVX-512 kernels of this test binary (the Gemm
// of the avx512 ISA backends/amd64 declares) and returns them by row
// count (go test strips the symbol table, so emuLoad finds them through
// their Go func values). A kernel's Go func value is an ABI wrapper that calls
// the assembly; the assembly runs to its only RET.
func emuLoad(t *testing.T, emuKernels512 []func(*GemmArgs)) map[int][]emuInsn {
	exe, err := os.Executable()
	if err != nil {
		t.Skip("no executable path:", err)
	}
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump (binutils) is not installed")
	}
	// disasm parses the code at [from, from+size) up to its first RET;
	// strict fails on an operand it does not understand.
	disasm := func(from, size uintptr, strict bool) []emuInsn {
		out, err := exec.Command("objdump", "-d", "-M", "intel", "--no-show-raw-insn",
			fmt.Sprintf("--start-address=%#x", from), fmt.Sprintf("--stop-address=%#x", from+size), exe).Output()
		if err != nil {
			t.Skip("objdump failed:", err)
		}
		var code []emuInsn
		for _, line := range bytes.Split(out, []byte("\n")) {
			m := emuLineRe.FindStringSubmatch(string(line))
			if m == nil {
				continue
			}
			addr, _ := strconv.ParseUint(m[1], 16, 64)
			in := emuInsn{addr: addr, op: m[2]}
			for _, s := range emuSplitArgs(m[3]) {
				a, err := emuParseArg(s)
				if err != nil && strict {
					t.Fatalf("%s: %v", line, err)
				}
				in.args = append(in.args, a)
			}
			code = append(code, in)
			if in.op == "ret" {
				break
			}
		}
		return code
	}
	funcs := map[int][]emuInsn{}
	for r := 1; r < len(emuKernels512); r++ {
		name := fmt.Sprintf("gemmF32AVX512_%dx32", r)
		body := uintptr(0)
		for _, in := range disasm(reflect.ValueOf(emuKernels512[r]).Pointer(), 64, false) {
			if (in.op == "call" || in.op == "jmp") && len(in.args) == 1 {
				target := uintptr(in.args[0].imm)
				if f := runtime.FuncForPC(target); f != nil && strings.HasSuffix(f.Name(), "."+name) && f.Entry() == target {
					body = target
				}
			}
		}
		if body == 0 {
			t.Skipf("cannot find the assembly of %s behind its wrapper", name)
		}
		code := disasm(body, 1<<15, true)
		if len(code) == 0 || code[len(code)-1].op != "ret" {
			t.Fatalf("%s: no RET in the disassembly", name)
		}
		funcs[r] = code
	}
	return funcs
}

// emuRegion is memory the kernel may touch.
type emuRegion struct {
	name     string
	start    uintptr
	size     int
	base     unsafe.Pointer
	writable bool
}

type emuCPU struct {
	t       *testing.T
	gpr     [16]uint64
	zmm     [32][16]float32
	k       [8]uint64
	zf, sf  bool
	of      bool
	mxcsr   uint32
	regions []emuRegion
	err     error
}

func (c *emuCPU) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func (c *emuCPU) ea(a emuArg) uint64 {
	v := uint64(a.disp)
	if a.base >= 0 {
		v += c.gpr[a.base]
	}
	if a.index >= 0 {
		v += c.gpr[a.index] * uint64(a.scale)
	}
	return v
}

func (c *emuCPU) mem(addr uint64, n int, write bool) []byte {
	for _, r := range c.regions {
		if uintptr(addr) >= r.start && uintptr(addr)+uintptr(n) <= r.start+uintptr(r.size) {
			if write && !r.writable {
				c.fail("write of %d bytes at %#x into read-only %s", n, addr, r.name)
				return make([]byte, n)
			}
			return unsafe.Slice((*byte)(unsafe.Add(r.base, uintptr(addr)-r.start)), n)
		}
	}
	c.fail("access of %d bytes at %#x outside every region GemmArgs allows", n, addr)
	return make([]byte, n)
}

func (c *emuCPU) get(a emuArg, bits int) uint64 {
	switch a.kind {
	case emuGPR:
		return c.gpr[a.reg] & (1<<a.bits - 1)
	case emuImm:
		return a.imm
	case emuMem:
		b := c.mem(c.ea(a), bits/8, false)
		if bits == 64 {
			return binary.LittleEndian.Uint64(b)
		}
		return uint64(binary.LittleEndian.Uint32(b))
	}
	c.fail("bad source %q", a.text)
	return 0
}

func (c *emuCPU) set(a emuArg, v uint64, bits int) {
	if bits == 32 {
		v &= 0xffffffff
	}
	switch a.kind {
	case emuGPR:
		c.gpr[a.reg] = v // 32-bit writes zero the upper half
	case emuMem:
		b := c.mem(c.ea(a), bits/8, true)
		if bits == 64 {
			binary.LittleEndian.PutUint64(b, v)
		} else {
			binary.LittleEndian.PutUint32(b, uint32(v))
		}
	default:
		c.fail("bad destination %q", a.text)
	}
}

func (c *emuCPU) width(a, b emuArg) int {
	for _, x := range []emuArg{a, b} {
		if (x.kind == emuGPR || x.kind == emuMem) && x.bits > 0 && x.bits <= 64 {
			return x.bits
		}
	}
	return 64
}

func (c *emuCPU) setFlags(res uint64, bits int, a, b uint64, sub bool) {
	mask := uint64(1<<bits - 1)
	if bits == 64 {
		mask = math.MaxUint64
	}
	res &= mask
	c.zf = res == 0
	c.sf = res>>(bits-1)&1 != 0
	c.of = false
	if sub {
		sa, sb := a>>(bits-1)&1, b>>(bits-1)&1
		c.of = sa != sb && c.sf != (sa != 0)
	}
}

func (c *emuCPU) loadVec(a emuArg) [16]float32 {
	var v [16]float32
	b := c.mem(c.ea(a), 64, false)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// run executes code from its first instruction until its RET.
func (c *emuCPU) run(code []emuInsn, retAddr uint64) {
	idx := map[uint64]int{}
	for i, in := range code {
		idx[in.addr] = i
	}
	for pc, steps := 0, 0; c.err == nil; steps++ {
		if pc >= len(code) || steps > 1<<26 {
			c.fail("ran off the kernel")
			return
		}
		in := code[pc]
		a := in.args
		pc++
		switch in.op {
		case "push":
			c.gpr[4] -= 8
			binary.LittleEndian.PutUint64(c.mem(c.gpr[4], 8, true), c.gpr[a[0].reg])
		case "pop":
			c.gpr[a[0].reg] = binary.LittleEndian.Uint64(c.mem(c.gpr[4], 8, false))
			c.gpr[4] += 8
		case "ret":
			if r := binary.LittleEndian.Uint64(c.mem(c.gpr[4], 8, false)); r != retAddr {
				c.fail("return to %#x", r)
			}
			c.gpr[4] += 8
			return
		case "mov":
			w := c.width(a[0], a[1])
			c.set(a[0], c.get(a[1], w), w)
		case "add", "sub", "or", "shl", "shr":
			w := c.width(a[0], a[0])
			x, y := c.get(a[0], w), c.get(a[1], w)
			var r uint64
			switch in.op {
			case "add":
				r = x + y
			case "sub":
				r = x - y
			case "or":
				r = x | y
			case "shl":
				r = x << (y & uint64(w-1))
			case "shr":
				r = x >> (y & uint64(w-1))
			}
			c.setFlags(r, w, x, y, in.op == "sub")
			c.set(a[0], r, w)
		case "dec":
			w := c.width(a[0], a[0])
			x := c.get(a[0], w)
			c.setFlags(x-1, w, x, 1, true)
			c.set(a[0], x-1, w)
		case "cmp":
			w := c.width(a[0], a[1])
			x, y := c.get(a[0], w), c.get(a[1], w)
			c.setFlags(x-y, w, x, y, true)
		case "test":
			w := c.width(a[0], a[1])
			c.setFlags(c.get(a[0], w)&c.get(a[1], w), w, 0, 0, false)
		case "jl", "jge", "jg", "je", "jne", "jmp":
			take := map[string]bool{"jl": c.sf != c.of, "jge": c.sf == c.of, "jg": !c.zf && c.sf == c.of,
				"je": c.zf, "jne": !c.zf, "jmp": true}[in.op]
			if take {
				i, ok := idx[a[0].imm]
				if !ok {
					c.fail("jump out of the kernel to %#x", a[0].imm)
					return
				}
				pc = i
			}
		case "stmxcsr":
			binary.LittleEndian.PutUint32(c.mem(c.ea(a[0]), 4, true), c.mxcsr)
		case "ldmxcsr":
			c.mxcsr = binary.LittleEndian.Uint32(c.mem(c.ea(a[0]), 4, false))
		case "kmovw":
			c.k[a[0].reg] = c.get(a[1], 32) & 0xffff
		case "vzeroupper":
		case "vpxord":
			x, y := c.zmm[a[1].reg], c.zmm[a[2].reg]
			for i := range x {
				x[i] = math.Float32frombits(math.Float32bits(x[i]) ^ math.Float32bits(y[i]))
			}
			c.zmm[a[0].reg] = x
		case "vbroadcastss":
			v := math.Float32frombits(binary.LittleEndian.Uint32(c.mem(c.ea(a[1]), 4, false)))
			for i := range c.zmm[a[0].reg] {
				c.zmm[a[0].reg][i] = v
			}
		case "vmovups":
			if a[0].kind == emuZMM { // load
				mask := uint64(0xffff)
				if a[0].mask != 0 {
					mask = c.k[a[0].mask]
					if !a[0].zero {
						c.fail("merge-masked load")
					}
				}
				var v [16]float32
				for i := range v {
					if mask>>i&1 != 0 {
						v[i] = math.Float32frombits(binary.LittleEndian.Uint32(c.mem(c.ea(a[1])+uint64(4*i), 4, false)))
					}
				}
				c.zmm[a[0].reg] = v
				break
			}
			mask := uint64(0xffff)
			if a[0].mask != 0 {
				mask = c.k[a[0].mask]
			}
			src := c.zmm[a[1].reg]
			for i, v := range src {
				if mask>>i&1 != 0 {
					binary.LittleEndian.PutUint32(c.mem(c.ea(a[0])+uint64(4*i), 4, true), math.Float32bits(v))
				}
			}
		case "vfmadd231ps":
			d, x, y := &c.zmm[a[0].reg], c.zmm[a[1].reg], c.zmm[a[2].reg]
			for i := range d {
				d[i] = float32(math.FMA(float64(x[i]), float64(y[i]), float64(d[i])))
			}
		case "vmulps", "vaddps", "vmaxps", "vminps":
			x, y := c.zmm[a[1].reg], c.zmm[a[2].reg]
			if a[2].kind == emuMem {
				y = c.loadVec(a[2])
			}
			var r [16]float32
			for i := range r {
				switch in.op {
				case "vmulps":
					r[i] = x[i] * y[i]
				case "vaddps":
					r[i] = x[i] + y[i]
				case "vmaxps": // NaN in either: the second source
					if r[i] = y[i]; x[i] > y[i] {
						r[i] = x[i]
					}
				case "vminps":
					if r[i] = y[i]; x[i] < y[i] {
						r[i] = x[i]
					}
				}
			}
			c.zmm[a[0].reg] = r
		default:
			c.fail("instruction %s %v not emulated", in.op, a)
		}
	}
}

// emuKernel returns a kernel function that interprets funcs[r] on the
// memory regions GemmArgs allows for a strip of r rows.
func emuKernel(t *testing.T, funcs map[int][]emuInsn, r int) func(p *GemmArgs) {
	const mr, nr = 12, 32
	return func(p *GemmArgs) {
		t.Helper()
		var stack [8]uint64
		c := &emuCPU{t: t, mxcsr: 0x1f80}
		add := func(name string, ptr unsafe.Pointer, size int, writable bool) {
			if ptr != nil && size > 0 {
				c.regions = append(c.regions, emuRegion{name, uintptr(ptr), size, ptr, writable})
			}
		}
		add("args", unsafe.Pointer(p), int(unsafe.Sizeof(*p)), false)
		add("stack", unsafe.Pointer(&stack[0]), len(stack)*8, true)
		if p.k > 0 {
			np := (p.n + nr - 1) / nr
			add("A", unsafe.Pointer(p.a), p.k*mr*4, false)
			add("B", unsafe.Pointer(p.b), (np-1)*p.bPanel+(p.k-1)*p.bRow+nr*4, false)
		}
		add("C", unsafe.Pointer(p.c), (r-1)*p.ldc+p.n*4, true)
		if p.flags&gemmFlagRowBias != 0 {
			add("rowBias", unsafe.Pointer(p.rowBias), r*4, false)
		}
		if p.flags&gemmFlagColBias != 0 {
			add("colBias", unsafe.Pointer(p.colBias), p.n*4, false)
		}
		if p.flags&gemmFlagRes != 0 {
			add("res", unsafe.Pointer(p.res), (r-1)*p.ldRes+p.n*4, false)
		}
		const ret = 0xdeadbeef
		stack[4], stack[5] = ret, uint64(uintptr(unsafe.Pointer(p)))
		c.gpr[4] = uint64(uintptr(unsafe.Pointer(&stack[4])))
		c.run(funcs[r], ret)
		if c.err == nil && c.mxcsr != 0x1f80 {
			c.fail("MXCSR %#x on return, want 0x1f80", c.mxcsr)
		}
		if c.err == nil && c.gpr[4] != uint64(uintptr(unsafe.Pointer(&stack[5]))) {
			c.fail("stack pointer not restored")
		}
		if c.err != nil {
			t.Fatalf("AVX-512 kernel %dx32, k=%d n=%d flags=%d: %v", r, p.k, p.n, p.flags, c.err)
		}
	}
}

var (
	emuOnce  sync.Once
	emuFuncs map[int][]emuInsn
	emuSkip  string
)

// emuImpl512 returns the avx512 implementation with its kernels emulated,
// or nil (the reason in emuSkip) on a CPU with AVX-512 (the tests run the
// real kernels there), with -short, or without objdump.
func emuImpl512(t *testing.T) *ISA {
	real := declared("avx512")
	switch {
	case real == nil:
		emuSkip = "no avx512 ISA declared (not amd64, or -tags noasm)"
		return nil
	case real.Ready():
		emuSkip = "this CPU runs the AVX-512 kernels itself"
		return nil
	case testing.Short():
		emuSkip = "-short"
		return nil
	}
	emuOnce.Do(func() {
		ok := false
		t.Run("load-avx512-kernels", func(t *testing.T) {
			emuFuncs = emuLoad(t, real.Gemm)
			ok = !t.Skipped()
		})
		if !ok {
			emuFuncs, emuSkip = nil, "cannot disassemble the AVX-512 kernels (see load-avx512-kernels)"
		}
	})
	if emuFuncs == nil {
		return nil
	}
	g := &ISA{Name: "avx512-emulated", MR: real.MR, NR: real.NR, KC: real.KC, MC: real.MC, NC: real.NC,
		Ready: func() bool { return true }, Gemm: make([]func(*GemmArgs), real.MR+1), GemmTails: true}
	for r := 1; r <= real.MR; r++ {
		g.Gemm[r] = emuKernel(t, emuFuncs, r)
	}
	g.fill()
	return g
}

// TestGemmAVX512Emulated runs the driver over the emulated AVX-512 kernels
// on machines that cannot run them (where they can, the other tests run
// them for real).
func TestGemmAVX512Emulated(t *testing.T) {
	g := emuImpl512(t)
	if g == nil {
		t.Skip(emuSkip)
	}
	r := rand.New(rand.NewPCG(9, 10))
	plain := Epilogue{Alpha: 1}
	for d := 1; d <= 67; d++ {
		gemmRun(t, r, g, gemmCase{m: d, n: 1 + r.IntN(40), k: r.IntN(12), ep: plain})
		gemmRun(t, r, g, gemmCase{m: 1 + r.IntN(14), n: d, k: r.IntN(12), ep: plain})
		gemmRun(t, r, g, gemmCase{m: 1 + r.IntN(14), n: 1 + r.IntN(40), k: d - 1, ep: plain})
	}
	for m := 1; m <= g.MR+1; m++ {
		for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 64, 65} {
			gemmRun(t, r, g, gemmCase{m: m, n: n, k: 1 + (m+n)%6, ep: plain})
		}
	}
	some := []float32{1}
	for _, ep := range []Epilogue{
		{Alpha: -2, Beta: 0.5}, {Alpha: 1, RowBias: some}, {Alpha: 1, ColBias: some}, {Alpha: 1, Residual: some},
		{Alpha: 1, Act: ActRelu}, {Alpha: 1, Act: ActClip, Min: -0.25, Max: 0.5},
		{Alpha: 1.5, Beta: 0.5, RowBias: some, ColBias: some, Residual: some, Act: ActClip, Min: 0, Max: 6},
	} {
		for _, s := range [][3]int{{1, 1, 0}, {5, 7, 1}, {12, 32, 8}, {13, 33, 5}, {23, 95, 33}} {
			gemmRun(t, r, g, gemmCase{m: s[0], n: s[1], k: s[2], ep: ep})
		}
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			gemmRun(t, r, g, gemmCase{m: 13, n: 45, k: 9, transA: ta, transB: tb, ep: plain})
		}
	}
	gemmRun(t, r, g, gemmCase{m: g.MC + 5, n: 70, k: g.KC + 7, ep: Epilogue{Alpha: 1, Beta: 1, Act: ActRelu}})
	gemmRun(t, r, g, gemmCase{m: 3, n: g.NC + 40, k: 5, ep: plain})
}

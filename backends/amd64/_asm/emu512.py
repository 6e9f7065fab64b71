#!/usr/bin/env python3
"""Check the AVX-512 SGEMM kernels on a machine without AVX-512.

It interprets the assembled kernels (objdump's Intel-syntax disassembly of a
test binary) on random problems, every row count, column tails, depth
remainders and epilogue flag, with NaN guards around every output and
input, and compares with a float64 reference of gemmArgs' definition. Only
the instructions the kernels use are implemented, with Intel semantics (dst
first), so it also checks the Go assembler's operand order.

	cd backends/amd64
	CGO_ENABLED=0 go test -c -o /tmp/amd64.test .
	objdump -d -M intel --no-show-raw-insn /tmp/amd64.test |
		awk '/<.*gemmF32AVX512_[0-9]+x32.abi0>:/{p=1} /^$/{p=0} p' >/tmp/avx512.dis
	python3 _asm/emu512.py /tmp/avx512.dis   # needs numpy; ends with "N passed, M failed"
"""
import re, struct, sys
import numpy as np

dis = open(sys.argv[1]).read().splitlines()
funcs = {}
cur = None
for line in dis:
    m = re.match(r'^([0-9a-f]+) <.*\.(gemmF32AVX512_(\d+)x32)\.abi0>:', line)
    if m:
        cur = int(m.group(3)); funcs[cur] = []
        continue
    m = re.match(r'^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$', line)
    if m and cur is not None:
        funcs[cur].append((int(m.group(1), 16), m.group(2), m.group(3).strip()))

MEMSIZE = 1 << 24
BASE = 0x1000000
class Mem:
    def __init__(s): s.b = bytearray(MEMSIZE)
    def off(s, a, n):
        o = a - BASE
        if o < 0 or o + n > MEMSIZE: raise Exception("bad address %#x" % a)
        return o
    def rd(s, a, n): o = s.off(a, n); return bytes(s.b[o:o+n])
    def wr(s, a, data): o = s.off(a, len(data)); s.b[o:o+len(data)] = data

GPR64 = ['rax','rbx','rcx','rdx','rsi','rdi','rbp','rsp'] + ['r%d' % i for i in range(8, 16)]
GPR32 = {'eax':'rax','ebx':'rbx','ecx':'rcx','edx':'rdx','esi':'rsi','edi':'rdi','ebp':'rbp','esp':'rsp'}
for i in range(8, 16): GPR32['r%dd' % i] = 'r%d' % i

class CPU:
    def __init__(s, mem):
        s.mem = mem
        s.r = {g: 0 for g in GPR64}
        s.z = [np.zeros(16, np.float32) for _ in range(32)]
        s.k = [0] * 8
        s.zf = s.sf = s.of = 0
        s.mxcsr = 0x1f80
        s.count = {}

    def ea(s, op):
        m = re.match(r'^(?:\w+ PTR )?\[(.*)\]', op)
        e = m.group(1)
        tot = 0
        for term in re.findall(r'[+-]?[^+-]+', e):
            sign = -1 if term.startswith('-') else 1
            t = term.lstrip('+-')
            if '*' in t:
                reg, sc = t.split('*'); tot += sign * s.r[reg] * int(sc)
            elif t in s.r: tot += sign * s.r[t]
            else: tot += sign * int(t, 16)
        return tot

    def getint(s, op, bits):
        if op in s.r: return s.r[op] & ((1 << bits) - 1)
        if op in GPR32: return s.r[GPR32[op]] & 0xffffffff
        if op == 'cl': return s.r['rcx'] & 0xff
        if 'PTR' in op:
            n = bits // 8
            return int.from_bytes(s.mem.rd(s.ea(op), n), 'little')
        return int(op, 16) & ((1 << bits) - 1)

    def setint(s, op, v, bits):
        v &= (1 << bits) - 1
        if op in s.r: s.r[op] = v
        elif op in GPR32: s.r[GPR32[op]] = v  # 32-bit writes zero-extend
        elif 'PTR' in op: s.mem.wr(s.ea(op), v.to_bytes(bits // 8, 'little'))
        else: raise Exception("bad dst " + op)

    def bits(s, op):
        if op in s.r: return 64
        if op in GPR32: return 32
        if op.startswith('QWORD'): return 64
        if op.startswith('DWORD'): return 32
        return None

    def flags(s, res, bits, a=None, b=None, sub=False):
        mask = (1 << bits) - 1
        res &= mask
        s.zf = int(res == 0)
        s.sf = (res >> (bits - 1)) & 1
        s.of = 0
        if sub:
            sa, sb, sr = (a >> (bits-1)) & 1, (b >> (bits-1)) & 1, s.sf
            s.of = int(sa != sb and sr != sa)

    def zreg(s, op):
        m = re.match(r'^zmm(\d+)$', op); return int(m.group(1)) if m else None

    def run(s, code, ret_addr):
        idx = {a: i for i, (a, _, _) in enumerate(code)}
        pc = 0
        while True:
            addr, mn, ops = code[pc]
            s.count[mn] = s.count.get(mn, 0) + 1
            args = [o.strip() for o in re.split(r',(?![^\[]*\])', ops)] if ops else []
            nxt = pc + 1
            if mn == 'push':
                s.r['rsp'] -= 8; s.mem.wr(s.r['rsp'], s.r[args[0]].to_bytes(8, 'little'))
            elif mn == 'pop':
                s.r[args[0]] = int.from_bytes(s.mem.rd(s.r['rsp'], 8), 'little'); s.r['rsp'] += 8
            elif mn == 'ret':
                a = int.from_bytes(s.mem.rd(s.r['rsp'], 8), 'little'); s.r['rsp'] += 8
                assert a == ret_addr, "bad return address"
                return
            elif mn == 'mov':
                b = s.bits(args[0]) or s.bits(args[1])
                s.setint(args[0], s.getint(args[1], b), b)
            elif mn in ('add', 'sub', 'or', 'shr', 'shl', 'and'):
                b = s.bits(args[0])
                a, c = s.getint(args[0], b), s.getint(args[1], b if mn not in ('shr', 'shl') else 8)
                res = {'add': a + c, 'sub': a - c, 'or': a | c, 'and': a & c,
                       'shr': a >> (c & 31 if b == 32 else c & 63), 'shl': a << (c & 31 if b == 32 else c & 63)}[mn]
                s.flags(res, b, a, c, sub=(mn == 'sub'))
                s.setint(args[0], res, b)
            elif mn == 'dec':
                b = s.bits(args[0]); a = s.getint(args[0], b)
                s.flags(a - 1, b, a, 1, sub=True); s.setint(args[0], a - 1, b)
            elif mn == 'cmp':
                b = s.bits(args[0]); a, c = s.getint(args[0], b), s.getint(args[1], b)
                s.flags(a - c, b, a, c, sub=True)
            elif mn == 'test':
                b = s.bits(args[0]); s.flags(s.getint(args[0], b) & s.getint(args[1], b), b)
            elif mn in ('jl', 'jge', 'jg', 'je', 'jne', 'jmp'):
                tgt = int(args[0].split()[0], 16)
                take = {'jl': s.sf != s.of, 'jge': s.sf == s.of, 'jg': s.zf == 0 and s.sf == s.of,
                        'je': s.zf == 1, 'jne': s.zf == 0, 'jmp': True}[mn]
                if take: nxt = idx[tgt]
            elif mn == 'stmxcsr':
                s.mem.wr(s.ea(args[0]), s.mxcsr.to_bytes(4, 'little'))
            elif mn == 'ldmxcsr':
                s.mxcsr = int.from_bytes(s.mem.rd(s.ea(args[0]), 4), 'little')
            elif mn == 'kmovw':
                k = int(args[0][1]); s.k[k] = s.getint(args[1], 32) & 0xffff
            elif mn == 'vzeroupper':
                pass
            elif mn == 'vpxord':
                d, a, b = map(s.zreg, args)
                s.z[d] = (s.z[a].view(np.uint32) ^ s.z[b].view(np.uint32)).view(np.float32).copy()
            elif mn == 'vbroadcastss':
                d = s.zreg(args[0])
                v = np.frombuffer(s.mem.rd(s.ea(args[1]), 4), np.float32)[0]
                s.z[d] = np.full(16, v, np.float32)
            elif mn == 'vmovups':
                m = re.match(r'^zmm(\d+)(?:\{k(\d)\})?(\{z\})?$', args[0])
                if m:  # load
                    d = int(m.group(1)); k = m.group(2); zero = m.group(3)
                    mask = s.k[int(k)] if k else 0xffff
                    addr = s.ea(args[1])
                    new = s.z[d].copy() if not zero else np.zeros(16, np.float32)
                    assert k is None or zero, "merge-masked load not expected"
                    for i in range(16):
                        if mask >> i & 1:
                            new[i] = np.frombuffer(s.mem.rd(addr + 4*i, 4), np.float32)[0]
                    s.z[d] = new
                else:  # store
                    m = re.match(r'^(ZMMWORD PTR \[[^\]]*\])(?:\{k(\d)\})?$', args[0])
                    addr = s.ea(m.group(1)); k = m.group(2)
                    mask = s.k[int(k)] if k else 0xffff
                    src = s.z[s.zreg(args[1])]
                    for i in range(16):
                        if mask >> i & 1:
                            s.mem.wr(addr + 4*i, src[i:i+1].tobytes())
            elif mn == 'vfmadd231ps':
                d, a, b = map(s.zreg, args)
                s.z[d] = (s.z[a].astype(np.float64) * s.z[b].astype(np.float64) + s.z[d].astype(np.float64)).astype(np.float32)
            elif mn in ('vmulps', 'vaddps', 'vmaxps', 'vminps'):
                d, a, b = map(s.zreg, args)
                x, y = s.z[a], s.z[b]
                with np.errstate(all='ignore'):
                    if mn == 'vmulps': r = x * y
                    elif mn == 'vaddps': r = x + y
                    elif mn == 'vmaxps': r = np.where(x > y, x, y)  # NaN in either -> y (src2)
                    else: r = np.where(x < y, x, y)
                s.z[d] = r.astype(np.float32)
            else:
                raise Exception("unimplemented %s %s" % (mn, ops))
            pc = nxt

FLAG_C, FLAG_ROWBIAS, FLAG_COLBIAS, FLAG_RES, FLAG_CLAMP = 1, 2, 4, 8, 16

def run_case(rng, r, n, k, flags, mem_cpu=None):
    MR, NR = 12, 32
    mem = Mem()
    cpu = CPU(mem)
    heap = [BASE + 0x1000]
    def alloc(nbytes):
        a = (heap[0] + 63) // 64 * 64; heap[0] = a + nbytes + 256; return a
    np_ = (n + NR - 1) // NR
    A = rng.uniform(-1, 1, (k, MR)).astype(np.float32)
    Bp = rng.uniform(-1, 1, (np_, k, NR)).astype(np.float32)
    # zero the padding columns of the last panel
    if n % NR: Bp[-1, :, n % NR:] = 0
    ldc = n + 3
    GUARD = 40
    Cfull = np.full(GUARD + r * ldc + GUARD, np.nan, np.float32)
    C0 = rng.uniform(-1, 1, (r, n)).astype(np.float32)
    for i in range(r): Cfull[GUARD + i*ldc: GUARD + i*ldc + n] = C0[i]
    rowb = rng.uniform(-1, 1, r).astype(np.float32)
    colb = rng.uniform(-1, 1, n).astype(np.float32)
    ldr = n + 1
    R = rng.uniform(-1, 1, (r, ldr)).astype(np.float32)
    alpha, beta, lo, hi = np.float32(1.5), np.float32(-0.5), np.float32(-0.3), np.float32(0.4)
    aA = alloc(max(A.nbytes, 4)); mem.wr(aA, A.tobytes())
    aB = alloc(max(Bp.nbytes, 4)); mem.wr(aB, Bp.tobytes())
    aC = alloc(Cfull.nbytes); mem.wr(aC, Cfull.tobytes())
    # guard the bias and residual arrays too: NaN around them
    def guarded(x):
        g = np.full(x.size + 32, np.nan, np.float32); g[16:16+x.size] = x.ravel()
        a = alloc(g.nbytes); mem.wr(a, g.tobytes()); return a + 64
    aRow, aCol, aRes = guarded(rowb), guarded(colb), guarded(R)
    args = struct.pack('<QQQqqqqqqQQQqQffff', aA, aB, aC + 4*GUARD, k, n, k*NR*4, NR*4, ldc*4, flags,
                       aRow, aCol, aRes, ldr*4, 0, alpha, beta, lo, hi)
    aArgs = alloc(len(args)); mem.wr(aArgs, args)
    stack = BASE + MEMSIZE - 4096
    RET = 0xdeadbeef
    mem.wr(stack + 8, aArgs.to_bytes(8, 'little'))
    mem.wr(stack, RET.to_bytes(8, 'little'))
    cpu.r['rsp'] = stack
    cpu.run(funcs[r], RET)
    assert cpu.r['rsp'] == stack + 8
    assert cpu.mxcsr == 0x1f80 | 0x8040 or True
    out = np.frombuffer(mem.rd(aC, Cfull.nbytes), np.float32)
    # reference
    Bfull = np.concatenate([Bp[j] for j in range(np_)], axis=1)[:, :n] if np_ else np.zeros((k, 0))
    S = A[:, :r].T.astype(np.float64) @ Bfull.astype(np.float64)
    V = float(alpha) * S
    if flags & FLAG_C: V += float(beta) * C0
    if flags & FLAG_ROWBIAS: V += rowb[:, None]
    if flags & FLAG_COLBIAS: V += colb[None, :]
    if flags & FLAG_RES: V += R[:, :n]
    if flags & FLAG_CLAMP: V = np.minimum(np.maximum(V, float(lo)), float(hi))
    for idx in range(out.size):
        pos = idx - GUARD
        i, j = divmod(pos, ldc)
        inside = 0 <= pos < r * ldc and j < n
        if not inside:
            if not np.isnan(out[idx]):
                return "r=%d n=%d k=%d flags=%d: wrote %g outside C at %d" % (r, n, k, flags, out[idx], pos)
            continue
        if abs(out[idx] - V[i, j]) > 1e-5 * (1 + abs(V[i, j])) * max(1, k / 8):
            return "r=%d n=%d k=%d flags=%d: C[%d][%d]=%g want %g" % (r, n, k, flags, i, j, out[idx], V[i, j])
    if cpu.mxcsr != 0x1f80:
        return "MXCSR not restored: %#x" % cpu.mxcsr
    return None

rng = np.random.default_rng(1)
fails = 0
cases = 0
for r in range(1, 13):
    for n in [1, 5, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65]:
        for k in [0, 1, 3, 4, 5, 9]:
            flags = int(rng.integers(0, 32))
            err = run_case(rng, r, n, k, flags)
            cases += 1
            if err:
                fails += 1
                if fails < 10: print("FAIL", err)
# every epilogue flag alone and all together on full tiles
for flags in [0, 1, 2, 4, 8, 16, 31]:
    for r in (1, 7, 12):
        err = run_case(rng, r, 45, 6, flags); cases += 1
        if err:
            fails += 1; print("FAIL", err)
print("%d passed, %d failed" % (cases - fails, fails))

package generic

// Kernels of the signal-processing operators: DFT, STFT, the Hann, Hamming
// and Blackman windows, and MelWeightMatrix.
//
// Transforms compute in complex128 whatever the tensor type: an iterative
// radix-2 FFT for power-of-two lengths, the direct sum for other lengths
// up to sigDirectMax, and Bluestein's chirp-z algorithm (a power-of-two
// circular convolution) above. Twiddle angles are reduced exactly in
// integers before the sine and cosine, so long transforms lose no accuracy
// to large arguments.

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("DFT", sigNewDFT)
	register("STFT", sigNewSTFT)
	register("HannWindow", sigNewWindow)
	register("HammingWindow", sigNewWindow)
	register("BlackmanWindow", sigNewWindow)
	register("MelWeightMatrix", sigNewMel)
}

// sigDirectMax is the largest non-power-of-two length transformed by the
// direct O(n^2) sum; longer ones use Bluestein's algorithm.
const sigDirectMax = 64

// sigPlan transforms sequences of one length n. It holds scratch space, so
// one plan serves one goroutine (each Run makes its own).
type sigPlan struct {
	n  int
	tw []complex128 // radix-2: e^{-2 pi i k/m}, k < m/2, m = len(work)
	// direct sum: e^{-2 pi i k/n}, k < n
	table []complex128
	// Bluestein: chirp[k] = e^{-pi i k^2/n}; filter is the FFT of the
	// conjugate chirp arranged circularly over m points.
	chirp, filter []complex128
	work          []complex128
}

// sigTwiddle returns e^{-2 pi i num/den} for 0 <= num < den.
func sigTwiddle(num, den int) complex128 {
	s, c := math.Sincos(-2 * math.Pi * float64(num) / float64(den))
	return complex(c, s)
}

// sigNewPlan makes a plan for length n >= 1.
func sigNewPlan(n int) *sigPlan {
	p := &sigPlan{n: n}
	switch {
	case n&(n-1) == 0:
		p.work = make([]complex128, n)
		p.tw = sigRadix2Twiddles(n)
	case n <= sigDirectMax:
		p.table = make([]complex128, n)
		for k := range p.table {
			p.table[k] = sigTwiddle(k, n)
		}
		p.work = make([]complex128, n)
	default:
		m := 1 << bits.Len(uint(2*n-2)) // >= 2n-1
		p.tw = sigRadix2Twiddles(m)
		p.chirp = make([]complex128, n)
		for k := range p.chirp {
			// e^{-pi i k^2/n} = e^{-2 pi i (k^2 mod 2n) / 2n}
			p.chirp[k] = sigTwiddle(int(sigSquareMod(uint64(k), uint64(2*n))), 2*n)
		}
		p.filter = make([]complex128, m)
		p.filter[0] = sigConj(p.chirp[0])
		for k := 1; k < n; k++ {
			c := sigConj(p.chirp[k])
			p.filter[k], p.filter[m-k] = c, c
		}
		sigFFT2(p.filter, p.tw)
		p.work = make([]complex128, m)
	}
	return p
}

// sigSquareMod returns k*k mod m (m > 0) without overflow.
func sigSquareMod(k, m uint64) uint64 {
	hi, lo := bits.Mul64(k, k)
	_, r := bits.Div64(hi%m, lo, m)
	return r
}

func sigConj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// sigRadix2Twiddles returns e^{-2 pi i k/m} for k < m/2.
func sigRadix2Twiddles(m int) []complex128 {
	tw := make([]complex128, m/2)
	for k := range tw {
		tw[k] = sigTwiddle(k, m)
	}
	return tw
}

// sigFFT2 transforms a (length m, a power of two) in place:
// a[k] = sum_j a[j] e^{-2 pi i jk/m}. tw holds sigRadix2Twiddles(m).
func sigFFT2(a []complex128, tw []complex128) {
	m := len(a)
	if m <= 1 {
		return
	}
	shift := 64 - bits.Len(uint(m-1))
	for i := range a {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= m; size <<= 1 {
		half, step := size/2, m/size
		for start := 0; start < m; start += size {
			lo := a[start : start+half]
			hi := a[start+half : start+size]
			for k := range lo {
				t := tw[k*step] * hi[k]
				hi[k] = lo[k] - t
				lo[k] += t
			}
		}
	}
}

// forward transforms x (length p.n) in place: X[k] = sum_j x[j] e^{-2 pi i jk/n}.
func (p *sigPlan) forward(x []complex128) {
	n := p.n
	switch {
	case p.table != nil:
		w := p.work
		for k := range n {
			var s complex128
			idx := 0
			for _, v := range x {
				s += v * p.table[idx]
				if idx += k; idx >= n {
					idx -= n
				}
			}
			w[k] = s
		}
		copy(x, w)
	case p.chirp == nil:
		sigFFT2(x, p.tw)
	default:
		w := p.work
		m := len(w)
		for k, v := range x {
			w[k] = v * p.chirp[k]
		}
		clear(w[n:])
		sigFFT2(w, p.tw)
		for k := range w {
			w[k] = sigConj(w[k] * p.filter[k]) // inverse FFT by conjugation
		}
		sigFFT2(w, p.tw)
		inv := 1 / float64(m)
		for k := range x {
			x[k] = sigConj(w[k]) * complex(inv, 0) * p.chirp[k]
		}
	}
}

// inverse transforms x in place: x[j] = 1/n sum_k X[k] e^{2 pi i jk/n}.
func (p *sigPlan) inverse(x []complex128) {
	for i, v := range x {
		x[i] = sigConj(v)
	}
	p.forward(x)
	inv := 1 / float64(p.n)
	for i, v := range x {
		x[i] = complex(real(v)*inv, -imag(v)*inv)
	}
}

// sigDFTKernel is DFT; it keeps the node to read its attributes.
type sigDFTKernel struct{ node *ops.Node }

func sigNewDFT(n *ops.Node) (ops.Kernel, error) {
	switch n.In[0].DType {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		return &sigDFTKernel{node: n}, nil
	}
	return nil, nil
}

// Run implements ops.Kernel.
func (k *sigDFTKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	var axisT *tensor.Tensor
	if k.node.Opset >= 20 {
		axisT = qntOptional(in, 2)
	}
	xs := x.Shape()
	p, err := ops.DFTParamsOf(k.node, xs, qntOptional(in, 1), axisT)
	if err != nil {
		return err
	}
	y, err := nnOut(out, 0, x.DType(), p.OutShape(xs))
	if err != nil || y.Len() == 0 {
		return err // nothing to transform: make no plan for dft_length
	}
	xd, err := x.Float64s()
	if err != nil {
		return ops.Errorf("DFT input: %v", err)
	}
	r := len(xs)
	outer, L, inner, c := nnNumel(xs[:p.Axis]), xs[p.Axis], nnNumel(xs[p.Axis+1:r-1]), xs[r-1]
	cout := 2
	if p.RealOut {
		cout = 1
	}
	yd := make([]float64, y.Len())
	plan := sigNewPlan(p.Length)
	buf := make([]complex128, p.Length)
	N := p.Length
	for o := range outer {
		if err := nnCtxErr(ec); err != nil {
			return err
		}
		for i := range inner {
			clear(buf)
			at := func(t int) complex128 {
				j := ((o*L+t)*inner + i) * c
				if c == 2 {
					return complex(xd[j], xd[j+1])
				}
				return complex(xd[j], 0)
			}
			if p.RealOut {
				// Rebuild the full spectrum from its first half.
				for t := 0; t <= N/2 && t < L; t++ {
					buf[t] = at(t)
				}
				for t := N/2 + 1; t < N; t++ {
					buf[t] = sigConj(buf[N-t])
				}
			} else {
				for t := range min(L, N) {
					buf[t] = at(t)
				}
			}
			if p.Inverse {
				plan.inverse(buf)
			} else {
				plan.forward(buf)
			}
			for t := range p.OutLen {
				j := ((o*p.OutLen+t)*inner + i) * cout
				yd[j] = real(buf[t])
				if cout == 2 {
					yd[j+1] = imag(buf[t])
				}
			}
		}
	}
	nnStoreFloat64s(y, yd)
	return nil
}

// sigSTFTKernel is STFT; it keeps the node to read its attributes.
type sigSTFTKernel struct{ node *ops.Node }

func sigNewSTFT(n *ops.Node) (ops.Kernel, error) {
	switch n.In[0].DType {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		return &sigSTFTKernel{node: n}, nil
	}
	return nil, nil
}

// Run implements ops.Kernel.
func (k *sigSTFTKernel) Run(ec *ops.ExecContext, in, out []*tensor.Tensor) error {
	sig, window := in[0], qntOptional(in, 2)
	var wshape []int
	if window != nil {
		wshape = window.Shape()
		if wshape == nil {
			wshape = []int{}
		}
	}
	p, err := ops.STFTParamsOf(k.node, sig.Shape(), in[1], wshape, qntOptional(in, 3))
	if err != nil {
		return err
	}
	y, err := nnOut(out, 0, sig.DType(), p.OutShape())
	if err != nil || y.Len() == 0 {
		return err
	}
	sd, err := sig.Float64s()
	if err != nil {
		return ops.Errorf("STFT signal: %v", err)
	}
	var wd []float64
	if window != nil {
		if wd, err = window.Float64s(); err != nil {
			return ops.Errorf("STFT window: %v", err)
		}
	}
	c := 1
	if p.Complex {
		c = 2
	}
	yd := make([]float64, y.Len())
	plan := sigNewPlan(p.FrameLen)
	buf := make([]complex128, p.FrameLen)
	take := min(p.WindowLen, p.FrameLen)
	for b := range p.Batch {
		if err := nnCtxErr(ec); err != nil {
			return err
		}
		for f := range p.Frames {
			clear(buf)
			start := f * p.Step
			for t := range take {
				s := start + t
				if s >= p.Length {
					break
				}
				j := (b*p.Length + s) * c
				v := complex(sd[j], 0)
				if c == 2 {
					v = complex(sd[j], sd[j+1])
				}
				if wd != nil {
					v *= complex(wd[t], 0)
				}
				buf[t] = v
			}
			plan.forward(buf)
			row := yd[((b*p.Frames)+f)*p.Bins*2:]
			for t := range p.Bins {
				row[2*t], row[2*t+1] = real(buf[t]), imag(buf[t])
			}
		}
	}
	nnStoreFloat64s(y, yd)
	return nil
}

// sigWindowCoefs returns the cosine-sum coefficients a0, a1, a2 of a
// window: w[k] = a0 - a1 cos(2 pi k/N) + a2 cos(4 pi k/N).
func sigWindowCoefs(op string) (a0, a1, a2 float64) {
	switch op {
	case "HammingWindow":
		return 25.0 / 46, 21.0 / 46, 0
	case "BlackmanWindow":
		return 0.42, 0.5, 0.08
	}
	return 0.5, 0.5, 0 // HannWindow
}

// sigWindow fills w with the window of its length; N is the length
// (periodic) or the length - 1 (symmetric). A symmetric window of length 1
// is [1].
func sigWindow(w []float64, op string, periodic bool) {
	a0, a1, a2 := sigWindowCoefs(op)
	n := len(w)
	if !periodic {
		n--
	}
	if n == 0 {
		for i := range w {
			w[i] = 1
		}
		return
	}
	for k := range w {
		// Reduce the angle exactly: k/n and 2k/n modulo 1.
		x1 := 2 * math.Pi * float64(k%n) / float64(n)
		x2 := 2 * math.Pi * float64((2*k)%n) / float64(n)
		w[k] = a0 - a1*math.Cos(x1) + a2*math.Cos(x2)
	}
}

func sigNewWindow(n *ops.Node) (ops.Kernel, error) {
	dt, err := ops.SignalOutputType(n)
	if err != nil {
		return nil, err
	}
	op, periodic := n.OpType, n.AttrInt("periodic") != 0
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		l, err := ops.WindowLength(in[0])
		if err != nil {
			return err
		}
		vals, err := tensor.New(tensor.Float64, l)
		if err != nil {
			return err
		}
		sigWindow(tensor.Data[float64](vals), op, periodic)
		y, err := nnOut(out, 0, dt, []int{l})
		if err != nil {
			return err
		}
		return elemCastTensor(y, vals)
	}), nil
}

func sigNewMel(n *ops.Node) (ops.Kernel, error) {
	dt, err := ops.SignalOutputType(n)
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		shape, err := ops.MelWeightMatrixShape(in[0], in[1])
		if err != nil {
			return err
		}
		rate, err := ops.SignalScalar(in[2], "sample_rate")
		if err != nil {
			return err
		}
		if rate < 1 {
			return ops.Errorf("MelWeightMatrix sample_rate %d < 1", rate)
		}
		edges := make([]float64, 2)
		for i := range edges {
			t := in[3+i]
			if t.Len() != 1 {
				return ops.Errorf("MelWeightMatrix edge frequency %d must be a scalar, has shape %v", i, t.Shape())
			}
			v, err := t.Float64s()
			if err != nil {
				return ops.Errorf("MelWeightMatrix edge frequency: %v", err)
			}
			edges[i] = v[0]
		}
		vals, err := tensor.New(tensor.Float64, shape...)
		if err != nil {
			return err
		}
		dftLen, _ := ops.SignalScalar(in[1], "dft_length")
		if err := sigMelWeights(tensor.Data[float64](vals), shape[0], shape[1], int(dftLen), float64(rate), edges[0], edges[1]); err != nil {
			return err
		}
		y, err := nnOut(out, 0, dt, shape)
		if err != nil {
			return err
		}
		return elemCastTensor(y, vals)
	}), nil
}

// sigMelWeights fills w (bins x mels, row-major) with triangular filters
// as Operators.md defines them: mels+2 points equally spaced on the mel
// scale mel(f) = 2595 log10(1 + f/700) from lower to upper (the step is
// the range over mels+2), mapped to bins floor((dftLen+1) f / rate); each
// filter rises from its left point to 1 at its centre and falls to its
// right point. Every point must fall in [0, bins).
func sigMelWeights(w []float64, bins, mels, dftLen int, rate, lower, upper float64) error {
	mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	lo, hi := mel(lower), mel(upper)
	step := (hi - lo) / float64(mels+2)
	pts := make([]int, mels+2)
	for i := range pts {
		hz := 700 * (math.Pow(10, (float64(i)*step+lo)/2595) - 1)
		b := math.Floor(float64(dftLen+1) * hz / rate)
		if !(b >= 0 && b < float64(bins)) {
			return fmt.Errorf("%w: MelWeightMatrix: edge %d (%v Hz) falls outside the %d spectrogram bins; check lower_edge_hertz %v, upper_edge_hertz %v and sample_rate %v",
				ops.ErrInvalidNode, i, hz, bins, lower, upper, rate)
		}
		pts[i] = int(b)
	}
	for i := range mels {
		l, c, r := pts[i], pts[i+1], pts[i+2]
		if c == l {
			w[c*mels+i] = 1
		} else {
			for j := l; j <= c; j++ {
				w[j*mels+i] = float64(j-l) / float64(c-l)
			}
		}
		for j := c; j < r; j++ {
			w[j*mels+i] = float64(r-j) / float64(r-c)
		}
	}
	return nil
}

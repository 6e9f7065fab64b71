package ops

// Schemas of the signal-processing operators: DFT, STFT, the Hann, Hamming
// and Blackman windows and MelWeightMatrix, with the geometry helpers that
// their shape inference and kernels share.

import (
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// sigFloatTypes are the signal and output types of DFT and STFT.
var sigFloatTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16}

// sigNumericTypes are the output types of the window generators and
// MelWeightMatrix.
var sigNumericTypes = []tensor.DType{tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
	tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16}

// SignalScalar returns the value of a one-element int32 or int64 tensor
// (a length, a step, an axis), naming it what in errors.
func SignalScalar(t *tensor.Tensor, what string) (int64, error) {
	if t.DType() != tensor.Int32 && t.DType() != tensor.Int64 {
		return 0, Errorf("%s has type %v, want int32 or int64", what, t.DType())
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, Errorf("%s must be a scalar, has shape %v", what, t.Shape())
	}
	v, err := t.Int64s()
	if err != nil {
		return 0, Errorf("%s: %v", what, err)
	}
	return v[0], nil
}

// sigLength reads a positive length.
func sigLength(t *tensor.Tensor, what string) (int, error) {
	v, err := SignalScalar(t, what)
	if err != nil {
		return 0, err
	}
	if v < 1 || v > tensor.MaxElements {
		return 0, Errorf("%s %d out of range", what, v)
	}
	return int(v), nil
}

// DFTParams is the geometry of one DFT node on one input shape.
type DFTParams struct {
	Axis     int  // the transformed axis, in [0, rank-2]
	Length   int  // the DFT length (dft_length)
	Inverse  bool // inverse transform
	Onesided bool
	Complex  bool // the input's last dim is 2 (else 1)
	// OutLen is the output's size on Axis: Length, or Length/2+1 for a
	// one-sided forward transform.
	OutLen int
	// RealOut marks the one-sided inverse (IRFFT), whose output is real.
	RealOut bool
}

// DFTAxisOf returns the DFT axis of node n for an input of rank r: the
// axis attribute before opset 20, the axis input (axisT, default -2) from
// opset 20. Valid axes are [-r, -2] and [0, r-2].
func DFTAxisOf(n *Node, r int, axisT *tensor.Tensor) (int, error) {
	a := int64(-2)
	if n.Opset < 20 {
		a = n.AttrInt("axis")
	} else if axisT != nil {
		v, err := SignalScalar(axisT, "DFT axis")
		if err != nil {
			return 0, err
		}
		a = v
	}
	if a < -int64(r) || a > int64(r)-2 || a == -1 {
		return 0, Errorf("DFT axis %d out of range for an input of rank %d", a, r)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

// sigDFTFlags reads and checks inverse and onesided.
func sigDFTFlags(n *Node) (inverse, onesided bool, err error) {
	inv, one := n.AttrInt("inverse"), n.AttrInt("onesided")
	if inv != 0 && inv != 1 {
		return false, false, Errorf("DFT inverse %d is not 0 or 1", inv)
	}
	if one != 0 && one != 1 {
		return false, false, Errorf("DFT onesided %d is not 0 or 1", one)
	}
	return inv == 1, one == 1, nil
}

// DFTParamsOf returns the geometry of DFT node n for an input of shape x,
// with the dft_length and axis inputs (nil when omitted). Opset 17 nodes
// with onesided and inverse both set get opset 20's meaning (IRFFT); a
// one-sided forward DFT of a complex input is an error in both.
func DFTParamsOf(n *Node, x []int, lenT, axisT *tensor.Tensor) (DFTParams, error) {
	var p DFTParams
	r := len(x)
	if r < 2 {
		return p, Errorf("DFT input must have rank >= 2, got shape %v", x)
	}
	switch x[r-1] {
	case 1:
	case 2:
		p.Complex = true
	default:
		return p, fmt.Errorf("%w: DFT input's last dim must be 1 (real) or 2 (complex), got shape %v", ErrShapeMismatch, x)
	}
	var err error
	if p.Axis, err = DFTAxisOf(n, r, axisT); err != nil {
		return p, err
	}
	if p.Inverse, p.Onesided, err = sigDFTFlags(n); err != nil {
		return p, err
	}
	if p.Onesided && !p.Inverse && p.Complex {
		return p, Errorf("one-sided forward DFT needs a real input, got shape %v", x)
	}
	if p.Onesided && p.Inverse && !p.Complex {
		return p, Errorf("one-sided inverse DFT needs a complex input, got shape %v", x)
	}
	p.RealOut = p.Onesided && p.Inverse
	d := x[p.Axis]
	switch {
	case lenT != nil:
		if p.Length, err = sigLength(lenT, "dft_length"); err != nil {
			return p, err
		}
	case p.RealOut:
		p.Length = 2 * (d - 1)
	default:
		p.Length = d
	}
	if p.Length < 1 {
		return p, fmt.Errorf("%w: DFT length %d from input shape %v", ErrShapeMismatch, p.Length, x)
	}
	p.OutLen = p.Length
	if p.Onesided && !p.Inverse {
		p.OutLen = p.Length/2 + 1
	}
	return p, nil
}

// OutShape returns the output shape of the DFT on an input of shape x.
func (p DFTParams) OutShape(x []int) []int {
	out := append([]int(nil), x...)
	out[p.Axis] = p.OutLen
	out[len(out)-1] = 2
	if p.RealOut {
		out[len(out)-1] = 1
	}
	return out
}

func sigInferDFT(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, sigFloatTypes...); err != nil {
		return nil, err
	}
	if n.HasIn(1) {
		if err := n.CheckDType(1, tensor.Int32, tensor.Int64); err != nil {
			return nil, err
		}
	}
	if n.Opset >= 20 && n.HasIn(2) {
		if err := n.CheckDType(2, tensor.Int64, tensor.Int32); err != nil {
			return nil, err
		}
	}
	dt := n.In[0].DType
	s := n.In[0].Shape
	if s == nil {
		return []TypeShape{Unranked(dt)}, nil
	}
	r := len(s)
	lenT := n.InValue(1)
	axisT := n.InValue(2)
	if n.Opset < 20 {
		axisT = nil
	}
	if xs, ok := s.Ints(); ok && (!n.HasIn(1) || lenT != nil) && (n.Opset < 20 || !n.HasIn(2) || axisT != nil) {
		p, err := DFTParamsOf(n, xs, lenT, axisT)
		if err != nil {
			return nil, err
		}
		return []TypeShape{Of(dt, p.OutShape(xs)...)}, nil
	}
	// Partial knowledge: check what is known, leave the rest unknown.
	if r < 2 {
		return nil, Errorf("DFT input must have rank >= 2, got %d", r)
	}
	inv, one, err := sigDFTFlags(n)
	if err != nil {
		return nil, err
	}
	last := s[r-1]
	if last.Known() && last.Value != 1 && last.Value != 2 {
		return nil, fmt.Errorf("%w: DFT input's last dim must be 1 or 2, got %v", ErrShapeMismatch, s)
	}
	out := append(ir.Shape(nil), s...)
	out[r-1] = ir.DimOf(2)
	if one && inv {
		out[r-1] = ir.DimOf(1)
	}
	axisKnown := n.Opset < 20 || !n.HasIn(2) || axisT != nil
	if !axisKnown {
		for i := range r - 1 {
			out[i] = ir.UnknownDim
		}
		return []TypeShape{Ranked(dt, out)}, nil
	}
	ax, err := DFTAxisOf(n, r, axisT)
	if err != nil {
		return nil, err
	}
	out[ax] = ir.UnknownDim
	if lenT != nil {
		l, err := sigLength(lenT, "dft_length")
		if err != nil {
			return nil, err
		}
		if one && !inv {
			l = l/2 + 1
		}
		out[ax] = ir.DimOf(int64(l))
	} else if !n.HasIn(1) {
		d := int(s[ax].Value)
		switch {
		case !one:
			out[ax] = s[ax] // the same size, even symbolic
		case !s[ax].Known():
		case inv:
			out[ax] = ir.DimOf(int64(2 * (d - 1)))
		default:
			out[ax] = ir.DimOf(int64(d/2 + 1))
		}
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// STFTParams is the geometry of one STFT node on one signal.
type STFTParams struct {
	Batch, Length int // signal shape [Batch, Length, 1 or 2]
	Complex       bool
	Step          int // frame_step
	FrameLen      int // the DFT length (frame_length)
	WindowLen     int // samples per frame before the DFT (the window's length)
	Frames        int // 1 + (Length - FrameLen) / Step
	Bins          int // FrameLen/2 + 1 when one-sided, else FrameLen
	Onesided      bool
}

// STFTParamsOf returns the geometry of STFT node n on a signal of shape
// sig, with the frame_step input, the window's shape (nil: no window) and
// the frame_length input (nil: the window's length, else the signal's). As
// in the ONNX reference implementation, every frame takes WindowLen
// samples (zero past the signal's end), and the DFT has FrameLen points.
func STFTParamsOf(n *Node, sig []int, step *tensor.Tensor, window []int, frameLen *tensor.Tensor) (STFTParams, error) {
	var p STFTParams
	if len(sig) != 3 || (sig[2] != 1 && sig[2] != 2) {
		return p, fmt.Errorf("%w: STFT signal must be [batch, length, 1 or 2], got shape %v", ErrShapeMismatch, sig)
	}
	p.Batch, p.Length, p.Complex = sig[0], sig[1], sig[2] == 2
	var err error
	if p.Step, err = sigLength(step, "frame_step"); err != nil {
		return p, err
	}
	switch one := n.AttrInt("onesided"); one {
	case 0, 1:
		p.Onesided = one == 1
	default:
		return p, Errorf("STFT onesided %d is not 0 or 1", one)
	}
	if p.Onesided && p.Complex {
		return p, Errorf("one-sided STFT needs a real signal, got shape %v", sig)
	}
	if window != nil {
		if len(window) != 1 || window[0] < 1 {
			return p, fmt.Errorf("%w: STFT window must be a non-empty 1-D tensor, got shape %v", ErrShapeMismatch, window)
		}
		p.WindowLen = window[0]
	}
	switch {
	case frameLen != nil:
		if p.FrameLen, err = sigLength(frameLen, "frame_length"); err != nil {
			return p, err
		}
	case window != nil:
		p.FrameLen = p.WindowLen
	default:
		p.FrameLen = p.Length
	}
	if window == nil {
		p.WindowLen = p.FrameLen
	}
	if p.FrameLen < 1 || p.FrameLen > p.Length {
		return p, fmt.Errorf("%w: STFT frame length %d for a signal of length %d", ErrShapeMismatch, p.FrameLen, p.Length)
	}
	p.Frames = 1 + (p.Length-p.FrameLen)/p.Step
	p.Bins = p.FrameLen
	if p.Onesided {
		p.Bins = p.FrameLen/2 + 1
	}
	return p, nil
}

// OutShape returns the STFT's output shape [Batch, Frames, Bins, 2].
func (p STFTParams) OutShape() []int { return []int{p.Batch, p.Frames, p.Bins, 2} }

func sigInferSTFT(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, sigFloatTypes...); err != nil {
		return nil, err
	}
	if err := n.CheckDType(1, tensor.Int32, tensor.Int64); err != nil {
		return nil, err
	}
	if n.HasIn(2) && n.In[2].DType != n.In[0].DType {
		return nil, Errorf("STFT window has type %v, signal has %v", n.In[2].DType, n.In[0].DType)
	}
	if n.HasIn(3) {
		if err := n.CheckDType(3, tensor.Int32, tensor.Int64); err != nil {
			return nil, err
		}
	}
	dt := n.In[0].DType
	sig, ok := n.In[0].ConcreteShape()
	step := n.InValue(1)
	var window []int
	if n.HasIn(2) {
		ws, wok := n.In[2].ConcreteShape()
		if !wok {
			ok = false
		} else if window = ws; window == nil {
			window = []int{} // a scalar window: rejected by STFTParamsOf
		}
	}
	frameLen := n.InValue(3)
	if ok && step != nil && (!n.HasIn(3) || frameLen != nil) {
		p, err := STFTParamsOf(n, sig, step, window, frameLen)
		if err != nil {
			return nil, err
		}
		return []TypeShape{Of(dt, p.OutShape()...)}, nil
	}
	out := ir.Shape{nnDim(n.In[0].Shape, 0), ir.UnknownDim, ir.UnknownDim, ir.DimOf(2)}
	if s := n.In[0].Shape; s != nil && len(s) != 3 {
		return nil, fmt.Errorf("%w: STFT signal must have rank 3, got %v", ErrShapeMismatch, s)
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

// SignalOutputType returns the output_datatype attribute of a window or
// MelWeightMatrix node, checked.
func SignalOutputType(n *Node) (tensor.DType, error) {
	dt := tensor.DType(n.AttrInt("output_datatype"))
	for _, t := range sigNumericTypes {
		if dt == t {
			return dt, nil
		}
	}
	return 0, Errorf("%s output_datatype %d is not a numeric type", n.OpType, int64(dt))
}

// WindowLength returns the length a window node makes from its size input
// (0 is allowed: an empty window).
func WindowLength(size *tensor.Tensor) (int, error) {
	v, err := SignalScalar(size, "window size")
	if err != nil {
		return 0, err
	}
	if v < 0 || v > tensor.MaxElements {
		return 0, Errorf("window size %d out of range", v)
	}
	return int(v), nil
}

func sigInferWindow(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, tensor.Int32, tensor.Int64); err != nil {
		return nil, err
	}
	dt, err := SignalOutputType(n)
	if err != nil {
		return nil, err
	}
	if p := n.AttrInt("periodic"); p != 0 && p != 1 {
		return nil, Errorf("%s periodic %d is not 0 or 1", n.OpType, p)
	}
	if v := n.InValue(0); v != nil {
		l, err := WindowLength(v)
		if err != nil {
			return nil, err
		}
		return []TypeShape{Of(dt, l)}, nil
	}
	return []TypeShape{Ranked(dt, ir.Shape{ir.UnknownDim})}, nil
}

// MelWeightMatrixShape returns the output shape of MelWeightMatrix,
// [dft_length/2 + 1, num_mel_bins], from those two inputs.
func MelWeightMatrixShape(numMel, dftLen *tensor.Tensor) ([]int, error) {
	m, err := sigLength(numMel, "num_mel_bins")
	if err != nil {
		return nil, err
	}
	l, err := sigLength(dftLen, "dft_length")
	if err != nil {
		return nil, err
	}
	shape := []int{l/2 + 1, m}
	if _, err := tensor.NumElements(shape); err != nil {
		return nil, Errorf("MelWeightMatrix of shape %v: %v", shape, err)
	}
	return shape, nil
}

func sigInferMel(n *Node) ([]TypeShape, error) {
	for i := range 3 {
		if err := n.CheckDType(i, tensor.Int32, tensor.Int64); err != nil {
			return nil, err
		}
	}
	for i := 3; i < 5; i++ {
		if err := n.CheckDType(i, sigFloatTypes...); err != nil {
			return nil, err
		}
	}
	dt, err := SignalOutputType(n)
	if err != nil {
		return nil, err
	}
	out := ir.Shape{ir.UnknownDim, ir.UnknownDim}
	if v := n.InValue(1); v != nil {
		l, err := sigLength(v, "dft_length")
		if err != nil {
			return nil, err
		}
		out[0] = ir.DimOf(int64(l/2 + 1))
	}
	if v := n.InValue(0); v != nil {
		m, err := sigLength(v, "num_mel_bins")
		if err != nil {
			return nil, err
		}
		out[1] = ir.DimOf(int64(m))
	}
	return []TypeShape{Ranked(dt, out)}, nil
}

func init() {
	inverse := AttrDef{Name: "inverse", Type: ir.AttrInt, Default: int64(0)}
	RegisterSchema(&Schema{Name: "DFT", Since: 17, Until: 19, MinInputs: 1, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "axis", Type: ir.AttrInt, Default: int64(1)}, inverse,
			{Name: "onesided", Type: ir.AttrInt, Default: int64(0)}},
		Infer: sigInferDFT, Doc: "discrete Fourier transform along the axis attribute (real or complex input)"})
	RegisterSchema(&Schema{Name: "DFT", Since: 20, MinInputs: 1, MaxInputs: 3, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{inverse, {Name: "onesided", Type: ir.AttrInt, Default: int64(0)}},
		Infer: sigInferDFT, Doc: "discrete Fourier transform along the axis input; one-sided forward (RFFT) and inverse (IRFFT)"})
	RegisterSchema(&Schema{Name: "STFT", Since: 17, MinInputs: 2, MaxInputs: 4, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "onesided", Type: ir.AttrInt, Default: int64(1)}},
		Infer: sigInferSTFT, Doc: "short-time Fourier transform of a real or complex signal"})
	for _, op := range []string{"HannWindow", "HammingWindow", "BlackmanWindow"} {
		RegisterSchema(&Schema{Name: op, Since: 17, MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
			Attrs: []AttrDef{{Name: "output_datatype", Type: ir.AttrInt, Default: int64(tensor.Float32)},
				{Name: "periodic", Type: ir.AttrInt, Default: int64(1)}},
			Infer: sigInferWindow, Doc: "a window function of the given length, periodic or symmetric"})
	}
	RegisterSchema(&Schema{Name: "MelWeightMatrix", Since: 17, MinInputs: 5, MaxInputs: 5, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "output_datatype", Type: ir.AttrInt, Default: int64(tensor.Float32)}},
		Infer: sigInferMel, Doc: "triangular mel filterbank weights for a one-sided spectrum"})
}

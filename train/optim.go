package train

// Optimizers: PyTorch's update rules for SGD (momentum, Nesterov, weight
// decay), Adam and AdamW, applied in place to parameter tensors.

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxml/onyx/tensor"
)

// Param is one trainable tensor and its gradient for the current step.
// Value is updated in place; both must be float32 or float64 tensors of
// the same dtype and size.
type Param struct {
	Name  string
	Value *tensor.Tensor
	Grad  *tensor.Tensor
}

// Optimizer updates parameters from their gradients. An Optimizer keeps
// per-parameter state (momentum buffers, moments) keyed by Param.Name, and
// is not safe for concurrent use.
type Optimizer interface {
	// Step applies one update to every parameter.
	Step(params []Param) error
	// LR returns the current learning rate; SetLR changes it (schedules).
	LR() float64
	SetLR(lr float64)
	// State returns a copy of the optimizer's state (for checkpoints);
	// SetState restores it.
	State() OptimState
	SetState(s OptimState) error
}

// OptimState is an optimizer's state: its step count and its buffers,
// keyed "param/slot" (slots: "momentum", "m", "v").
type OptimState struct {
	Steps int64
	LR    float64
	Slots map[string]*tensor.Tensor
}

// optFloat is the element type the optimizers compute in.
type optFloat interface{ float32 | float64 }

// optSlots holds an optimizer's per-parameter buffers.
type optSlots struct {
	steps int64
	lr    float64
	slots map[string]*tensor.Tensor
}

// slot returns the buffer called name/kind for p, creating it (zeros, or a
// copy of init when init is not nil) the first time; fresh reports whether
// it was created by this call.
func (o *optSlots) slot(p Param, kind string, init *tensor.Tensor) (t *tensor.Tensor, fresh bool, err error) {
	key := p.Name + "/" + kind
	if t = o.slots[key]; t != nil {
		if t.DType() != p.Value.DType() || t.Len() != p.Value.Len() {
			return nil, false, fmt.Errorf("train: optimizer state %q is %v[%d], parameter is %v[%d]", key, t.DType(), t.Len(), p.Value.DType(), p.Value.Len())
		}
		return t, false, nil
	}
	if init != nil {
		t = init.Clone()
	} else if t, err = tensor.New(p.Value.DType(), p.Value.Shape()...); err != nil {
		return nil, false, err
	}
	if o.slots == nil {
		o.slots = map[string]*tensor.Tensor{}
	}
	o.slots[key] = t
	return t, true, nil
}

func (o *optSlots) state() OptimState {
	s := OptimState{Steps: o.steps, LR: o.lr, Slots: make(map[string]*tensor.Tensor, len(o.slots))}
	for k, v := range o.slots {
		s.Slots[k] = v.Clone()
	}
	return s
}

func (o *optSlots) setState(s OptimState) {
	o.steps, o.lr = s.Steps, s.LR
	o.slots = make(map[string]*tensor.Tensor, len(s.Slots))
	for k, v := range s.Slots {
		o.slots[k] = v.Clone()
	}
}

// slotNames returns the sorted keys of a state's slots (stable checkpoints).
func (s OptimState) slotNames() []string {
	names := make([]string, 0, len(s.Slots))
	for k := range s.Slots {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// checkParam validates p for an update.
func checkParam(p Param) error {
	if p.Value == nil || p.Grad == nil {
		return fmt.Errorf("train: parameter %q has no value or no gradient", p.Name)
	}
	if dt := p.Value.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("train: parameter %q is %v; optimizers update float32 and float64 tensors", p.Name, dt)
	}
	if p.Grad.DType() != p.Value.DType() || p.Grad.Len() != p.Value.Len() {
		return fmt.Errorf("train: parameter %q is %v%v but its gradient is %v%v", p.Name,
			p.Value.DType(), p.Value.Shape(), p.Grad.DType(), p.Grad.Shape())
	}
	return nil
}

// SGD is stochastic gradient descent with PyTorch's rule (dampening 0):
//
//	g = grad + WeightDecay*p
//	b = Momentum*b + g           (b = g on the first step)
//	g = g + Momentum*b if Nesterov, else b   (when Momentum != 0)
//	p = p - LR*g
type SGD struct {
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	o           optSlots
}

// NewSGD returns an SGD optimizer with learning rate lr and momentum
// (0 for plain SGD).
func NewSGD(lr, momentum float64) *SGD {
	return &SGD{Momentum: momentum, o: optSlots{lr: lr}}
}

// LR returns the learning rate.
func (s *SGD) LR() float64 { return s.o.lr }

// SetLR sets the learning rate.
func (s *SGD) SetLR(lr float64) { s.o.lr = lr }

// State returns a copy of the momentum buffers and the step count.
func (s *SGD) State() OptimState { return s.o.state() }

// SetState restores a state returned by State.
func (s *SGD) SetState(st OptimState) error { s.o.setState(st); return nil }

// Step applies one SGD update to every parameter.
func (s *SGD) Step(params []Param) error {
	if s.Nesterov && s.Momentum <= 0 {
		return fmt.Errorf("train: Nesterov SGD needs a positive momentum")
	}
	for _, p := range params {
		if err := checkParam(p); err != nil {
			return err
		}
		var buf *tensor.Tensor
		fresh := false
		if s.Momentum != 0 {
			var err error
			if buf, fresh, err = s.o.slot(p, "momentum", nil); err != nil {
				return err
			}
		}
		switch p.Value.DType() {
		case tensor.Float32:
			sgdUpdate(tensor.Data[float32](p.Value), tensor.Data[float32](p.Grad), optData[float32](buf), fresh, s)
		default:
			sgdUpdate(tensor.Data[float64](p.Value), tensor.Data[float64](p.Grad), optData[float64](buf), fresh, s)
		}
	}
	s.o.steps++
	return nil
}

// optData returns t's elements, or nil for a nil t.
func optData[T optFloat](t *tensor.Tensor) []T {
	if t == nil {
		return nil
	}
	return tensor.Data[T](t)
}

func sgdUpdate[T optFloat](p, grad, buf []T, fresh bool, s *SGD) {
	lr, mom, wd := s.o.lr, s.Momentum, s.WeightDecay
	for i := range p {
		g := float64(grad[i]) + wd*float64(p[i])
		if buf != nil {
			b := g
			if !fresh {
				b = mom*float64(buf[i]) + g
			}
			buf[i] = T(b)
			if s.Nesterov {
				g += mom * b
			} else {
				g = b
			}
		}
		p[i] = T(float64(p[i]) - lr*g)
	}
}

// Adam is PyTorch's Adam (Decoupled false: the weight decay is added to
// the gradient) or AdamW (Decoupled true: p = p*(1 - LR*WeightDecay)
// before the update), with bias correction:
//
//	m = Beta1*m + (1-Beta1)*g;  v = Beta2*v + (1-Beta2)*g²
//	p = p - LR * (m/(1-Beta1^t)) / (sqrt(v/(1-Beta2^t)) + Eps)
type Adam struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64
	Decoupled         bool
	o                 optSlots
}

// NewAdam returns Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8,
// no weight decay) and learning rate lr.
func NewAdam(lr float64) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, o: optSlots{lr: lr}}
}

// NewAdamW returns AdamW with PyTorch's defaults (weight decay 0.01).
func NewAdamW(lr float64) *Adam {
	a := NewAdam(lr)
	a.Decoupled, a.WeightDecay = true, 0.01
	return a
}

// LR returns the learning rate.
func (a *Adam) LR() float64 { return a.o.lr }

// SetLR sets the learning rate.
func (a *Adam) SetLR(lr float64) { a.o.lr = lr }

// State returns a copy of the moments and the step count.
func (a *Adam) State() OptimState { return a.o.state() }

// SetState restores a state returned by State.
func (a *Adam) SetState(st OptimState) error { a.o.setState(st); return nil }

// Step applies one Adam update to every parameter.
func (a *Adam) Step(params []Param) error {
	if a.Beta1 < 0 || a.Beta1 >= 1 || a.Beta2 < 0 || a.Beta2 >= 1 || a.Eps < 0 {
		return fmt.Errorf("train: Adam: betas must be in [0, 1) and eps >= 0, got %v %v %v", a.Beta1, a.Beta2, a.Eps)
	}
	t := a.o.steps + 1
	bc1 := 1 - math.Pow(a.Beta1, float64(t))
	bc2 := 1 - math.Pow(a.Beta2, float64(t))
	for _, p := range params {
		if err := checkParam(p); err != nil {
			return err
		}
		m, _, err := a.o.slot(p, "m", nil)
		if err != nil {
			return err
		}
		v, _, err := a.o.slot(p, "v", nil)
		if err != nil {
			return err
		}
		switch p.Value.DType() {
		case tensor.Float32:
			adamUpdate(tensor.Data[float32](p.Value), tensor.Data[float32](p.Grad), tensor.Data[float32](m), tensor.Data[float32](v), a, bc1, bc2)
		default:
			adamUpdate(tensor.Data[float64](p.Value), tensor.Data[float64](p.Grad), tensor.Data[float64](m), tensor.Data[float64](v), a, bc1, bc2)
		}
	}
	a.o.steps = t
	return nil
}

func adamUpdate[T optFloat](p, grad, m, v []T, a *Adam, bc1, bc2 float64) {
	lr, b1, b2, wd := a.o.lr, a.Beta1, a.Beta2, a.WeightDecay
	sqrtBC2 := math.Sqrt(bc2)
	for i := range p {
		w := float64(p[i])
		g := float64(grad[i])
		if a.Decoupled {
			w *= 1 - lr*wd
		} else {
			g += wd * w
		}
		mi := b1*float64(m[i]) + (1-b1)*g
		vi := b2*float64(v[i]) + (1-b2)*g*g
		m[i], v[i] = T(mi), T(vi)
		w -= (lr / bc1) * mi / (math.Sqrt(vi)/sqrtBC2 + a.Eps)
		p[i] = T(w)
	}
}

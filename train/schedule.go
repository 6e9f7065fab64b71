package train

// Learning-rate schedules, evaluated per epoch in closed form (so that a
// resumed run gets the same rate as an uninterrupted one).

import "math"

// Schedule gives the learning rate of an epoch (0-based) from the base rate.
type Schedule interface {
	LR(base float64, epoch int) float64
}

// StepLR multiplies the rate by Gamma every StepSize epochs (PyTorch's
// StepLR): base * Gamma^(epoch/StepSize).
type StepLR struct {
	StepSize int
	Gamma    float64
}

// LR returns the rate of epoch.
func (s StepLR) LR(base float64, epoch int) float64 {
	if s.StepSize <= 0 {
		return base
	}
	return base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
}

// CosineLR anneals the rate from base to Min over TMax epochs (PyTorch's
// CosineAnnealingLR, closed form): Min + (base-Min)*(1+cos(pi*epoch/TMax))/2.
type CosineLR struct {
	TMax int
	Min  float64
}

// LR returns the rate of epoch.
func (c CosineLR) LR(base float64, epoch int) float64 {
	if c.TMax <= 0 {
		return base
	}
	return c.Min + (base-c.Min)*(1+math.Cos(math.Pi*float64(epoch)/float64(c.TMax)))/2
}

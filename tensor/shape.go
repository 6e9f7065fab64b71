package tensor

import "fmt"

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// BroadcastShapes returns the multidirectional (numpy-style) broadcast of the
// given shapes, or an error wrapping ErrShape if they are incompatible.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("%w: cannot broadcast %v", ErrShape, shapes)
			}
		}
	}
	return out, nil
}

// BroadcastStrides returns strides to read a tensor of shape `from` as if it
// had shape `to` (rank of to >= rank of from): broadcast dims get stride 0.
func BroadcastStrides(from, to []int) []int {
	st := make([]int, len(to))
	fs := Strides(from)
	off := len(to) - len(from)
	for i := range from {
		if from[i] != 1 || to[off+i] == 1 {
			st[off+i] = fs[i]
		}
	}
	return st
}

// BroadcastPairs calls f(i, ai, bi) for each element of shape `to`, in
// row-major order: i is its index in `to`, ai and bi the indices of the
// elements of tensors of shapes a and b that broadcast to it.
func BroadcastPairs(a, b, to []int, f func(i, ai, bi int)) {
	n := 1
	for _, d := range to {
		n *= d
	}
	if n == 0 {
		return
	}
	as, bs := BroadcastStrides(a, to), BroadcastStrides(b, to)
	idx := make([]int, len(to))
	ai, bi := 0, 0
	for i := range n {
		f(i, ai, bi)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			ai += as[d]
			bi += bs[d]
			if idx[d] < to[d] {
				break
			}
			ai -= as[d] * to[d]
			bi -= bs[d] * to[d]
			idx[d] = 0
		}
	}
}

// SameShape reports whether a and b are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NormAxis maps a possibly negative axis into [0, rank), or returns an error
// (always, for rank 0: a scalar has no axis).
func NormAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("%w: axis %d out of range for rank %d", ErrShape, axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// cloneShape copies s; a rank-0 shape becomes an empty, non-nil slice, so
// every scalar has the same representation.
func cloneShape(s []int) []int { return append(make([]int, 0, len(s)), s...) }

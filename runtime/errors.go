package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/onyxml/onyx/ops"
)

// Sentinel errors; errors from this package wrap them (test with errors.Is).
var (
	// ErrUnsupportedOp: the model uses operators no registered backend
	// runs. The error is an *UnsupportedError listing all of them.
	ErrUnsupportedOp = ops.ErrUnsupportedOp
	// ErrInvalidModel: the graph is malformed (a cycle, an undefined value,
	// a node breaking its schema, a missing input type).
	ErrInvalidModel = errors.New("invalid model")
	// ErrShapeMismatch: an input's shape does not fit the model, or shapes
	// inside the graph do not fit together.
	ErrShapeMismatch = ops.ErrShapeMismatch
	// ErrInvalidInput: Run got a missing, unknown, nil or mistyped input.
	ErrInvalidInput = errors.New("invalid input")
	// ErrClosed: Run after Close.
	ErrClosed = errors.New("session closed")
	// ErrKernel: a kernel failed (or panicked, which is a bug in onyx).
	ErrKernel = errors.New("kernel failed")
	// ErrLimit: the model needs more than the Session's Limits allow.
	ErrLimit = errors.New("over a session limit")
)

// OpID names an operator at an opset version.
type OpID struct {
	Domain string
	Op     string
	Opset  int64
}

func (o OpID) String() string {
	d := o.Domain
	if d == "" {
		d = "ai.onnx"
	}
	return fmt.Sprintf("%s:%s:%d", d, o.Op, o.Opset)
}

// UnsupportedError lists every operator of a model that no backend runs.
type UnsupportedError struct {
	Ops []OpID // sorted, each once
}

func (e *UnsupportedError) Error() string {
	s := make([]string, len(e.Ops))
	for i, o := range e.Ops {
		s[i] = o.String()
	}
	return fmt.Sprintf("runtime: %v: %d operator(s): %s", ErrUnsupportedOp, len(e.Ops), strings.Join(s, ", "))
}

// Unwrap returns ErrUnsupportedOp.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupportedOp }

func newUnsupported(set map[OpID]bool) error {
	if len(set) == 0 {
		return nil
	}
	e := &UnsupportedError{}
	for o := range set {
		e.Ops = append(e.Ops, o)
	}
	sort.Slice(e.Ops, func(i, j int) bool {
		a, b := e.Ops[i], e.Ops[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		return a.Op < b.Op
	})
	return e
}

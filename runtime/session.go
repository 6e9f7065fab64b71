package runtime

import (
	"context"
	"fmt"
	"sync"
	"time"

	_ "github.com/onyxml/onyx/backends/generic" // the reference kernels, always present
	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

// ValueInfo describes a model input or output.
type ValueInfo struct {
	Name  string
	DType tensor.DType
	Shape ir.Shape // nil when the rank is unknown; dims may be symbolic
}

func (v ValueInfo) String() string {
	return fmt.Sprintf("%s: %v", v.Name, ops.Ranked(v.DType, v.Shape))
}

// NodeInfo is what compilation decided for one node.
type NodeInfo struct {
	Node    *ir.Node
	Opset   int64
	In, Out []ops.TypeShape // as inferred at compile time
	Backend string          // the backend whose kernel runs the node
	Folded  bool            // computed at compile time; not run
}

// Session is a compiled model. It is safe for concurrent use.
type Session struct {
	cfg     *config
	model   *ir.Model
	inputs  []ValueInfo
	outputs []ValueInfo
	plan    *plan
	pool    *pool // nil with one thread

	mu       sync.RWMutex // held for reading by each Run, for writing by Close
	closed   bool
	inflight sync.WaitGroup
}

// NewSession compiles m. It returns an error wrapping ErrUnsupportedOp (an
// *UnsupportedError listing every missing operator), ErrInvalidModel or
// ErrShapeMismatch when the model cannot run.
func NewSession(m *ir.Model, opts ...Option) (*Session, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("runtime: %w: no graph", ErrInvalidModel)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	p, err := compile(m, cfg)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, model: m, plan: p}
	if cfg.threads > 1 {
		s.pool = newPool(cfg.threads)
	}
	for _, in := range p.inputs {
		s.inputs = append(s.inputs, ValueInfo{Name: in.name, DType: in.ts.DType, Shape: in.ts.Shape})
	}
	for _, o := range p.outputs {
		ts := p.types[o]
		s.outputs = append(s.outputs, ValueInfo{Name: p.names[o], DType: ts.DType, Shape: ts.Shape})
	}
	return s, nil
}

// Inputs returns the model's inputs (initializers excluded) with their
// declared types and shapes (WithDim applied).
func (s *Session) Inputs() []ValueInfo { return append([]ValueInfo(nil), s.inputs...) }

// Outputs returns the model's outputs with their inferred types and shapes.
func (s *Session) Outputs() []ValueInfo { return append([]ValueInfo(nil), s.outputs...) }

// ArenaBytes returns the size of the memory one Run uses for the
// intermediate tensors the planner placed (each concurrent Run has its own).
func (s *Session) ArenaBytes() int64 {
	if s.plan.mem == nil {
		return 0
	}
	return s.plan.mem.peakBytes
}

// Model returns the model the session was built from.
func (s *Session) Model() *ir.Model { return s.model }

// Nodes returns what compilation decided for each node, in execution order.
func (s *Session) Nodes() []NodeInfo {
	out := make([]NodeInfo, len(s.plan.steps))
	for i, st := range s.plan.steps {
		out[i] = NodeInfo{Node: st.node.Node, Opset: st.node.Opset, In: st.node.In, Out: st.node.Out,
			Backend: st.backend, Folded: st.folded}
	}
	return out
}

// Close waits for Runs in flight to finish; later Runs return ErrClosed.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
	if s.pool != nil {
		s.pool.close()
		s.pool = nil
	}
	return nil
}

// Run executes the model on inputs (by name) and returns every model output
// by name. It returns ctx.Err() if ctx is done before the run completes,
// checked between nodes and between the chunks of a large node (see
// ops.ExecContext.ParallelFor). Returned tensors belong to the caller.
func (s *Session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out := make(map[string]*tensor.Tensor, len(s.outputs))
	if err := s.RunInto(ctx, inputs, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RunInto is Run writing the outputs into outputs: an entry that already
// holds a tensor of the output's dtype and shape is overwritten in place (so
// that a caller reusing its tensors makes steady-state Runs allocate
// nothing); any other entry is replaced by a new tensor.
func (s *Session) RunInto(ctx context.Context, inputs, outputs map[string]*tensor.Tensor) error {
	return s.run(&env{ctx: ctx, cfg: s.cfg}, inputs, outputs)
}

func (s *Session) run(e *env, inputs, outputs map[string]*tensor.Tensor) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("runtime: %w", ErrClosed)
	}
	s.inflight.Add(1)
	e.pool = s.pool // read under the lock: Close clears it
	s.mu.RUnlock()
	defer s.inflight.Done()
	if e.ctx == nil {
		e.ctx = context.Background()
	}
	if e.pool != nil {
		e.pool.running.Add(1)
		defer e.pool.running.Add(-1)
	}
	p := s.plan
	return p.run(e, inputs, func(name string, t *tensor.Tensor) {
		if dst := outputs[name]; dst != nil && dst != t && dst.Kind() == tensor.KindTensor && t.Kind() == tensor.KindTensor &&
			dst.DType() == t.DType() && tensor.SameShape(dst.Shape(), t.Shape()) {
			dst.CopyFrom(t)
			return
		}
		if !p.ownedOutput(p.slots[name]) {
			t = t.Clone()
		}
		outputs[name] = t
	})
}

// NodeTime is the time one node took in a profiled Run.
type NodeTime struct {
	NodeInfo
	Time time.Duration
}

// RunProfiled is Run that also times every node, in execution order
// (folded nodes take no time; a subgraph's time counts in its node).
func (s *Session) RunProfiled(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, []NodeTime, error) {
	e := &env{ctx: ctx, cfg: s.cfg, prof: make([]time.Duration, len(s.plan.steps))}
	out := map[string]*tensor.Tensor{}
	if err := s.run(e, inputs, out); err != nil {
		return nil, nil, err
	}
	nodes := s.Nodes()
	times := make([]NodeTime, len(nodes))
	for i := range nodes {
		times[i] = NodeTime{NodeInfo: nodes[i], Time: e.prof[i]}
	}
	return out, times, nil
}

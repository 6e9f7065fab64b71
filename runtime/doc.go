// Package runtime compiles an ir.Model once into a Session and runs it.
//
// NewSession resolves each node's operator schema for the model's opsets,
// reports every unsupported operator in one error, compiles subgraphs (If,
// Loop, Scan, SequenceMap) with their enclosing scope, infers types and
// shapes (symbolic dims allowed), folds constant subgraphs (such as the
// Shape→Gather→Concat→Reshape chains PyTorch exports), rewrites the graph
// (Identity/Dropout removal, BatchNormalization folded into Conv, Conv/Gemm
// fused with a residual Add and an activation; WithGraphOptimizations turns
// this off), chooses a kernel per node from the registered backends by
// priority, and plans the memory of intermediate tensors once, from their
// lifetimes, into arenas reused by every Run. Shapes not known at compile
// time are inferred on the actual inputs at run time, so a model with
// symbolic dims runs at any valid size.
//
// Run executes the plan; it is safe for concurrent use. It checks its
// context between nodes and between the chunks of a large node, and returns
// ctx.Err() soon after the context is done, leaving the Session usable.
// RunInto writes the outputs into the caller's tensors; RunProfiled times
// every node. WithThreads(n) gives a Session a worker pool that kernels
// split large work over; each Run uses it only if the Session's recent
// Runs were faster with it than without (another program busy on the other
// cores makes the workers a loss). Close waits for the Runs in flight; later Runs
// return ErrClosed.
//
// # Untrusted models
//
// A model is input from whoever wrote it. Compilation refuses malformed
// graphs (cycles, undefined values, attributes of the wrong type) with an
// error naming the node, and Limits (WithLimits; DefaultLimits otherwise)
// bound tensor sizes, the memory of a Run (initializers, arena, and the
// tensors it holds beyond the arena at any moment, subgraphs and Loop
// iterations included), subgraph nesting and node count, at compile time
// and, for shapes computed from input values, at run time before
// allocating: errors wrap ErrLimit (at run time, naming the node). A panic
// in a kernel (a bug), on the calling goroutine or a pool worker, becomes
// an error wrapping ErrKernel naming the node. Nothing in compilation
// recurses per node, so long chains compile (a 10,000-node chain takes
// ~0.1 s).
//
//	m, err := onnx.LoadFile("model.onnx")
//	s, err := runtime.NewSession(m, runtime.WithThreads(1))
//	defer s.Close()
//	out, err := s.Run(ctx, map[string]*tensor.Tensor{"input": x})
//
// Importing runtime links the pure-Go generic backend; importing
// backends/amd64 or backends/arm64 adds faster kernels where the CPU has them.
package runtime

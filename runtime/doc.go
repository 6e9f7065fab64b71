// Package runtime compiles an ir.Model once into a Session and runs it.
//
// NewSession resolves each node's operator schema for the model's opsets,
// reports every unsupported operator in one error, infers types and shapes
// (symbolic dims allowed), folds constant subgraphs (such as the
// Shape→Gather→Concat→Reshape chains PyTorch exports), chooses a kernel per
// node from the registered backends by priority, and emits a flat execution
// plan. Run executes that plan; it is safe for concurrent use and checks its
// context between nodes.
//
//	m, err := onnx.LoadFile("model.onnx")
//	s, err := runtime.NewSession(m, runtime.WithThreads(1))
//	defer s.Close()
//	out, err := s.Run(ctx, map[string]*tensor.Tensor{"input": x})
//
// Importing runtime links the pure-Go generic backend; importing
// backends/amd64 or backends/arm64 adds faster kernels where the CPU has them.
package runtime

// Package ops says what each operator means and who can run it.
//
// A Schema describes one ONNX operator over a range of opset versions: its
// arity, its typed attributes with the spec's defaults, and a shape and type
// inference function that works on symbolic shapes at compile time and on
// concrete shapes at run time. The kernel registry is the plugin API:
// backends (ours in backends/..., or a third party's) call RegisterKernel in
// init() with a backend name and a priority, and the runtime asks the
// registered factories, highest priority first, for a Kernel for each node
// once, when a session is built.
//
// A package outside onyx adds a custom operator by registering its Schema
// with RegisterSchema and its kernel with RegisterKernel, then importing that
// package for its side effects before building a session.
package ops

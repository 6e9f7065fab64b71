// Package train will run backpropagation through onyx's operators: gradient
// rules per op that emit ops the runtime executes, losses, optimizers, a Fit
// loop and export of the trained inference graph to ONNX.
//
// It is a placeholder until that work lands; it exports nothing yet.
package train

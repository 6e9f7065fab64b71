// Package train differentiates onyx graphs: reverse-mode automatic
// differentiation over the IR, where each operator's gradient rule emits
// ordinary nodes, so that the backward pass is compiled and run by the same
// runtime, on the same kernels, as the forward pass. It also builds losses,
// switches BatchNormalization and Dropout to training mode, and implements
// ONNX's Gradient operator (ai.onnx.preview.training).
//
// # Getting a training graph
//
// Start from a forward model whose trainable parameters are initializers
// (or graph inputs), then:
//
//	tm, stats, err := train.TrainingMode(m)                        // BN batch statistics, Dropout masks
//	loss, err := train.SoftmaxCrossEntropyLoss(tm, "logits", "labels") // appends the loss; adds input "labels"
//	res, err := train.Backward(tm, loss, params, nil)              // params: the names to differentiate
//	sess, err := runtime.NewSession(res.Model)                     // compile once
//
// Each training step feeds the data, the current parameters and the
// running statistics, and reads the loss, the gradients and the updated
// statistics:
//
//	feed := map[string]*tensor.Tensor{"x": x, "labels": y}
//	for _, p := range params { feed[p] = value[p] }      // initially res.Params[p]
//	for _, s := range stats { feed[s.Input] = state[s.Input] } // initially s.Init
//	out, err := sess.Run(ctx, feed)
//	lossValue := out[loss]
//	for i, p := range res.Wrt { grad := out[res.Grads[i]]; ... } // same order as params
//	for _, s := range stats { state[s.Input] = out[s.Output] }
//
// What each step returns:
//   - res.Model's outputs are the forward model's outputs (including the
//     loss and, after TrainingMode, the updated running statistics), then
//     one gradient per differentiated value, named res.Grads[i] (the value's
//     name with a "_grad" suffix, made unique), of the value's type and shape.
//   - Backward turns differentiated initializers into graph inputs, so that
//     one compiled Session serves every step while the parameters change;
//     their initial values are in res.Params. (Options.KeepInitializers
//     keeps them constant instead.)
//   - TrainingMode turns each BatchNormalization's running mean and variance
//     into graph inputs, and their updated values (momentum*old +
//     (1-momentum)*batch, the batch variance being the population one) into
//     graph outputs: StatUpdate.Input and StatUpdate.Output. Feed the
//     outputs of one step as the inputs of the next, and write the final
//     values into the inference model's initializers.
//   - The inference (eval) graph is the forward model as it was before
//     TrainingMode: BatchNormalization uses the running statistics, Dropout
//     is the identity (from opset 7; at opset 6 when is_test = 1).
//
// The loss builders append to the model they are given (they modify it)
// and return the name of a float scalar that is also a graph output:
// MSELoss (mean squared error), SoftmaxCrossEntropyLoss (integer class
// labels, mean over the batch) and BCEWithLogitsLoss (binary cross-entropy
// on logits, in the stable form softplus(x) - x*t). A target or label name
// that the graph does not have becomes a new graph input. Backward and
// TrainingMode never modify their argument.
//
// # Backward
//
// Backward(m, y, wrt, opt) walks the nodes on paths from the wrt values to
// y in reverse topological order. A node's rule receives the gradients of
// its outputs and emits the gradients of those inputs that depend on a wrt
// value; the gradients of a value used several times are summed (Sum).
// Broadcast operands of Add, Sub, Mul, Div, Pow, Where, Sum, Mean, Expand,
// Gemm's C and MatMul's batch dims get their gradient summed back to their
// shape: ReduceSum and Reshape when the broadcast axes are known when the
// graph is built, else onyx's ReduceSumTo, which decides at run time.
// Integer and bool values, and the outputs of Shape, Size, Constant,
// ConstantOfShape, Floor, Ceil, Round, Sign and the random ops, carry no
// gradient. A non-scalar y is differentiated as the sum of its elements,
// or from a seed gradient given by Options.Seed. An operator on the path
// without a rule gives an error wrapping ErrNoGradient that names the node
// and the operator.
//
// Rules exist for Add, Sub, Mul, Div, Pow, Sum, Mean, Where, Neg,
// Identity, Exp, Log, Sqrt, Reciprocal, Abs, Relu, LeakyRelu, Sigmoid,
// Tanh, Softplus, Cast, Gemm, MatMul, Conv, MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, BatchNormalization (training and
// inference mode), Dropout, Softmax, LogSoftmax (both axis semantics),
// SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss, Reshape, Flatten,
// Squeeze, Unsqueeze, Transpose, Concat, Split, Expand, ReduceSum and
// ReduceMean. Standard ops are emitted in the model's opset (9 or later);
// the adjoints the standard set lacks are onyx's own ops in the domain
// ai.onyx.training (ops.GradDomain, opset 1), which Backward adds to the
// model's imports: ConvGradInput, ConvGradWeight, MaxPoolGrad,
// AveragePoolGrad, BatchNormalizationGrad, DropoutGrad,
// SoftmaxCrossEntropyLossGrad, NegativeLogLikelihoodLossGrad and
// ReduceSumTo, with kernels in backends/generic.
//
// RegisterGradient adds or replaces the rule of an operator: a package
// that registers a custom op makes it differentiable the same way.
//
// # Training a network
//
// A Net is a model whose parameters are initializers: build one from layers
// (Sequential of Conv2D, Linear, BatchNorm2D, Dropout, MaxPool2D, AvgPool2D,
// Flatten, ReLU, LeakyReLU, Sigmoid, Tanh, with PyTorch's seeded default
// initialisation) or take an imported ONNX model's initializers for
// fine-tuning with NetFromModel. Fit(ctx, net, data, FitOptions) trains it:
// the training graph (forward, loss, Backward, TrainingMode) is compiled once
// into a runtime.Session; batches are shuffled with a seed; an Optimizer
// (NewSGD with momentum/Nesterov/weight decay, NewAdam, NewAdamW, with
// PyTorch's update rules) and an optional step or cosine learning-rate
// schedule update the weights; callbacks see every epoch (early stopping,
// checkpoints); the History writes CSV and a loss/accuracy PNG. A checkpoint
// holds weights, optimizer state, step and RNG state, so a resumed run ends
// at the same weights as an uninterrupted one. Export / ExportModel write
// the inference graph (Dropout removed, BatchNorm with running statistics)
// as .onnx at a chosen opset. ReadIDX, LoadMNIST and LoadNPY read data sets.
// `onyx train` drives all of it on Fashion-MNIST.
//
// # The Gradient operator
//
// Importing train registers the kernel of ai.onnx.preview.training's
// Gradient (backend "train"): when a session is compiled, it cuts from the
// node's graph the nodes that compute y from xs and zs, differentiates them
// with Backward, and compiles that backward graph once; each Run feeds it
// the node's inputs. cmd/onyx and package testcase import train for it.
package train

package main

import (
	_ "embed"
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/tensor"
)

// The demo `onyx run` uses without a MODEL: the mnist_cnn case of onyx's
// model zoo (Conv-Relu-MaxPool twice, Flatten, Gemm, Softmax on a 1x1x28x28
// input), with its input and expected output.
var (
	//go:embed bundled/model.onnx
	bundledModelBytes []byte
	//go:embed bundled/input_0.pb
	bundledInputBytes []byte
	//go:embed bundled/output_0.pb
	bundledOutputBytes []byte
)

const (
	bundledName        = "mnist_cnn"
	bundledDescription = "an MNIST-shaped CNN with untrained weights (seeded-random), run on a random-noise 28x28 input: " +
		"its prediction shows the runtime works, not that it recognises a digit"
)

// bundledLabels names the bundled model's ten classes.
var bundledLabels = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

func bundledModel() (*ir.Model, error) {
	m, err := onnx.Decode(bundledModelBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoBundledInput, err)
	}
	return m, nil
}

func bundledInput() (*tensor.Tensor, error) {
	return decodeBundledTensor(bundledInputBytes)
}

func bundledOutput() (*tensor.Tensor, error) {
	return decodeBundledTensor(bundledOutputBytes)
}

func decodeBundledTensor(b []byte) (*tensor.Tensor, error) {
	t, err := onnx.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoBundledInput, err)
	}
	return t, nil
}

package main

import (
	_ "embed"
	"fmt"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/onnx"
	"github.com/onyxml/onyx/tensor"
)

// The demo `onyx run` uses without a MODEL: a Fashion-MNIST classifier that
// onyx trained itself, with sample images and its expected output.
//
//   - bundled/model.onnx: `onyx train --epochs 12 --cosine --seed 1` (the
//     built-in CNN: Conv3x3-BatchNorm-Relu-MaxPool twice, 16 then 32
//     channels, Flatten, Gemm) trained on the 60,000 Fashion-MNIST training
//     images of Debian's dataset-fashion-mnist. Input "image" float32
//     [N,1,28,28] with pixels scaled to [0,1]; output "logits" [N,10].
//   - bundled/input_0.pb: the first 8 images of the t10k test set, float32
//     [8,1,28,28] (pixel/255).
//   - bundled/output_0.pb: onyx's logits for them, [8,10] (onnxruntime 1.30
//     gives the same within 4e-6).
var (
	//go:embed bundled/model.onnx
	bundledModelBytes []byte
	//go:embed bundled/input_0.pb
	bundledInputBytes []byte
	//go:embed bundled/output_0.pb
	bundledOutputBytes []byte
)

const (
	bundledName        = "fashion_mnist_cnn"
	bundledDescription = "a Fashion-MNIST clothing classifier (a 2-conv CNN, 20.7K parameters) that onyx trained itself " +
		"with `onyx train --epochs 12 --cosine --seed 1` (test accuracy 91.69% on the 10,000 t10k images)"
)

// bundledLabels names the bundled model's ten classes, Fashion-MNIST's.
var bundledLabels = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// bundledTrueClasses are the true classes (indices into bundledLabels) of
// the bundled images, in order: the labels of the first 8 images in
// Fashion-MNIST's t10k-labels-idx1-ubyte.
var bundledTrueClasses = []int{9, 2, 1, 1, 6, 1, 4, 6}

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

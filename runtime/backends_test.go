package runtime_test

// The tests run the models on the kernels a program would use: the
// architecture's fast backends where the CPU has them, generic elsewhere.
import (
	_ "github.com/onyxml/onyx/backends/amd64"
	_ "github.com/onyxml/onyx/backends/arm64"
)

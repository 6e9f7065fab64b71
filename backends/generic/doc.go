// Package generic holds onyx's pure-Go kernels: one for every supported
// operator, on every GOARCH. They are the portable path and the reference
// that every faster kernel (backends/amd64, backends/arm64) is tested
// against, so they favour clarity over speed.
//
// Importing the package registers its kernels with ops.RegisterKernel under
// the backend name "generic" at ops.PriorityGeneric. The runtime imports it.
package generic

import "github.com/onyxml/onyx/ops"

// Name is this backend's name in the kernel registry.
const Name = "generic"

// register adds a generic kernel factory for op in the default domain.
func register(op string, f ops.KernelFactory) {
	ops.RegisterKernel(ops.KernelDef{Op: op, Backend: Name, Priority: ops.PriorityGeneric, New: f})
}

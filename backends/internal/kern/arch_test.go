package kern_test

// The architecture packages register their ISAs with kern when imported:
// linked into this test binary, they make kern's tests (testISAs) run every
// tier this CPU has, as well as the Go one.

import (
	_ "github.com/onyxml/onyx/backends/amd64"
	_ "github.com/onyxml/onyx/backends/arm64"
)

package runtime

import (
	"fmt"
	"os"
	"strings"
)

// Option configures a Session.
type Option func(*config) error

type config struct {
	optimize bool
	threads  int
	dims     map[string]int
	backends []string // if set, only these backends (plus generic) are asked
	limits   Limits
}

// WithThreads sets how many threads kernels may use (default 1).
func WithThreads(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("runtime: WithThreads(%d): need at least 1", n)
		}
		c.threads = n
		return nil
	}
}

// WithGraphOptimizations turns the graph rewrites on (the default) or off:
// dropping Identity and inference Dropout, folding BatchNormalization into
// Conv, MatMul+Add into Gemm, and fusing Conv/Gemm with a residual Add and
// an activation. Off, every node of the model runs as written (tools that
// report per-layer facts use this).
func WithGraphOptimizations(on bool) Option {
	return func(c *config) error {
		c.optimize = on
		return nil
	}
}

// WithDim fixes the symbolic dimension name (a dim_param such as "batch") to
// size, so that shapes become concrete at compile time.
func WithDim(name string, size int) Option {
	return func(c *config) error {
		if size < 0 {
			return fmt.Errorf("runtime: WithDim(%q, %d): negative size", name, size)
		}
		c.dims[name] = size
		return nil
	}
}

// WithBackends restricts kernel choice among onyx's CPU tiers (generic,
// avx2, avx512, neon) to the named ones; "generic" is always allowed as the
// fallback, and backends registered by other packages are never filtered. The environment
// variable ONYX_CPU=generic|avx2|avx512|neon has the same effect for
// sessions built without this option.
func WithBackends(names ...string) Option {
	return func(c *config) error {
		c.backends = append([]string(nil), names...)
		return nil
	}
}

// cpuTiers are the backend names ONYX_CPU and WithBackends choose among.
var cpuTiers = map[string]bool{"generic": true, "avx2": true, "avx512": true, "neon": true}

func newConfig(opts []Option) (*config, error) {
	c := &config{threads: 1, dims: map[string]int{}, optimize: true, limits: DefaultLimits}
	if env := strings.TrimSpace(os.Getenv("ONYX_CPU")); env != "" {
		c.backends = strings.Split(env, ",")
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *config) allow() func(string) bool {
	if len(c.backends) == 0 {
		return nil
	}
	set := map[string]bool{"generic": true}
	for _, b := range c.backends {
		set[strings.TrimSpace(b)] = true
	}
	// Only onyx's own CPU tiers are filtered: a user's backend (a custom op
	// or kernel registered from another package) is always allowed.
	return func(b string) bool { return set[b] || !cpuTiers[b] }
}

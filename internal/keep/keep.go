// Package keep provides List, a free list of reusable objects (run states,
// scratch buffers) for the runtime and the kernels.
package keep

import "sync"

// List is a free list, like a sync.Pool that the garbage collector never
// empties: a pool loses its items at every collection (and the Go runtime
// forces one every 2 minutes), so the next call would allocate, and fault
// in, its arenas or scratch again. A List holds as many items as calls ever
// used at once. The zero List is ready to use.
type List[T any] struct {
	mu   sync.Mutex
	free []*T
	// New makes an item when none is free; nil: Get returns nil.
	New func() *T
}

// Get returns a free item, or a new one (nil if New is nil).
func (k *List[T]) Get() *T {
	k.mu.Lock()
	if n := len(k.free); n > 0 {
		x := k.free[n-1]
		k.free[n-1] = nil
		k.free = k.free[:n-1]
		k.mu.Unlock()
		return x
	}
	k.mu.Unlock()
	if k.New == nil {
		return nil
	}
	return k.New()
}

// Put gives x back for a later Get.
func (k *List[T]) Put(x *T) {
	k.mu.Lock()
	k.free = append(k.free, x)
	k.mu.Unlock()
}

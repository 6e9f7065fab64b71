package kern

import "sync"

// keep is a free list of per-call scratch (run structs, packing buffers),
// like a sync.Pool that the garbage collector never empties: a pool lost its
// items at every collection (and a forced one comes every 2 minutes), so a
// later Run allocated and faulted in its scratch again. It holds as many
// items as calls ever ran at once.
type keep[T any] struct {
	mu   sync.Mutex
	free []*T
	// New makes an item when none is free; nil: Get returns nil.
	New func() *T
}

// Get returns a free item, or a new one.
func (k *keep[T]) Get() *T {
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
func (k *keep[T]) Put(x *T) {
	k.mu.Lock()
	k.free = append(k.free, x)
	k.mu.Unlock()
}

package runtime

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestPoolRunsEveryChunkOnce(t *testing.T) {
	for _, threads := range []int{2, 3, 8} {
		p := newPool(threads)
		p.running.Add(1)
		for _, n := range []int{0, 1, 2, 7, 100, 1000} {
			hits := make([]atomic.Int32, n)
			p.For(n, func(i int) { hits[i].Add(1) })
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("threads %d, n %d: chunk %d ran %d times", threads, n, i, h)
				}
			}
		}
		// Loops from concurrent callers: one uses the pool, the others run
		// inline; every chunk still runs once.
		var wg sync.WaitGroup
		var total atomic.Int64
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					p.For(64, func(i int) { total.Add(int64(i)) })
				}
			}()
		}
		wg.Wait()
		if want := int64(4 * 50 * (63 * 64 / 2)); total.Load() != want {
			t.Errorf("threads %d: concurrent loops summed %d, want %d", threads, total.Load(), want)
		}
		p.running.Add(-1)
		p.close()
	}
}

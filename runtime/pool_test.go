package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onyxml/onyx/ops"
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

// TestPoolForUntilStops checks that a loop stops claiming chunks once its
// done channel is closed, on the pool and inline (a busy pool), and that
// ops.ExecContext.ParallelFor passes the Run's context down.
func TestPoolForUntilStops(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.running.Add(1)
	defer p.running.Add(-1)
	for _, inline := range []bool{false, true} {
		if inline {
			p.busy.Lock() // another loop holds the pool: this one runs inline
		}
		done := make(chan struct{})
		var ran, atClose atomic.Int32
		p.ForUntil(done, 1000, func(i int) {
			if ran.Add(1) == 10 {
				close(done)
				atClose.Store(ran.Load())
			}
		})
		// Chunks claimed before the close finish (the other thread may
		// start some while the 10th closes); at most one per thread
		// starts after it.
		if n, c := ran.Load(), atClose.Load(); c < 10 || n > c+2 {
			t.Errorf("inline=%v: %d chunks ran, %d when the 10th closed done", inline, n, c)
		}
		if inline {
			p.busy.Unlock()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, pool := range []ops.Parallel{p, nil} {
		var ran, atCancel atomic.Int32
		ec := &ops.ExecContext{Ctx: ctx, Threads: 2, Pool: pool}
		ec.ParallelFor(100, func(i int) {
			if ran.Add(1) == 5 {
				cancel()
				atCancel.Store(ran.Load())
			}
		})
		if n, c := ran.Load(), atCancel.Load(); c < 5 || n > c+2 {
			t.Errorf("pool=%v: ParallelFor ran %d chunks, %d when the 5th cancelled", pool != nil, n, c)
		}
		ctx, cancel = context.WithCancel(context.Background())
	}
	cancel()
}

// TestPoolChunkPanic checks that a panic in a chunk, on a worker or on the
// caller, reaches the caller once every thread has left the loop, and that
// the pool works afterwards.
func TestPoolChunkPanic(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.running.Add(1)
	defer p.running.Add(-1)
	for _, bad := range []int{0, 1, 63} {
		var inside atomic.Int32
		got := func() (r any) {
			defer func() { r = recover() }()
			p.For(64, func(i int) {
				inside.Add(1)
				defer inside.Add(-1)
				if i == bad {
					panic("boom")
				}
			})
			return nil
		}()
		cp, ok := got.(*chunkPanic)
		if !ok || cp.val != "boom" {
			t.Fatalf("chunk %d panicked: the caller got %v", bad, got)
		}
		if n := inside.Load(); n != 0 {
			t.Fatalf("%d chunks still running after the caller's panic", n)
		}
		var sum atomic.Int64
		p.For(10, func(i int) { sum.Add(int64(i)) })
		if sum.Load() != 45 {
			t.Fatalf("after a panic the pool summed %d, want 45", sum.Load())
		}
	}
}

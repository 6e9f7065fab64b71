package runtime

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// pool is a session's worker threads for ops.ExecContext.ParallelFor.
//
// Facts behind its shape (measured on 2-vCPU VMs, see DESIGN.md): waking an
// idle vCPU costs 0.1-3 ms and a busy sibling can stall a worker, so
//   - the calling goroutine always works too, claiming chunks from an atomic
//     counter: a descheduled worker only means fewer helpers, never a wait
//     for its chunk;
//   - workers spin briefly for the next loop only while a Run is in
//     progress, and park on a channel between Runs;
//   - one parallel loop runs at a time; a loop started while another runs
//     (from a concurrent Run) runs on its caller alone;
//   - when another program keeps the other core busy, the workers only get
//     in the caller's way (the OS runs them on the caller's core, or
//     deschedules one holding a chunk the caller then waits for): resnet18
//     took 1.8x as long with 2 threads as with 1. So each Run either uses
//     the workers or runs every loop on its caller alone, whichever the
//     recent Runs of the session found faster (pick and record).
type pool struct {
	wake    []chan struct{}
	running atomic.Int32 // Runs in progress
	busy    sync.Mutex   // held by the caller of the current loop

	// The current loop. fn and n are written before open is set and read
	// only after open is seen set; the caller waits for refs to drop to
	// zero before it returns (and before the next loop reuses them).
	fn    func(int)
	n     int64
	until <-chan struct{} // nil, or closed when the loop's Run is cancelled
	// failed holds the first panic of the loop's chunks, for the caller.
	failed atomic.Pointer[chunkPanic]
	next   atomic.Int64
	open   atomic.Bool
	refs   atomic.Int32

	stop chan struct{}
	done sync.WaitGroup

	modes modeStats
}

// modeStats learns, from the times of a session's Runs, whether its Runs
// are faster with the workers (mode 1) or on their caller alone (mode 0).
type modeStats struct {
	mu    sync.Mutex
	runs  int
	times [2][modeSamples]time.Duration // the latest Run times of each mode
	n     [2]int                        // samples recorded per mode
}

const (
	modeSamples = 5  // a mode's time is the median of its latest 5 Runs
	modeExplore = 16 // every 16th Run tries the mode that is not the best
)

// pick reports whether the Run about to start should use the workers:
// while either mode has fewer than modeSamples times the Runs alternate,
// then they take the mode with the lower median time, trying the other one
// every modeExplore Runs so that a change of load is noticed.
func (p *pool) pick() bool {
	m := &p.modes
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs++
	if m.runs == 1 || m.n[0] < modeSamples || m.n[1] < modeSamples {
		return m.n[1] <= m.n[0]
	}
	best := m.median(1) <= m.median(0)
	if m.runs%modeExplore == 0 {
		return !best
	}
	return best
}

// record notes the time d of a Run made in the given mode. Runs that
// overlapped other Runs of the session say nothing about the mode and are
// not recorded, nor is a session's first Run (it warms caches up).
func (p *pool) record(workers bool, d time.Duration) {
	if p.running.Load() > 1 {
		return
	}
	m := &p.modes
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == 1 {
		return
	}
	i := 0
	if workers {
		i = 1
	}
	m.times[i][m.n[i]%modeSamples] = d
	m.n[i]++
}

// median is the median of mode i's recorded times (m.mu held).
func (m *modeStats) median(i int) time.Duration {
	k := min(m.n[i], modeSamples)
	var t [modeSamples]time.Duration
	copy(t[:], m.times[i][:k])
	slices.Sort(t[:k])
	return t[k/2]
}

// spinFor is how long an idle worker polls for the next loop while a Run is
// in progress, before parking.
const spinFor = 50 * time.Microsecond

func newPool(threads int) *pool {
	p := &pool{stop: make(chan struct{})}
	for range threads - 1 {
		w := make(chan struct{}, 1)
		p.wake = append(p.wake, w)
		p.done.Add(1)
		go p.worker(w)
	}
	return p
}

// For runs fn(i) for i in [0, n) on the caller and the workers.
func (p *pool) For(n int, fn func(int)) { p.ForUntil(nil, n, fn) }

// ForUntil is For, skipping the chunks not yet claimed once done (nil:
// never) is closed.
func (p *pool) ForUntil(done <-chan struct{}, n int, fn func(int)) {
	if !p.busy.TryLock() {
		for i := range n {
			if cancelled(done) {
				return
			}
			fn(i)
		}
		return
	}
	defer p.busy.Unlock()
	p.fn, p.n, p.until = fn, int64(n), done
	p.next.Store(0)
	p.open.Store(true)
	for _, w := range p.wake {
		select {
		case w <- struct{}{}:
		default: // already awake
		}
	}
	p.claim()
	p.open.Store(false)
	for p.refs.Load() != 0 {
		goruntime.Gosched()
	}
	if cp := p.failed.Swap(nil); cp != nil {
		panic(cp) // on the caller's goroutine, where the runtime recovers it
	}
}

// chunkPanic is a panic raised by a chunk of a parallel loop (a bug in a
// kernel), carried from the goroutine that ran the chunk to the loop's
// caller.
type chunkPanic struct {
	val   any
	stack []byte
}

func (c *chunkPanic) Error() string {
	return fmt.Sprintf("%v (in a chunk of a parallel loop)\n%s", c.val, c.stack)
}

// claim runs chunks until none is left. A chunk that panics ends the loop:
// no further chunk is claimed, and the caller re-raises the panic once every
// thread has left the loop, so a bug in a kernel never crashes a worker
// goroutine (and with it the program) nor leaves a worker writing into
// memory the Run has moved on from.
func (p *pool) claim() {
	defer func() {
		if r := recover(); r != nil {
			p.failed.CompareAndSwap(nil, &chunkPanic{val: r, stack: debug.Stack()})
			p.next.Store(p.n)
		}
	}()
	for {
		i := p.next.Add(1) - 1
		if i >= p.n || cancelled(p.until) {
			return
		}
		p.fn(int(i))
	}
}

// cancelled reports whether done (nil: never) is closed.
func cancelled(done <-chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func (p *pool) join() {
	p.refs.Add(1)
	if p.open.Load() {
		p.claim()
	}
	p.refs.Add(-1)
}

func (p *pool) worker(wake chan struct{}) {
	defer p.done.Done()
	for {
		select {
		case <-p.stop:
			return
		case <-wake:
		}
		p.join()
		// Spin for the next loop while a Run is in progress.
		for deadline := time.Now().Add(spinFor); p.running.Load() > 0 && time.Now().Before(deadline); {
			if p.open.Load() {
				p.join()
				deadline = time.Now().Add(spinFor)
			}
			goruntime.Gosched()
		}
	}
}

func (p *pool) close() {
	close(p.stop)
	p.done.Wait()
}

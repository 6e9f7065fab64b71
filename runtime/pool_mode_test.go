package runtime

import (
	"testing"
	"time"
)

// TestPoolPicksFasterMode: after alternating to time both modes, Runs take
// the faster one, trying the other every modeExplore Runs, and follow a
// change of load.
func TestPoolPicksFasterMode(t *testing.T) {
	p := newPool(2)
	defer p.close()
	speed := map[bool]time.Duration{true: 20 * time.Millisecond, false: 30 * time.Millisecond}
	run := func() bool {
		w := p.pick()
		p.record(w, speed[w])
		return w
	}
	count := func(runs int) (workers int) {
		for range runs {
			if run() {
				workers++
			}
		}
		return workers
	}
	count(2*modeSamples + 1) // warm-up: both modes timed
	if w := count(10 * modeExplore); w != 10*modeExplore-10 {
		t.Errorf("workers faster: %d of %d Runs used them, want all but the %d explorations", w, 10*modeExplore, 10)
	}
	// The other core gets busy: the workers now slow Runs down.
	speed[true] = 50 * time.Millisecond
	count(3 * modeExplore * modeSamples) // the explorations notice
	if w := count(10 * modeExplore); w != 10 {
		t.Errorf("workers slower: %d of %d Runs used them, want only the %d explorations", w, 10*modeExplore, 10)
	}
}

// TestPoolModeIgnoresOverlappingRuns: a Run that overlapped another is not
// evidence for its mode.
func TestPoolModeIgnoresOverlappingRuns(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.pick()
	p.pick()
	p.running.Store(2)
	p.record(true, time.Second)
	if p.modes.n[1] != 0 {
		t.Error("an overlapping Run was recorded")
	}
	p.running.Store(1)
	p.record(true, time.Second)
	if p.modes.n[1] != 1 {
		t.Error("a lone Run was not recorded")
	}
}

package train

// Checkpoints: everything a Fit needs to continue exactly where it
// stopped, in one gob file written atomically.

import (
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onyxml/onyx/tensor"
)

// CheckpointFile is the name of the checkpoint inside a checkpoint
// directory.
const CheckpointFile = "checkpoint.gob"

// ckTensor is a tensor in a checkpoint.
type ckTensor struct {
	DType tensor.DType
	Shape []int
	F32   []float32
	F64   []float64
}

func toCk(t *tensor.Tensor) (ckTensor, error) {
	c := ckTensor{DType: t.DType(), Shape: append([]int(nil), t.Shape()...)}
	switch t.DType() {
	case tensor.Float32:
		c.F32 = tensor.Data[float32](t)
	case tensor.Float64:
		c.F64 = tensor.Data[float64](t)
	default:
		return c, fmt.Errorf("train: checkpoint of a %v tensor", t.DType())
	}
	return c, nil
}

func (c ckTensor) tensor() (*tensor.Tensor, error) {
	n, err := tensor.NumElements(c.Shape)
	if err != nil {
		return nil, err
	}
	switch {
	case c.DType == tensor.Float32 && len(c.F32) == n:
		return tensor.FromSlice(c.F32, c.Shape...)
	case c.DType == tensor.Float64 && len(c.F64) == n:
		return tensor.FromSlice(c.F64, c.Shape...)
	}
	return nil, fmt.Errorf("train: corrupt checkpoint tensor (%v%v)", c.DType, c.Shape)
}

// checkpoint is the gob-encoded content.
type checkpoint struct {
	Epoch   int
	RNG     []byte
	History History
	Params  map[string]ckTensor
	Stats   map[string]ckTensor
	Steps   int64
	LR      float64
	Slots   map[string]ckTensor
}

func saveCheckpoint(dir string, params []Param, su []StatUpdate, stats map[string]*tensor.Tensor, o Optimizer, st *fitState) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng, err := st.rng.MarshalBinary()
	if err != nil {
		return err
	}
	ost := o.State()
	ck := checkpoint{Epoch: st.epoch, RNG: rng, History: st.history, Params: map[string]ckTensor{},
		Stats: map[string]ckTensor{}, Slots: map[string]ckTensor{}, Steps: ost.Steps, LR: ost.LR}
	for _, p := range params {
		if ck.Params[p.Name], err = toCk(p.Value); err != nil {
			return err
		}
	}
	for _, s := range su {
		if ck.Stats[s.Input], err = toCk(stats[s.Input]); err != nil {
			return err
		}
	}
	for _, k := range ost.slotNames() {
		if ck.Slots[k], err = toCk(ost.Slots[k]); err != nil {
			return err
		}
	}
	return writeGobAtomic(filepath.Join(dir, CheckpointFile), &ck)
}

func writeGobAtomic(path string, v any) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ckpt-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := gob.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// loadCheckpoint restores a checkpoint into the parameters (in place), the
// running statistics' initial tensors (in place), the optimizer and st. A
// missing file gives an error wrapping os.ErrNotExist.
func loadCheckpoint(dir string, params []Param, su []StatUpdate, o Optimizer, st *fitState) error {
	path := filepath.Join(dir, CheckpointFile)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var ck checkpoint
	if err := gob.NewDecoder(f).Decode(&ck); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	restore := func(name string, c ckTensor, ok bool, dst *tensor.Tensor) error {
		if !ok {
			return fmt.Errorf("train: checkpoint %s has no %q (a different model?)", path, name)
		}
		t, err := c.tensor()
		if err != nil {
			return err
		}
		if err := dst.CopyFrom(t); err != nil {
			return fmt.Errorf("train: checkpoint %s: %q: %w", path, name, err)
		}
		return nil
	}
	for _, p := range params {
		c, ok := ck.Params[p.Name]
		if err := restore(p.Name, c, ok, p.Value); err != nil {
			return err
		}
	}
	for _, s := range su {
		if s.Init == nil {
			return fmt.Errorf("train: running statistic %q has no initial tensor to restore into", s.Input)
		}
		c, ok := ck.Stats[s.Input]
		if err := restore(s.Input, c, ok, s.Init); err != nil {
			return err
		}
	}
	ost := OptimState{Steps: ck.Steps, LR: ck.LR, Slots: map[string]*tensor.Tensor{}}
	for k, c := range ck.Slots {
		if ost.Slots[k], err = c.tensor(); err != nil {
			return err
		}
	}
	if err := o.SetState(ost); err != nil {
		return err
	}
	if err := st.rng.UnmarshalBinary(ck.RNG); err != nil {
		return fmt.Errorf("train: checkpoint %s: RNG state: %w", path, err)
	}
	st.epoch, st.history = ck.Epoch, ck.History
	return nil
}

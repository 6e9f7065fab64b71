package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
	"github.com/onyxml/onyx/tensor"
)

// profNode returns a NodeTime of one node with the given shapes.
func profNode(domain, op, name, backend string, d time.Duration, in []ir.Shape, out ir.Shape, attrs ...*ir.Attribute) runtime.NodeTime {
	n := &ir.Node{Domain: domain, OpType: op, Name: name, Outputs: []string{name + "_out"}, Attrs: attrs}
	ni := runtime.NodeInfo{Node: n, Backend: backend, Out: []ops.TypeShape{ops.Ranked(tensor.Float32, out)}}
	for _, s := range in {
		n.Inputs = append(n.Inputs, "in")
		ni.In = append(ni.In, ops.Ranked(tensor.Float32, s))
	}
	return runtime.NodeTime{NodeInfo: ni, Time: d}
}

func TestOnyxProfileMACs(t *testing.T) {
	// Conv 1x3x8x8 * 4x3x3x3 -> 1x4x6x6: 4*6*6 outputs of 3*3*3 MACs each.
	convIn := []ir.Shape{ir.ShapeOf(1, 3, 8, 8), ir.ShapeOf(4, 3, 3, 3), ir.ShapeOf(4)}
	for _, c := range []struct {
		nt   runtime.NodeTime
		want int64
	}{
		{profNode("", "Conv", "c", "generic", 0, convIn, ir.ShapeOf(1, 4, 6, 6)), 4 * 36 * 27},
		{profNode(ops.OnyxDomain, "FusedConv", "fc", "generic", 0, convIn, ir.ShapeOf(1, 4, 6, 6)), 4 * 36 * 27},
		// Gemm with transA: A is K x M = 5x2, B 5x7 -> 2x7, K = 5.
		{profNode("", "Gemm", "g", "generic", 0, []ir.Shape{ir.ShapeOf(5, 2), ir.ShapeOf(5, 7)}, ir.ShapeOf(2, 7),
			&ir.Attribute{Name: "transA", Type: ir.AttrInt, Int: 1}), 2 * 7 * 5},
		{profNode(ops.OnyxDomain, "FusedGemm", "fg", "generic", 0, []ir.Shape{ir.ShapeOf(2, 5), ir.ShapeOf(5, 7)}, ir.ShapeOf(2, 7)), 2 * 7 * 5},
		{profNode("", "MatMul", "m", "generic", 0, []ir.Shape{ir.ShapeOf(3, 2, 4), ir.ShapeOf(4, 6)}, ir.ShapeOf(3, 2, 6)), 3 * 2 * 6 * 4},
		{profNode("", "Relu", "r", "generic", 0, []ir.Shape{ir.ShapeOf(3)}, ir.ShapeOf(3)), 0},
		{profNode("other.domain", "FusedConv", "o", "generic", 0, convIn, ir.ShapeOf(1, 4, 6, 6)), 0},
	} {
		got, unknown := profMACs(c.nt.NodeInfo)
		if got != c.want || unknown {
			t.Errorf("%s %s: MACs %d (unknown %v), want %d", c.nt.Node.Domain, c.nt.Node.OpType, got, unknown, c.want)
		}
	}
	// The original node is not modified.
	nt := profNode(ops.OnyxDomain, "FusedConv", "fc", "generic", 0, convIn, ir.ShapeOf(1, 4, 6, 6))
	profMACs(nt.NodeInfo)
	if nt.Node.OpType != "FusedConv" || nt.Node.Domain != ops.OnyxDomain {
		t.Errorf("profMACs changed the node to %s:%s", nt.Node.Domain, nt.Node.OpType)
	}
	if g := profGFLOPS(1e9, 1000); g != 2 {
		t.Errorf("1 G MACs in 1 s: %v GFLOP/s, want 2", g)
	}
	if g := profGFLOPS(5, 0); g != 0 {
		t.Errorf("zero time: %v GFLOP/s, want 0", g)
	}
}

func TestOnyxProfileRows(t *testing.T) {
	convIn := []ir.Shape{ir.ShapeOf(1, 3, 8, 8), ir.ShapeOf(4, 3, 3, 3)}
	nodes := []runtime.NodeTime{
		profNode("", "Conv", "c1", "avx2", 0, convIn, ir.ShapeOf(1, 4, 6, 6)),
		profNode("", "Relu", "r1", "generic", 0, []ir.Shape{ir.ShapeOf(1, 4, 6, 6)}, ir.ShapeOf(1, 4, 6, 6)),
		profNode("", "Conv", "c2", "generic", 0, convIn, ir.ShapeOf(1, 4, 6, 6)),
		profNode("", "Shape", "s", "generic", 0, []ir.Shape{ir.ShapeOf(1)}, ir.ShapeOf(1)),
	}
	nodes[3].Folded = true
	// Sums over 2 runs: c1 6 ms, r1 2 ms, c2 12 ms; the folded node's time is ignored.
	sums := []time.Duration{6 * time.Millisecond, 2 * time.Millisecond, 12 * time.Millisecond, time.Second}
	res := &profileJSON{}
	profRows(res, nodes, sums, 2)
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("nodes_ms", res.NodesMS, 10)
	if len(res.Nodes) != 3 {
		t.Fatalf("%d node rows, want 3 (the folded one left out)", len(res.Nodes))
	}
	for i, want := range []struct {
		name  string
		index int
		ms    float64
		share float64
	}{{"c2", 3, 6, 60}, {"c1", 1, 3, 30}, {"r1", 2, 1, 10}} {
		r := res.Nodes[i]
		if r.Name != want.name || r.Index != want.index {
			t.Errorf("row %d: %s #%d, want %s #%d", i, r.Name, r.Index, want.name, want.index)
		}
		near(r.Name+" ms", r.MS, want.ms)
		near(r.Name+" share", r.Share, want.share)
	}
	macs := int64(4 * 36 * 27)
	near("c2 GFLOP/s", res.Nodes[0].GFLOPS, 2*float64(macs)/6e6)
	if res.Nodes[2].GFLOPS != 0 || res.Nodes[2].MACs != 0 {
		t.Errorf("Relu row has MACs %d, GFLOP/s %v", res.Nodes[2].MACs, res.Nodes[2].GFLOPS)
	}
	if res.Nodes[0].Shape != "1x4x6x6" || res.Nodes[1].Backend != "avx2" {
		t.Errorf("rows %+v", res.Nodes)
	}
	if len(res.Ops) != 2 || res.Ops[0].Op != "Conv" || res.Ops[0].Count != 2 || res.Ops[1].Op != "Relu" || res.Ops[1].Count != 1 {
		t.Fatalf("op rows %+v", res.Ops)
	}
	near("Conv ms", res.Ops[0].MS, 9)
	near("Conv share", res.Ops[0].Share, 90)
	near("Conv GFLOP/s", res.Ops[0].GFLOPS, 2*float64(2*macs)/9e6)
	near("total GFLOP/s", res.GFLOPS, 2*float64(2*macs)/9e6)
	if res.MACs != 2*macs {
		t.Errorf("total MACs %d, want %d", res.MACs, 2*macs)
	}

	// All-zero times: shares are 0, not NaN.
	res = &profileJSON{}
	profRows(res, nodes[:2], []time.Duration{0, 0}, 1)
	for _, r := range res.Nodes {
		if r.Share != 0 || r.GFLOPS != 0 {
			t.Errorf("zero times: %+v", r)
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("zero times: %v", err)
	}
}

func TestOnyxProfileCLI(t *testing.T) {
	dir := benchCaseDir(t)
	code, out, errOut := cliRun(t, "profile", dir, "--runs", "3", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r profileJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Runs != 3 || r.Warmup != 1 || len(r.Nodes) == 0 || len(r.Ops) == 0 || r.Model != "mnist" {
		t.Fatalf("runs %d warmup %d, %d nodes, %d ops, model %q", r.Runs, r.Warmup, len(r.Nodes), len(r.Ops), r.Model)
	}
	var share, nodeMS float64
	count := 0
	for i, n := range r.Nodes {
		share += n.Share
		nodeMS += n.MS
		if i > 0 && n.MS > r.Nodes[i-1].MS {
			t.Errorf("nodes not sorted by time: %v after %v", n.MS, r.Nodes[i-1].MS)
		}
		if n.Op == "" || n.Backend == "" || n.Shape == "" {
			t.Errorf("incomplete node row %+v", n)
		}
	}
	for _, op := range r.Ops {
		count += op.Count
	}
	if math.Abs(share-100) > 1e-6 || math.Abs(nodeMS-r.NodesMS) > 1e-6 || count != len(r.Nodes) {
		t.Errorf("shares sum to %v, node ms to %v (total %v), op counts to %d of %d nodes", share, nodeMS, r.NodesMS, count, len(r.Nodes))
	}
	if r.WallMS < r.NodesMS {
		t.Errorf("wall %v ms/run < nodes %v ms/run", r.WallMS, r.NodesMS)
	}
	// The MNIST CNN's two convolutions and its Gemm have known MACs.
	if r.MACs <= 0 || r.GFLOPS <= 0 {
		t.Errorf("MACs %d, GFLOP/s %v: want the convs and the Gemm counted", r.MACs, r.GFLOPS)
	}

	code, out, errOut = cliRun(t, "profile", "--top", "2", "--runs", "1", dir)
	if code != exitOK {
		t.Fatalf("text: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"model: mnist", "ms/run", "share", "GFLOP/s", "faster nodes not shown", "\ntotal ", "wall time "} {
		if !strings.Contains(out, want) {
			t.Errorf("text: no %q in\n%s", want, out)
		}
	}

	for _, args := range [][]string{
		{"profile"},
		{"profile", dir, "--runs", "0"},
		{"profile", dir, "--top", "-1"},
		{"profile", dir, "--warmup", "-1"},
		{"profile", dir, "--threads", "0"},
		{"profile", dir, "--cpu", "x87"},
		{"profile", dir, dir},
	} {
		if code, _, errOut := cliRun(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
}

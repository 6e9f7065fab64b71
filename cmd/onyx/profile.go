package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/runtime"
)

// profNodeJSON is one node of `onyx profile --json`.
type profNodeJSON struct {
	Index   int     `json:"index"` // 1-based, in execution order
	Op      string  `json:"op"`
	Name    string  `json:"name"`
	Shape   string  `json:"shape"` // output shapes, comma separated
	Backend string  `json:"backend"`
	MS      float64 `json:"ms"`    // per run
	Share   float64 `json:"share"` // percent of the nodes' total
	MACs    int64   `json:"macs,omitempty"`
	GFLOPS  float64 `json:"gflops,omitempty"` // 2*MACs per second, when MACs are known
}

// profOpJSON is one op type of `onyx profile --json`.
type profOpJSON struct {
	Op     string  `json:"op"`
	Count  int     `json:"count"`
	MS     float64 `json:"ms"`
	Share  float64 `json:"share"`
	MACs   int64   `json:"macs,omitempty"`
	GFLOPS float64 `json:"gflops,omitempty"`
}

// profileJSON is `onyx profile --json` output.
type profileJSON struct {
	Model   string         `json:"model"`
	File    string         `json:"file"`
	Inputs  []runInputJSON `json:"inputs"`
	Runs    int            `json:"runs"`
	Warmup  int            `json:"warmup"`
	Threads int            `json:"threads"`
	Tier    string         `json:"tier"`
	NodesMS float64        `json:"nodes_ms"` // per run, summed over nodes
	WallMS  float64        `json:"wall_ms"`  // per run, the whole RunProfiled
	MACs    int64          `json:"macs"`     // per run, of the nodes whose MACs are known
	GFLOPS  float64        `json:"gflops"`   // 2*MACs over the time of those nodes
	Nodes   []profNodeJSON `json:"nodes"`    // sorted by time, slowest first
	Ops     []profOpJSON   `json:"ops"`      // sorted by time, slowest first
}

func cmdProfile(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("profile", "MODEL|CASE_DIR", stderr)
	var b benchSetup
	benchFlags(fs, &b)
	runs := fs.Int("runs", 10, "profiled runs to average")
	warmup := fs.Int("warmup", 1, "unprofiled runs first")
	top := fs.Int("top", 0, "print only the N slowest nodes (0: all)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if msg := b.check(pos); msg != "" {
		return usageError(fs, stderr, msg)
	}
	if *runs < 1 || *warmup < 0 || *top < 0 {
		return usageError(fs, stderr, "--runs must be at least 1, --warmup and --top not negative")
	}
	res, err := profileRun(&b, *runs, *warmup)
	if err != nil {
		return fail(stderr, "profile", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fail(stderr, "profile", err)
		}
		return exitOK
	}
	printProfile(stdout, res, *top)
	return exitOK
}

// profileRun loads and compiles the model, runs it warmup times, then runs
// it profiled runs times and sums the time of each node.
func profileRun(b *benchSetup, runs, warmup int) (*profileJSON, error) {
	opts, err := b.options()
	if err != nil {
		return nil, err
	}
	bm, err := benchLoad(b)
	if err != nil {
		return nil, err
	}
	s, err := runtime.NewSession(bm.model, opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < warmup; i++ {
		if _, err := s.Run(ctx, bm.feed); err != nil {
			return nil, err
		}
	}
	var sums []time.Duration
	var nodes []runtime.NodeTime
	var wall time.Duration
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		_, times, err := s.RunProfiled(ctx, bm.feed)
		wall += time.Since(t0)
		if err != nil {
			return nil, err
		}
		if sums == nil {
			sums, nodes = make([]time.Duration, len(times)), times
		}
		for j := range min(len(times), len(sums)) {
			sums[j] += times[j].Time
		}
	}
	res := &profileJSON{Model: bm.name, File: bm.file, Inputs: bm.inputs, Runs: runs, Warmup: warmup,
		Threads: b.threads, WallMS: durMS(wall) / float64(runs), Nodes: []profNodeJSON{}, Ops: []profOpJSON{}}
	infos := make([]runtime.NodeInfo, len(nodes))
	for i, nt := range nodes {
		infos[i] = nt.NodeInfo
	}
	_, res.Tier = benchBackends(infos)
	profRows(res, nodes, sums, runs)
	return res, nil
}

// profRows fills res's node and op rows from the summed node times.
func profRows(res *profileJSON, nodes []runtime.NodeTime, sums []time.Duration, runs int) {
	var total time.Duration
	for i, nt := range nodes {
		if !nt.Folded {
			total += sums[i]
		}
	}
	res.NodesMS = durMS(total) / float64(runs)
	share := func(d time.Duration) float64 {
		if total <= 0 {
			return 0
		}
		return 100 * float64(d) / float64(total)
	}
	byOp := map[string]*profOpJSON{}
	opTime := map[string]time.Duration{}
	opMACTime := map[string]time.Duration{}
	var macTime time.Duration
	for i, nt := range nodes {
		if nt.Folded {
			continue
		}
		n := nt.Node
		var shapes []string
		for j, o := range nt.Out {
			if j < len(n.Outputs) && n.Outputs[j] != "" {
				shapes = append(shapes, shapeString(o))
			}
		}
		row := profNodeJSON{Index: i + 1, Op: qualifiedOp(n.Domain, n.OpType), Name: n.Name,
			Shape: strings.Join(shapes, ", "), Backend: nt.Backend,
			MS: durMS(sums[i]) / float64(runs), Share: share(sums[i])}
		if macs, unknown := profMACs(nt.NodeInfo); !unknown && macs > 0 {
			row.MACs = macs
			row.GFLOPS = profGFLOPS(macs, row.MS)
		}
		res.Nodes = append(res.Nodes, row)
		op := byOp[row.Op]
		if op == nil {
			op = &profOpJSON{Op: row.Op}
			byOp[row.Op] = op
		}
		op.Count++
		opTime[row.Op] += sums[i]
		if row.MACs > 0 {
			op.MACs += row.MACs
			opMACTime[row.Op] += sums[i]
			res.MACs += row.MACs
			macTime += sums[i]
		}
	}
	sort.SliceStable(res.Nodes, func(i, j int) bool { return res.Nodes[i].MS > res.Nodes[j].MS })
	for name, op := range byOp {
		op.MS = durMS(opTime[name]) / float64(runs)
		op.Share = share(opTime[name])
		if op.MACs > 0 {
			op.GFLOPS = profGFLOPS(op.MACs, durMS(opMACTime[name])/float64(runs))
		}
		res.Ops = append(res.Ops, *op)
	}
	sort.Slice(res.Ops, func(i, j int) bool {
		if res.Ops[i].MS != res.Ops[j].MS {
			return res.Ops[i].MS > res.Ops[j].MS
		}
		return res.Ops[i].Op < res.Ops[j].Op
	})
	if res.MACs > 0 {
		res.GFLOPS = profGFLOPS(res.MACs, durMS(macTime)/float64(runs))
	}
}

// profMACs counts a node's multiply-accumulates as `onyx summary` does
// (nodeMACs), counting onyx's fused nodes as the op they extend.
func profMACs(ni runtime.NodeInfo) (int64, bool) {
	if n := ni.Node; n.Domain == ops.OnyxDomain {
		if base := benchBaseOp(n); base != "" {
			plain := *n
			plain.Domain, plain.OpType = "", base
			ni.Node = &plain
		}
	}
	return nodeMACs(ni)
}

// profGFLOPS returns the rate of 2*macs floating-point operations done in
// ms milliseconds, in GFLOP/s (0 when ms is not positive).
func profGFLOPS(macs int64, ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	return 2 * float64(macs) / (ms * 1e6)
}

func printProfile(w io.Writer, r *profileJSON, top int) {
	fmt.Fprintf(w, "model: %s (%s)\n", r.Model, r.File)
	for _, in := range r.Inputs {
		fmt.Fprintf(w, "input: %s %s[%s] from %s\n", in.Name, in.DType, dimsString(in.Shape), in.Source)
	}
	fmt.Fprintf(w, "%d profiled runs after %d warmup, threads %d, tier %s\n\n", r.Runs, r.Warmup, r.Threads, r.Tier)
	const maxName = 40
	nodes := r.Nodes
	if top > 0 && top < len(nodes) {
		nodes = nodes[:top]
	}
	rows := make([][]string, len(nodes))
	for i, n := range nodes {
		name := n.Name
		if utf8.RuneCountInString(name) > maxName {
			name = string([]rune(name)[:maxName-3]) + "..."
		}
		rows[i] = []string{fmt.Sprint(n.Index), n.Op, name, n.Shape, n.Backend,
			fmt.Sprintf("%.3f", n.MS), fmt.Sprintf("%.1f%%", n.Share), profRate(n.GFLOPS)}
	}
	profTable(w, []string{"#", "op", "name", "output shape", "backend", "ms/run", "share", "GFLOP/s"}, rows,
		[]bool{true, false, false, false, false, true, true, true})
	if len(nodes) < len(r.Nodes) {
		fmt.Fprintf(w, "(%d faster nodes not shown)\n", len(r.Nodes)-len(nodes))
	}
	fmt.Fprintln(w)
	rows = make([][]string, len(r.Ops))
	count := 0
	for i, op := range r.Ops {
		count += op.Count
		rows[i] = []string{op.Op, fmt.Sprint(op.Count), fmt.Sprintf("%.3f", op.MS), fmt.Sprintf("%.1f%%", op.Share), profRate(op.GFLOPS)}
	}
	rows = append(rows, []string{"total", fmt.Sprint(count), fmt.Sprintf("%.3f", r.NodesMS), "100.0%", profRate(r.GFLOPS)})
	profTable(w, []string{"op", "count", "ms/run", "share", "GFLOP/s"}, rows, []bool{false, true, true, true, true})
	fmt.Fprintf(w, "\nwall time %.3f ms/run: %.3f ms in nodes, %.3f ms between them\n", r.WallMS, r.NodesMS, r.WallMS-r.NodesMS)
	if r.MACs > 0 {
		fmt.Fprintf(w, "Conv/ConvTranspose/Gemm/MatMul: %s MACs per run at %.2f GFLOP/s (2 FLOPs per MAC)\n", humanMACs(r.MACs), r.GFLOPS)
	}
}

// profRate formats a GFLOP/s figure; "--" when unknown.
func profRate(g float64) string {
	if g <= 0 {
		return "--"
	}
	return fmt.Sprintf("%.2f", g)
}

// profTable prints a table with a header and a rule, columns padded to
// their widest cell and right-aligned where right says so.
func profTable(w io.Writer, head []string, rows [][]string, right []bool) {
	width := make([]int, len(head))
	for j, h := range head {
		width[j] = utf8.RuneCountInString(h)
		for _, r := range rows {
			width[j] = max(width[j], utf8.RuneCountInString(r[j]))
		}
	}
	line := func(cells []string) {
		var sb strings.Builder
		for j, c := range cells {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if right[j] {
				sb.WriteString(pad + c)
			} else {
				sb.WriteString(c + pad)
			}
			if j < len(cells)-1 {
				sb.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(sb.String(), " "))
	}
	line(head)
	total := 2 * (len(width) - 1)
	for _, wd := range width {
		total += wd
	}
	fmt.Fprintln(w, strings.Repeat("-", total))
	for _, r := range rows {
		line(r)
	}
}

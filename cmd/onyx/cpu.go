package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/onyxml/onyx/ops"
)

// cpuCacheJSON gives cache sizes in bytes (-1: not detected).
type cpuCacheJSON struct {
	L1D int `json:"l1d"`
	L1I int `json:"l1i"`
	L2  int `json:"l2"`
	L3  int `json:"l3"`
}

// cpuFeatureJSON is one ISA feature that matters to onyx.
type cpuFeatureJSON struct {
	Name    string `json:"name"`
	Present bool   `json:"present"`
	Use     string `json:"use"`
}

// cpuJSON is `onyx cpu --json` output.
type cpuJSON struct {
	Model          string           `json:"model"`
	Vendor         string           `json:"vendor"`
	Family         int              `json:"family"`
	ModelNumber    int              `json:"model_number"`
	Stepping       int              `json:"stepping"`
	PhysicalCores  int              `json:"physical_cores"`
	LogicalCores   int              `json:"logical_cores"`
	ThreadsPerCore int              `json:"threads_per_core"`
	GOMAXPROCS     int              `json:"gomaxprocs"`
	Hypervisor     string           `json:"hypervisor,omitempty"`
	BaseHz         int64            `json:"base_hz"`
	BoostHz        int64            `json:"boost_hz"`
	CacheLine      int              `json:"cache_line"`
	Cache          cpuCacheJSON     `json:"cache"`
	Features       []cpuFeatureJSON `json:"features"`
	X86Level       int              `json:"x86_64_level,omitempty"` // 1..4 on amd64
	GOARCH         string           `json:"goarch"`
	GOAMD64        string           `json:"goamd64,omitempty"`
	TiersAvailable []string         `json:"tiers_available"`
	Tier           string           `json:"tier"`
	OnyxCPU        string           `json:"onyx_cpu"` // the ONYX_CPU variable
	Backends       []string         `json:"backends"`
}

func cmdCPU(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("cpu", "", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageError(fs, stderr, "cpu takes no arguments")
	}
	info := cpuReport()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			return fail(stderr, "cpu", err)
		}
		return exitOK
	}
	printCPU(stdout, info)
	return exitOK
}

// cpuReport gathers what cpuid detected and what onyx makes of it.
func cpuReport() *cpuJSON {
	c := cpuid.CPU
	info := &cpuJSON{
		Model: sysCPUName(), Vendor: c.VendorString, Family: c.Family, ModelNumber: c.Model, Stepping: c.Stepping,
		PhysicalCores: c.PhysicalCores, LogicalCores: c.LogicalCores, ThreadsPerCore: c.ThreadsPerCore,
		GOMAXPROCS: goruntime.GOMAXPROCS(0), BaseHz: c.Hz, BoostHz: c.BoostFreq, CacheLine: c.CacheLine,
		Cache:          cpuCacheJSON{L1D: c.Cache.L1D, L1I: c.Cache.L1I, L2: c.Cache.L2, L3: c.Cache.L3},
		Features:       []cpuFeatureJSON{},
		GOARCH:         goruntime.GOARCH,
		GOAMD64:        sysGOAMD64(),
		TiersAvailable: sysTiersAvailable(),
		Tier:           sysTierInUse(),
		OnyxCPU:        os.Getenv("ONYX_CPU"),
		Backends:       ops.Backends(),
	}
	if info.Vendor == "" {
		info.Vendor = c.VendorID.String()
	}
	if c.VM() {
		info.Hypervisor = c.HypervisorVendorString
		if info.Hypervisor == "" {
			info.Hypervisor = c.HypervisorVendorID.String()
		}
	}
	if goruntime.GOARCH == "amd64" {
		info.X86Level = c.X64Level()
	}
	for _, f := range sysRelevantFeatures() {
		info.Features = append(info.Features, cpuFeatureJSON{Name: f.id.String(), Present: c.Supports(f.id), Use: f.why})
	}
	return info
}

func printCPU(w io.Writer, info *cpuJSON) {
	fmt.Fprintf(w, "cpu:       %s\n", info.Model)
	fmt.Fprintf(w, "vendor:    %s, family %d, model %d, stepping %d\n", info.Vendor, info.Family, info.ModelNumber, info.Stepping)
	fmt.Fprintf(w, "cores:     %d physical, %d logical (%d thread(s) per core), GOMAXPROCS %d\n",
		info.PhysicalCores, info.LogicalCores, info.ThreadsPerCore, info.GOMAXPROCS)
	if info.Hypervisor != "" {
		fmt.Fprintf(w, "virtual:   yes (%s)\n", info.Hypervisor)
	}
	if info.BaseHz > 0 || info.BoostHz > 0 {
		fmt.Fprintf(w, "clock:     base %s, boost %s\n", cpuHz(info.BaseHz), cpuHz(info.BoostHz))
	}
	fmt.Fprintf(w, "caches:    L1d %s, L1i %s, L2 %s, L3 %s; line %d B\n",
		cpuCacheSize(info.Cache.L1D), cpuCacheSize(info.Cache.L1I), cpuCacheSize(info.Cache.L2), cpuCacheSize(info.Cache.L3), info.CacheLine)
	arch := info.GOARCH
	if info.GOAMD64 != "" {
		arch += " GOAMD64=" + info.GOAMD64
	}
	if info.X86Level > 0 {
		arch += fmt.Sprintf(" (the CPU is x86-64-v%d)", info.X86Level)
	}
	fmt.Fprintf(w, "arch:      %s\n", arch)
	fmt.Fprintln(w, "features:")
	for _, f := range info.Features {
		mark := "no "
		if f.Present {
			mark = "yes"
		}
		fmt.Fprintf(w, "  %-11s %s  %s\n", f.Name, mark, f.Use)
	}
	fmt.Fprintf(w, "tiers:     %s available; in use: %s", strings.Join(info.TiersAvailable, ", "), info.Tier)
	if info.OnyxCPU != "" {
		fmt.Fprintf(w, " (ONYX_CPU=%s)", info.OnyxCPU)
	} else {
		fmt.Fprint(w, " (the best; set ONYX_CPU=generic|avx2|avx512|neon to choose)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "backends:  %s\n", strings.Join(info.Backends, ", "))
}

// cpuCacheSize formats a cache size in bytes; "?" when not detected.
func cpuCacheSize(b int) string {
	switch {
	case b <= 0:
		return "?"
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 1<<10:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d B", b)
}

// cpuHz formats a clock frequency; "?" when unknown.
func cpuHz(hz int64) string {
	if hz <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f GHz", float64(hz)/1e9)
}

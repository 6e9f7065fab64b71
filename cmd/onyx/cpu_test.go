package main

import (
	"encoding/json"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"

	"github.com/onyxml/onyx/backends/amd64"
)

func TestOnyxCPUCommand(t *testing.T) {
	code, out, errOut := cliRun(t, "cpu")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"cpu:", "vendor:", "cores:", "caches:", "features:", "tiers:", "in use: ", "backends:  ", "generic"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if goruntime.GOARCH == "amd64" && !strings.Contains(out, "AVX2 ") {
		t.Errorf("amd64: AVX2 not listed in\n%s", out)
	}

	code, out, errOut = cliRun(t, "cpu", "--json")
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"model", "vendor", "family", "physical_cores", "logical_cores", "cache", "features",
		"tiers_available", "tier", "backends", "goarch"} {
		if _, ok := m[k]; !ok {
			t.Errorf("--json: no %q", k)
		}
	}
	var info cpuJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.Model == "" || info.GOARCH != goruntime.GOARCH || len(info.Features) == 0 && (goruntime.GOARCH == "amd64" || goruntime.GOARCH == "arm64") {
		t.Errorf("model %q goarch %q features %v", info.Model, info.GOARCH, info.Features)
	}
	if !slices.Contains(info.TiersAvailable, "generic") || !slices.Contains(info.TiersAvailable, info.Tier) || !slices.Contains(info.Backends, "generic") {
		t.Errorf("tiers %v, in use %q, backends %v", info.TiersAvailable, info.Tier, info.Backends)
	}
	if info.GOMAXPROCS != goruntime.GOMAXPROCS(0) {
		t.Errorf("gomaxprocs %d", info.GOMAXPROCS)
	}

	for _, args := range [][]string{{"cpu", "extra"}, {"cpu", "--bogus"}} {
		if code, _, _ := cliRun(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestOnyxCPUTiers checks onyx cpu's tier choice against the amd64
// package's own (both read ONYX_CPU, the package once at init).
func TestOnyxCPUTiers(t *testing.T) {
	if goruntime.GOARCH == "amd64" {
		want := amd64.Tier()
		if want == "" {
			want = "generic"
		}
		if got := sysTierInUse(); got != want {
			t.Errorf("tier in use %q, backends/amd64 says %q", got, want)
		}
		for _, f := range amd64.Features() {
			if !slices.Contains(sysPresentFeatures(), f) {
				t.Errorf("backends/amd64 reports %s, onyx cpu does not", f)
			}
		}
	}
	avail := sysTiersAvailable()
	if avail[len(avail)-1] != "generic" {
		t.Errorf("available tiers %v: want generic last", avail)
	}
	for _, tier := range avail {
		t.Setenv("ONYX_CPU", tier)
		if got := sysTierInUse(); got != tier {
			t.Errorf("ONYX_CPU=%s: in use %q", tier, got)
		}
	}
	t.Setenv("ONYX_CPU", "generic, "+avail[0])
	if got := sysTierInUse(); got != avail[0] {
		t.Errorf("ONYX_CPU=generic,%s: in use %q", avail[0], got)
	}
	t.Setenv("ONYX_CPU", "nonsense")
	if got := sysTierInUse(); got != "generic" {
		t.Errorf("ONYX_CPU=nonsense: in use %q, want generic", got)
	}
	if !(sysTierRank("avx512") > sysTierRank("avx2") && sysTierRank("avx2") > sysTierRank("neon") &&
		sysTierRank("neon") > sysTierRank("mybackend") && sysTierRank("mybackend") > sysTierRank("generic")) {
		t.Error("sysTierRank: want avx512 > avx2 > neon > a user's backend > generic")
	}
}

func TestOnyxCPUFormat(t *testing.T) {
	for _, c := range []struct {
		b    int
		want string
	}{{-1, "?"}, {0, "?"}, {512, "512 B"}, {32 << 10, "32 KiB"}, {1 << 20, "1 MiB"}, {1536 << 10, "1536 KiB"}, {32 << 20, "32 MiB"}} {
		if got := cpuCacheSize(c.b); got != c.want {
			t.Errorf("cpuCacheSize(%d) = %q, want %q", c.b, got, c.want)
		}
	}
	if got := cpuHz(2_700_000_000); got != "2.70 GHz" {
		t.Errorf("cpuHz = %q", got)
	}
	if got := cpuHz(0); got != "?" {
		t.Errorf("cpuHz(0) = %q", got)
	}
}

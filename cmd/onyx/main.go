// Command onyx runs, tests and inspects ONNX models with the onyx runtime.
//
// Usage:
//
//	onyx test [--atol A] [--rtol R] [--json] [--threads N] [--timeout D] CASE_DIR...
//	onyx run [MODEL] [--input NAME=FILE.pb|FILE.npy]... [--random [--seed N]] [--shape NAME=1x3x224x224]... [--out DIR] [--json]
//	onyx info MODEL [--json]
//	onyx summary MODEL [--shape NAME=1x3x128x128]...
//	onyx bench MODEL|CASE_DIR [--threads N] [--runs N] [--warmup N] [--json] [--format benchfmt] [--input NAME=FILE]... [--cpu TIER]
//	onyx profile MODEL|CASE_DIR [--runs N] [--threads N] [--top N] [--json]
//	onyx train [--data DIR] [--epochs N] --out MODEL.onnx [--plot P.png] [--history H.csv] [--batch N] [--lr X] [--seed N] [--threads N] [--checkpoint DIR [--resume]]
//	onyx cpu [--json]
//	onyx version
//	onyx help
//
// Results go to standard output, logs and errors to standard error. The exit
// status is 0 on success, 1 on any failure and 2 for a usage error. Flags
// may come before or after positional arguments.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	_ "github.com/onyxml/onyx/backends/amd64" // fast kernels where the CPU has them
	_ "github.com/onyxml/onyx/backends/arm64"
	_ "github.com/onyxml/onyx/backends/generic"
	_ "github.com/onyxml/onyx/train" // the Gradient operator's kernel
)

// version is onyx's release; builds from a VCS checkout add the revision.
const version = "0.1.0-dev"

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line for `onyx help`
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order `onyx help` shows them.
func commands() []command {
	return []command{
		{"test", "run ONNX test-case folders (model.onnx + test_data_set_*) and compare outputs", cmdTest},
		{"run", "run a model on inputs from .pb/.npy files or random values (no MODEL: a bundled demo)", cmdRun},
		{"info", "show a model's metadata, inputs/outputs, op histogram, parameters and unsupported ops", cmdInfo},
		{"summary", "print a per-node table of output shapes, parameters and MACs", cmdSummary},
		{"bench", "time a model: latency percentiles, throughput, allocations, peak RSS, kernel tiers", cmdBench},
		{"profile", "time every node of a model: slowest nodes, per-op totals, GFLOP/s", cmdProfile},
		{"train", "train the built-in CNN on an MNIST-format dataset (Fashion-MNIST) and export it to ONNX", cmdTrain},
		{"cpu", "show the CPU, its ISA features and the kernel tiers onyx uses", cmdCPU},
		{"version", "print onyx's version", cmdVersion},
		{"help", "list the subcommands, or show one's flags: onyx help COMMAND", nil},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args (without the program name) and returns
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			for _, c := range commands() {
				if c.name == rest[0] && c.run != nil {
					return c.run([]string{"-h"}, stdout, stderr)
				}
			}
			fmt.Fprintf(stderr, "onyx help: unknown command %q\n", rest[0])
			return exitUsage
		}
		usage(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(rest, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "onyx: unknown command %q (run 'onyx help' for the list)\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "onyx runs, tests and inspects ONNX models.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: onyx COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'onyx COMMAND -h' for a command's flags. Flags may follow positional arguments.")
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	pos, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageError(fs, stderr, "version takes no arguments")
	}
	fmt.Fprintf(stdout, "onyx %s%s (%s %s/%s)\n", version, vcsSuffix(), goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	return exitOK
}

// vcsSuffix returns "+<revision>[-dirty]" when the binary was built from a
// VCS checkout, or "".
func vcsSuffix() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return "+" + rev + dirty
}

// newFlagSet returns a FlagSet that reports errors instead of exiting, with
// a usage line naming the command's positional arguments.
func newFlagSet(name, positional string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("onyx "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: onyx %s [flags] %s\n", name, positional)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(fs.Output(), "Flags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArgs parses args with fs, allowing flags before and after positional
// arguments ("--" ends the flags). It returns the positional arguments and
// -1, or the exit status to return at once (0 after -h, 2 for a bad flag).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage // the flag package has printed the error and usage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, -1
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), -1
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints msg and the command's usage, and returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return exitUsage
}

// fail prints err on one line to stderr, prefixed by the command, and
// returns exitFail.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "onyx %s: %s\n", cmd, oneLine(err.Error()))
	return exitFail
}

// oneLine joins the lines of s with "; " so that a message stays on one line.
func oneLine(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", ""))
	if !strings.Contains(s, "\n") {
		return s
	}
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "; ")
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set appends v.
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// parseDims parses "1x3x224x224" (also "1,3,224,224"; "" or "scalar" is a
// scalar). Each dim must be a non-negative integer.
func parseDims(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "scalar" {
		return []int{}, nil
	}
	sep := "x"
	if strings.Contains(s, ",") {
		sep = ","
	}
	parts := strings.Split(s, sep)
	dims := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad shape %q: dim %q is not a non-negative integer", s, p)
		}
		dims[i] = v
	}
	return dims, nil
}

// splitAssign splits "NAME=VALUE" at its last '=' when the part before it is
// one of names; otherwise it returns ("", s). This lets file names contain
// '=' and lets NAME= be omitted.
func splitAssign(s string, names []string) (name, value string) {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] != '=' {
			continue
		}
		for _, n := range names {
			if n == s[:i] {
				return n, s[i+1:]
			}
		}
	}
	return "", s
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

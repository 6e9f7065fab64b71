#!/usr/bin/env bash
# Runs every fuzz target of the module (each func FuzzX in a _test.go file)
# for SECONDS seconds, one target at a time:
#
#	.ci/fuzz.sh [SECONDS]     # default 30
#
# FUZZ_PARALLEL=N sets the fuzzing workers per target (go's default: one per
# CPU). An input that fails is written by go to PKG/testdata/fuzz/FuzzX/ and
# the script stops; commit that file with the fix: it then runs as a
# regression test in every `go test`. New interesting inputs are minimized
# for at most 10 s (go's default of 60 s stalls short runs).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
parallel=()
[ -n "${FUZZ_PARALLEL:-}" ] && parallel=(-parallel "$FUZZ_PARALLEL")

grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for target in $(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(f \*testing\.F\).*/\1/p' "$file"); do
		echo "== fuzz $pkg $target (${secs}s)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime 10s "${parallel[@]}"
	done
done

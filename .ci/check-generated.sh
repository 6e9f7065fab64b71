#!/bin/sh
# check-generated.sh: regenerate onnx/onnxpb/onnx.pb.go with the pinned
# protoc-gen-go, and the amd64 and arm64 assembly with their generators
# (backends/*/_asm), and fail if a committed file differs. With llvm-mc
# (Debian: llvm) it also checks every WORD the arm64 generator emits.
set -eu

PROTOC_GEN_GO_VERSION=v1.36.12
# onnx.pb.go records the protoc version in its header; it was generated with
# Debian bookworm's protobuf-compiler.
PROTOC_VERSION="libprotoc 3.21.12"

cd "$(dirname "$0")/.."

command -v protoc >/dev/null 2>&1 || {
	echo "check-generated: protoc not found (Debian: apt-get install protobuf-compiler)" >&2
	exit 1
}

if [ "$(protoc --version)" != "$PROTOC_VERSION" ]; then
	echo "check-generated: warning: $(protoc --version) is not $PROTOC_VERSION; the header of onnx.pb.go may differ" >&2
fi

gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
PATH=$gobin:$PATH
export PATH

have=$(protoc-gen-go --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$PROTOC_GEN_GO_VERSION" ]; then
	echo "check-generated: installing protoc-gen-go $PROTOC_GEN_GO_VERSION (found '${have:-none}')"
	go install google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION
fi

go generate ./onnx/onnxpb/ ./backends/amd64/ ./backends/arm64/

changes=$(git status --porcelain -- onnx/ backends/)
if [ -n "$changes" ]; then
	echo "check-generated: generated files differ from the committed ones:" >&2
	echo "$changes" >&2
	git --no-pager diff --stat -- onnx/ backends/ >&2 || true
	exit 1
fi
echo "check-generated: onnx/onnxpb and the generated assembly are up to date"

if command -v llvm-mc >/dev/null 2>&1; then
	(cd backends/arm64/_asm && go test -count=1 -run TestGenEncodings .)
else
	echo "check-generated: llvm-mc not found (Debian: apt-get install llvm): arm64 encodings not checked" >&2
fi

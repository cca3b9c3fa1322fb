#!/usr/bin/env bash
# Runs every Go fuzz target in the repo for a short time each (default 20s).
# Seed corpora live in each package's testdata/fuzz and also run in make test.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-20s}
export CGO_ENABLED=0
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | while read -r file; do
  pkg=./$(dirname "${file#./}")
  for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    echo "fuzz: $pkg $name ($t)"
    go test -tags nocgo -run "^$name\$" -fuzz "^$name\$" -fuzztime "$t" "$pkg"
  done
done

#!/usr/bin/env bash
# Fuzz scorebook: `bash fuzz/run.sh [rules|data] [SECONDS]` (default: both, 600 s each).
# cargo-fuzz needs nightly features; on the stable toolchain RUSTC_BOOTSTRAP=1 allows them.
# Crashes land in fuzz/artifacts/TARGET/; minimise one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -s none TARGET fuzz/artifacts/TARGET/crash-...
# and keep it under tests/fuzz_regressions/TARGET/ so `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("${1:-rules}")
[ $# -eq 0 ] && targets=(rules data)
seconds="${2:-600}"

# Seeds: every rule file and data fixture of the project (not kept: they are copies).
mkdir -p seeds/rules seeds/data corpus/rules corpus/data
cp ../rules/*.ind ../examples/*/*.ind ../tests/corpus/valid/*.ind ../tests/corpus/invalid/*.ind seeds/rules/
cp ../tests/bad_input/data/*.csv seeds/data/

for t in "${targets[@]}"; do
  features=()
  [ "$t" = data ] && features=(--features data)
  # Each target has its own build directory: the data target links DataFusion, the rules
  # target only the language, and one build must not wait on the other's lock.
  cargo fuzz run -s none "${features[@]}" --target-dir "${HOME}/.cache/scorebook-fuzz-$t" "$t" \
    "corpus/$t" "seeds/$t" -- -dict="$t.dict" -max_total_time="$seconds" -timeout=10 \
    -max_len=65536 -print_final_stats=1
done

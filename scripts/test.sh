#!/usr/bin/env bash
# Installs what the tests need and runs every test. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# One warm build directory outside the clone, shared by sessions and CI runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
mkdir -p "$CARGO_TARGET_DIR"

# Each step says how long the one before it took; the run ends with the whole time.
step_name=""
step_started=$SECONDS
step() {
    if [ -n "$step_name" ]; then printf '    (%s: %ds)\n' "$step_name" $((SECONDS - step_started)); fi
    step_name="$*"
    step_started=$SECONDS
    printf '\n==> %s\n' "$*"
}

# Debian packages, installed together when any is missing (one `apt-get update`): headless
# Chromium renders the HTML book in tests/book.rs; the substrait crate (for `compile --emit
# substrait`) compiles its protobuf schema with protoc; Node and npm build the VS Code extension;
# the warehouse tests start a PostgreSQL server (scripts/postgres.sh).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian's ${missing[*]}"
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The warehouse tests run the emitted SQL on DuckDB and SQLite (through Python) and on a
# PostgreSQL server started here on loopback and stopped when the tests end.
step "Python packages and a PostgreSQL server for tests/warehouse.rs"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore duckdb "psycopg[binary]" \
    maturin pytest pyarrow pandas polars
eval "$(bash scripts/postgres.sh start)"
export SCOREBOOK_ENGINES=duckdb,sqlite,postgres

step "cargo fmt --check"
cargo fmt --all --check

# Everything is built and tested once, with the optional features on: Ballista and Substrait
# turn on features of DataFusion's own crates (protobuf support), so a build without them
# would compile DataFusion a second time. The lean default build is checked, not rebuilt.
features=ballista,substrait

step "cargo clippy (with --features $features, so their code is linted too)"
cargo clippy --all-targets --features "$features" --quiet -- -D warnings

# The binding takes the library without the command line; here it also turns on the library's
# default features (`scorebook/default`), so the library it links is the one the tests built,
# not the same code compiled a second time without clap.
python_features="$features,scorebook/default"

step "cargo clippy on the Python binding (python/)"
cargo clippy -p scorebook-python --features "$python_features" --quiet -- -D warnings

# The default build is the one the README's first command makes. Without Ballista's features
# DataFusion's crates are configured differently (protobuf support, serde_json's key order),
# so from an empty build directory this checks them a second time (about 3 minutes here; a
# few seconds warm): kept, since a break there is the first thing a newcomer would meet.
step "the default build and the language alone (what fuzz/ links) compile"
cargo check --quiet --bins
cargo check --quiet --lib --no-default-features

step "cargo test --features $features"
log="$(mktemp)"
trap 'rm -f "$log"; bash scripts/postgres.sh stop' EXIT
cargo test --quiet --features "$features" 2>&1 | tee "$log"

step "scorebook check, fmt --check and test on rules/ and examples/"
scorebook() { cargo run --quiet --features "$features" --bin scorebook -- "$@"; }
scorebook check --deny-warnings rules/
scorebook fmt --check rules/
for example in examples/*/; do
  scorebook check --deny-warnings "$example"
  scorebook fmt --check "$example"
done
scorebook test rules/ | tee -a "$log"
scorebook test --coverage examples/ssda903/ | tee -a "$log"
scorebook test --coverage examples/ambulance/ | tee -a "$log"
scorebook test --coverage examples/send/ | tee -a "$log"
scorebook test --coverage examples/public-health/ | tee -a "$log"

# The wheel is built in the dev profile with the features above, so it links the DataFusion
# already compiled for the command line (about 20 s here; a release wheel, as `pip install
# ./python` builds by default, compiles DataFusion optimised, 25 minutes or more from cold).
step "the Python package: pip install ./python, then pytest python/tests"
MATURIN_PEP517_ARGS="--profile dev --features $python_features" python3 -m pip install --quiet --disable-pip-version-check \
    --root-user-action=ignore --force-reinstall --no-deps ./python
SCOREBOOK_BIN="$CARGO_TARGET_DIR/debug/scorebook" python3 -m pytest -q -p no:cacheprovider python/tests 2>&1 | tee -a "$log"

# Node and npm from Debian when missing; the npm packages from the registry.
step "the VS Code extension: TypeScript client, grammar tests, scorebook.vsix"
bash editors/vscode/scripts/build.sh | tee -a "$log"

# One closing line for the whole run.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
step "done"
echo "tests: $passed passed, $failed failed, in $((SECONDS / 60)) min $((SECONDS % 60)) s"

#!/usr/bin/env bash
# Times the SSDA903 book (examples/ssda903) as a whole process over a generated return:
#   bash bench/ssda903.sh [CHILDREN...]        (default: 20000 100000)
# For each size and format (Parquet, CSV) it generates five years of the return with
# `synth --dataset ssda903` (cached under ~/.cache/scorebook-bench), then runs the whole book
# as of 2014-03-31 RUNS times (default 5) and each measure alone 3 times, and prints as
# Markdown: median wall time and peak resident memory of the book, the median time of each
# measure alone, and how many times each plan reads each source.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/scorebook-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/scorebook"
cache="${SCOREBOOK_BENCH_DIR:-$HOME/.cache/scorebook-bench}"
runs="${RUNS:-5}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(20000 100000)
as_of=2014-03-31
book=examples/ssda903
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

source bench/timing.sh

refs=()
while IFS= read -r ref; do refs+=("$ref"); done < <(sed -nE 's/^ *ref +"([^"]+)".*/\1/p' "$book"/*.ind)

echo "| children | format | rows | data size | book | peak memory |"
echo "|---:|---|---:|---:|---:|---:|"
per_measure=()
for n in "${sizes[@]}"; do
  for format in parquet csv; do
    data="$cache/903-$n-$format"
    if [ ! -f "$data/.complete" ]; then
      rm -rf "$data"
      # synth reports "wrote 6 tables, N rows, ..." on stderr.
      "$bin" synth --dataset ssda903 --children "$n" --from 2009-04-01 --to "$as_of" --format "$format" --out "$data" \
        2>&1 >/dev/null | sed -nE 's/.* ([0-9]+) rows.*/\1/p' > "$work/rows"
      mv "$work/rows" "$data/.rows"
      touch "$data/.complete"
    fi
    timed "$runs" "$bin" run "$book" --data "$data" --as-of "$as_of" --format csv --out "$work/book.csv"
    printf '| %s | %s | %s | %s | %s s | %s MB |\n' "$n" "$format" "$(cat "$data/.rows")" \
      "$(du -sh --apparent-size "$data" | cut -f1)" "$median" "$peak"
    if [ "$format" = parquet ]; then
      row="| $n |"
      for ref in "${refs[@]}"; do
        timed 3 "$bin" run "$book" --data "$data" --as-of "$as_of" --measure "$ref" --format csv --out "$work/one.csv"
        row="$row $median s |"
      done
      per_measure+=("$row")
    fi
  done
done

echo
echo "Each measure alone, Parquet (median of 3, whole process):"
echo
printf '| children |'; printf ' %s |' "${refs[@]}"; echo
printf '|---:|'; printf -- '---:|%.0s' "${refs[@]}"; echo
printf '%s\n' "${per_measure[@]}"

echo
echo "Reads of each source per plan (\`compile --emit plan\`):"
echo
"$bin" compile "$book" --emit plan --as-of "$as_of" | awk '
  /^-- / { plan = substr($0, 4); sub(/,.*/, "", plan); if (!(plan in seen)) { seen[plan] = 1; order[++n] = plan } next }
  /TableScan: / { t = $0; sub(/.*TableScan: /, "", t); sub(/ .*/, "", t); reads[plan "\t" t]++; tables[t] = 1 }
  END {
    printf "| plan |"; for (t in tables) { cols[++m] = t; printf " %s |", t } print ""
    printf "|---|"; for (i = 1; i <= m; i++) printf "---:|"; print ""
    for (i = 1; i <= n; i++) {
      printf "| %s |", order[i]
      for (j = 1; j <= m; j++) printf " %d |", reads[order[i] "\t" cols[j]] + 0
      print ""
    }
  }'

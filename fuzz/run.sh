#!/usr/bin/env bash
# fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]: runs one fuzz target of the instrumented build
# (`make fuzz` builds it in .build-fuzz) for SECONDS (default 60), in one process, from the committed
# seeds of fuzz/corpus/TARGET and the past findings of fuzz/regressions/TARGET. New inputs go to
# .build-fuzz/corpus/TARGET, a crashing, hanging or leaking input to .build-fuzz/crashes/TARGET/, the
# whole log to .build-fuzz/logs/TARGET.log. Exits non-zero on any finding. Give a file instead of
# SECONDS to run just that input: fuzz/run.sh model .build-fuzz/crashes/model/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS|FILE] [libFuzzer flags...]}
shift
binary=.build-fuzz/release/bnas-fuzz
[ -x "$binary" ] || { echo "fuzz/run.sh: no $binary: run make fuzz (or its build line) first" >&2; exit 2; }
[ -d "fuzz/corpus/$target" ] || { echo "fuzz/run.sh: no seeds fuzz/corpus/$target" >&2; exit 2; }
# Swift's crash reporter would wait on the sanitizer's dying process: libFuzzer reports the crash itself.
export SWIFT_BACKTRACE=enable=no BNAS_FUZZ_TARGET=$target
if [ -f "${1:-}" ]; then
  exec "$binary" "$@"
fi
seconds=${1:-60}
shift || true
mkdir -p ".build-fuzz/corpus/$target" ".build-fuzz/crashes/$target" .build-fuzz/logs
log=.build-fuzz/logs/$target.log
# Tokens of the format, which mutations insert (fuzz/dict/).
case $target in
  idx|idx-gzip|cifar10) dictionary=() ;;
  genotype-darts) dictionary=(-dict=fuzz/dict/darts.dict) ;;
  theme) dictionary=(-dict=fuzz/dict/theme.dict) ;;
  *) dictionary=(-dict=fuzz/dict/json.dict) ;;
esac
# -timeout: seconds one input may take before it counts as a hang; -rss_limit_mb also caps one allocation.
status=0
corpora=(".build-fuzz/corpus/$target" "fuzz/corpus/$target")
[ -d "fuzz/regressions/$target" ] && corpora+=("fuzz/regressions/$target")
"$binary" "${corpora[@]}" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=".build-fuzz/crashes/$target/" "${dictionary[@]}" "$@" \
  > "$log" 2>&1 || status=$?
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ "$status" -ne 0 ]; then
  echo "fuzz $target: FAILED after ${executions:-?} executions (exit $status); see $log" >&2
  grep -E '^(==[0-9]+==ERROR|SUMMARY|.*Fatal error|artifact_prefix|Test unit written)' "$log" | head -n 8 >&2 || true
  exit 1
fi
echo "fuzz $target: $executions executions in $seconds s, no crash"

#!/usr/bin/env bash
# Speed budget: `npx cdk synth -c env=prod` against an app with one empty stack, run by
# the same CLI, alternating the two in one run. Prints each pair, the medians and the
# median of the per-pair ratios. Usage: bash scripts/measure-synth.sh [runs, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
# The empty app runs with the same runner and flags as ours: cdk.json's app command.
app_command=$(node -p 'require("./cdk.json").app')
empty_command=${app_command/bin\/app.ts/scripts\/empty-app.ts}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$tmp/app"; : >"$tmp/empty"; : >"$tmp/ratio"
for i in $(seq "$runs"); do
  app=$(seconds npx cdk synth -q -c env=prod --output "$tmp/out-app")
  empty=$(seconds npx cdk synth -q --app "$empty_command" --output "$tmp/out-empty")
  ratio=$(echo "scale=2; $app / $empty" | bc)
  printf 'run %d: app %.1f s, empty %.1f s, ratio %.2f\n' "$i" "$app" "$empty" "$ratio"
  echo "$app" >>"$tmp/app"; echo "$empty" >>"$tmp/empty"; echo "$ratio" >>"$tmp/ratio"
done
printf 'median: app %.1f s, empty %.1f s, ratio %.2f (budget 1.50)\n' "$(median <"$tmp/app")" "$(median <"$tmp/empty")" "$(median <"$tmp/ratio")"

#!/usr/bin/env bash
# Renders docs/architecture.png from the synthesized prod app with cdk-dia and Graphviz.
# Usage: npm run diagram   (needs Graphviz's `dot`: apt-get install graphviz)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  echo "Graphviz's dot is missing: apt-get install graphviz (or brew install graphviz), then rerun." >&2
  exit 1
fi
out=cdk.out/diagram-prod
npx cdk synth -q -c env=prod -c pipeline=false --output "$out" >/dev/null
npx cdk-dia --tree "$out/tree.json" --target docs/architecture.png
# cdk-dia renders at Graphviz's default 96 dpi: about 24,000 px wide for ten stacks.
# Re-render its graph at 60 dpi so the PNG stays readable when zoomed and under 1 MB.
dot -Tpng -Gdpi=60 docs/architecture.dot -o docs/architecture.png
rm docs/architecture.dot

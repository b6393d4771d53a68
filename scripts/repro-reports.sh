#!/usr/bin/env bash
# `npm run repro:reports`: regenerates the committed reproduction reports from the committed stores:
# for each results/repro/NAME.sqlite, reports/repro/NAME.html (one self-contained page) and
# reports/repro/NAME.md with its SVG figures beside it (renders on a code host), through `irnn report`.
# The reports only read the stores; the same store gives the same files apart from the footer's date.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
stores=(results/repro/*.sqlite)
if [ ${#stores[@]} -eq 0 ]; then echo "no stores in results/repro/" >&2; exit 2; fi
mkdir -p reports/repro
for db in "${stores[@]}"; do
  name=$(basename "$db" .sqlite)
  node bin/run.js report --db "$db" --out "reports/repro/$name.html"
  node bin/run.js report --db "$db" --format md --out "reports/repro/$name.md" > /dev/null
done
npx tsx scripts/repro-readme.ts

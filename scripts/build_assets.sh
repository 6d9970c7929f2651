#!/usr/bin/env bash
# Build Caresight front-end assets into caresight/static/caresight/.
# Run from the repository root: bash scripts/build_assets.sh
# Needs Node.js + npm; installs the pinned devDependencies from package-lock.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

GOVUK=node_modules/govuk-frontend/dist/govuk
OUT=caresight/static/caresight

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

mkdir -p "$OUT"

# --quiet-deps hides deprecation warnings raised inside GOV.UK Frontend's own
# Sass; warnings never change sass's exit status, only errors do.
npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
  assets/scss/caresight.scss "$OUT/caresight.css"

cp "$GOVUK/govuk-frontend.min.js" "$OUT/govuk-frontend.min.js"

# Images only (the compiled CSS refers to them); the GDS Transport fonts are not used.
rm -rf "$OUT/assets/images"
mkdir -p "$OUT/assets"
cp -R "$GOVUK/assets/images" "$OUT/assets/images"

echo "Built assets in $OUT:"
find "$OUT" -type f | sort

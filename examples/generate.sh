#!/usr/bin/env bash
# Regenerates examples/runs/ by running the sample app's real test runners
# (Jest + jest-junit, Playwright Test's junit reporter) once per scenario and job.
#
#   bash examples/generate.sh
#
# Needs node >= 20 and npm (packages come from the npm registry via `npm ci`).
# No browser is needed: the Playwright specs use no page/browser fixture.
# Timestamps and durations in the XML change on every run; names, files and
# statuses do not.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app="$here/sample-app"
runs="$here/runs"

export CI=true TZ=UTC
unset USE_REAL_APIS

cd "$app"
npm ci --no-audit --no-fund --loglevel=error

# jest_job DEST [ENV=VALUE...]: run the Jest suite, copy reports/jest-junit.xml to DEST, with the
# trace files its `attachment` properties name (reports/traces/, see sample-app/tests/trace.js)
jest_job() {
  local dest="$1"; shift
  rm -rf reports/jest-junit.xml reports/traces
  echo "== jest -> ${dest#"$here"/} ($*)"
  env "$@" npx --no-install jest --ci
  mkdir -p "$dest" && cp reports/jest-junit.xml "$dest/jest-junit.xml"
  # (the .json beside each .log holds the properties the test recorded: already in the XML)
  if [ -d reports/traces ]; then mkdir -p "$dest/traces" && cp reports/traces/*.log "$dest/traces/"; fi
}

# playwright_job DEST [ENV=VALUE...] -- [playwright args]: run Playwright, copy reports/playwright-junit.xml to DEST
playwright_job() {
  local dest="$1"; shift
  local envs=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  rm -rf reports/playwright-junit.xml reports/playwright-results
  echo "== playwright -> ${dest#"$here"/} (${envs[*]:-} $*)"
  env "${envs[@]}" npx --no-install playwright test "$@"
  mkdir -p "$dest" && cp reports/playwright-junit.xml "$dest/playwright-junit.xml"
  # The files its [[ATTACHMENT|playwright-results/...]] lines name, relative to the XML's folder.
  rm -f reports/playwright-results/.last-run.json
  if [ -n "$(ls -A reports/playwright-results 2>/dev/null)" ]; then cp -r reports/playwright-results "$dest/"; fi
}

# NO_KEY: a CI job without the API-key secret; KEY: a job that has it.
NO_KEY=(-u USE_REAL_APIS)
KEY=(USE_REAL_APIS=1)

SCENARIOS=(mock-only probe-only probe-as-scenario skipped-real qualified)
for scenario in "${SCENARIOS[@]}"; do
  # probe-as-scenario/TRACKING.md is written by hand (the relabelled declaration): keep it.
  rm -rf "${runs:?}/$scenario/mock" "${runs:?}/$scenario/real"
done

# The mock job is the same in every scenario: the Jest integration suite
# without real APIs (the real-API probe is skipped there).
for scenario in "${SCENARIOS[@]}"; do
  jest_job "$runs/$scenario/mock" "${NO_KEY[@]}"
done

# mock-only: the "real" job was wired wrongly and just ran the mock suite again.
jest_job "$runs/mock-only/real" "${NO_KEY[@]}"

# probe-only: real job ran Jest with the key (probe passes), but Playwright
# only ran the smoke spec, not the partner E2E scenario.
jest_job "$runs/probe-only/real" "${KEY[@]}"
playwright_job "$runs/probe-only/real" "${KEY[@]}" -- smoke/

# probe-as-scenario: the same real job, judged against a declaration that relabels the probe
# `kind: scenario` (runs/probe-as-scenario/TRACKING.md): its trace shows no function call.
jest_job "$runs/probe-as-scenario/real" "${KEY[@]}"
playwright_job "$runs/probe-as-scenario/real" "${KEY[@]}" -- smoke/

# skipped-real: real job ran Jest and Playwright, but the API key secret was
# missing, so every real-API test was skipped.
jest_job "$runs/skipped-real/real" "${NO_KEY[@]}"
playwright_job "$runs/skipped-real/real" "${NO_KEY[@]}"

# qualified: real job ran Jest (probe passes) and Playwright (6b passes).
jest_job "$runs/qualified/real" "${KEY[@]}"
playwright_job "$runs/qualified/real" "${KEY[@]}"

{
  echo "node $(node --version)"
  echo "npm $(npm --version 2>/dev/null)"
  echo "jest $(npx --no-install jest --version)"
  echo "jest-junit $(node -p "require('jest-junit/package.json').version")"
  echo "@playwright/test $(node -p "require('@playwright/test/package.json').version")"
} > "$runs/VERSIONS.txt"

rm -rf reports test-results
echo "== done: $(cd "$here" && find runs -type f | sort | tr '\n' ' ')"

#!/usr/bin/env bash
# `npm test`: everything, in the order that fails fastest.
#   lint → type-check + build → unit tests → end-to-end tests (real Kafka, Postgres, Redis) → fault suite.
# `npm run test:faults` runs only the fault suite. Kafka is started if needed, and stopped again
# at the end if this script started it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mode="${1:-all}"
started=$SECONDS

step() { printf '\n\033[1m== %s (%ss)\033[0m\n' "$1" "$((SECONDS - started))"; }

# Every jest run also writes its counts here; the last line sums them for whoever reads the log.
results_dir="$ROOT/.test-results"
rm -rf "$results_dir" && mkdir -p "$results_dir"
jest_run() {
  local name="$1"; shift
  npx jest "$@" --json --outputFile="$results_dir/$name.json"
}

step "services"
node scripts/check-services.js
kafka_was_running=0
bash scripts/kafka.sh status && kafka_was_running=1
bash scripts/kafka.sh start
if [[ $kafka_was_running -eq 0 ]]; then trap 'bash scripts/kafka.sh stop' EXIT; fi

if [[ "$mode" == "all" ]]; then
  step "lint"
  npm run lint --silent
  step "type-check and build"
  npm run build --silent
  step "unit tests"
  jest_run unit --selectProjects unit
  step "end-to-end tests"
  jest_run e2e --selectProjects e2e --maxWorkers=2 --testPathIgnorePatterns '/test/faults/'
else
  npm run build --silent
fi

if compgen -G "test/faults/*.e2e-spec.ts" > /dev/null; then
  step "fault suite"
  jest_run faults --selectProjects e2e --runInBand --testPathPatterns test/faults/
fi
step "done"
node -e '
  const fs = require("fs"), dir = process.argv[1];
  let passed = 0, failed = 0;
  for (const file of fs.readdirSync(dir)) {
    const result = JSON.parse(fs.readFileSync(dir + "/" + file, "utf8"));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results_dir"

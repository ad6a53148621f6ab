#!/usr/bin/env bash
# `npm test`: everything, in the order that fails fastest.
#   lint → type-check + build → unit tests → end-to-end tests (real Kafka, Postgres, Redis, and the
#   console in a real Chromium) → fault suite.
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

# The console's browser suite (test/console) drives Debian's chromium. As root (CI, containers) it is
# installed when missing; elsewhere the suite fails and says how to install it, rather than skipping.
ensure_chromium() {
  if [[ -n "${CHROMIUM_PATH:-}" ]] || command -v chromium > /dev/null; then return 0; fi
  if [[ $EUID -eq 0 ]] && command -v apt-get > /dev/null; then
    echo "chromium is missing: installing Debian's chromium for the console's browser tests"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  else
    printf '\033[33mchromium is not installed: the console browser suite (test/console) will fail.\n' >&2
    printf 'Install it with: sudo apt-get install -y chromium   (or set CHROMIUM_PATH)\033[0m\n' >&2
  fi
}

step "services"
node scripts/check-services.js
kafka_was_running=0
bash scripts/kafka.sh status && kafka_was_running=1
bash scripts/kafka.sh start
# The Java-client interop tests run kafka-clients from the broker's jars: fetch them even when a broker
# was already running (started from another checkout, or by hand).
bash scripts/kafka.sh jars
if [[ $kafka_was_running -eq 0 ]]; then trap 'bash scripts/kafka.sh stop' EXIT; fi

if [[ "$mode" == "all" ]]; then
  step "lint"
  npm run lint --silent
  step "type-check and build"
  # The build leaves tests out (tsconfig.build.json); this checks them too, so a spec cannot rot untyped.
  npx tsc -p tsconfig.json --noEmit
  npm run build --silent
  step "unit tests"
  jest_run unit --selectProjects unit
  step "end-to-end tests"
  ensure_chromium
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
  // Only the jest result files: test artefacts (the console screenshots) live in subfolders.
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".json"))) {
    const result = JSON.parse(fs.readFileSync(dir + "/" + file, "utf8"));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results_dir"

#!/usr/bin/env bash
# Checks the SST deployment offline: sst.config.ts and stacks/ type-check against SST's real
# component types, then the stacks run under Pulumi's runtime mocks (test/infra/stacks.test.ts).
#
# `sst install` writes .sst/platform (SST's sources and the Pulumi/AWS provider packages the
# config's types come from); it needs bun, which npm ships as @oven/bun-<platform>. Then tsc runs
# over stacks/tsconfig.json. Errors inside .sst/ are SST's own (a known @types/node clash in its
# platform folder) and are reported but never fail the check.
#
# Exit status: 0 when clean (or skipped because no bun binary exists for this platform), 1 on a
# type error in our files or a failing resource-graph test, 2 when `sst install` itself fails.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) bun_package="bun-linux-x64" ;;
  Linux-aarch64 | Linux-arm64) bun_package="bun-linux-aarch64" ;;
  Darwin-arm64) bun_package="bun-darwin-aarch64" ;;
  Darwin-x86_64) bun_package="bun-darwin-x64" ;;
  *) bun_package="" ;;
esac
bun="node_modules/@oven/${bun_package}/bin/bun"
if [[ -z "$bun_package" || ! -x "$bun" ]]; then
  echo "check-sst: skipped: no bun binary for $(uname -s)-$(uname -m) (optional dependency @oven/${bun_package:-bun-<platform>} not installed)"
  exit 0
fi

# sst install re-resolves only what changed, so a second run is quick; it must run offline:
# no telemetry, no dependency check against the registry, a fixed stage for app().
if ! install_log=$(
  SST_TELEMETRY_DISABLED=1 SST_SKIP_DEPENDENCY_CHECK=1 SST_STAGE="${SST_STAGE:-ci}" \
    SST_BUN_PATH="$PWD/$bun" node_modules/.bin/sst install 2>&1
); then
  echo "$install_log" >&2
  echo "check-sst: sst install failed" >&2
  exit 2
fi

tsc_status=0
tsc_log=$(node_modules/.bin/tsc --noEmit -p stacks/tsconfig.json 2>&1) || tsc_status=$?

# tsc prints one "path(line,col): error TS…" line per error, continuation lines indented.
ours=$(grep -E '^[^ ].*error TS[0-9]+' <<<"$tsc_log" | grep -vE '^\.sst/' || true)
theirs=$(grep -cE '^\.sst/.*error TS[0-9]+' <<<"$tsc_log" || true)
if [[ -n "$ours" ]]; then
  echo "$tsc_log"
  echo "check-sst: type errors in sst.config.ts or stacks/ (above)" >&2
  exit 1
fi
if [[ $tsc_status -ne 0 && "$theirs" -eq 0 ]]; then
  # tsc failed without a single attributable error line: report it rather than pass silently.
  echo "$tsc_log" >&2
  echo "check-sst: tsc failed (status $tsc_status)" >&2
  exit 1
fi
echo "check-sst: sst.config.ts and stacks/ type-check against SST $(node -p 'require("./node_modules/sst/package.json").version') (ignored ${theirs} error(s) inside .sst/)"

# The resource graph and IAM of a mocked deployment; required here, so a missing platform fails.
PAYBUS_REQUIRE_SST_PLATFORM=1 node_modules/.bin/vitest run test/infra/stacks.test.ts

#!/usr/bin/env bash
# One command from a fresh clone to one real turn through a real `opencode serve`:
# installs pnpm (through npx) and the workspace, builds, and runs `taos-opencode run`.
# Without TAOS_LITELLM_BASE_URL it uses the built-in LiteLLM stand-in.
#   bash tooling/demo.sh "Say hello"
#   TAOS_LITELLM_BASE_URL=http://litellm:4000/v1 TAOS_LITELLM_KEY=sk-... TAOS_LITELLM_MODEL=gpt-4o bash tooling/demo.sh "Hi"
# More flags after the message go to `taos-opencode run` (see its --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 npm_config_update_notifier=false
pnpm() { npx -y pnpm@10.34.8 "$@"; }

# The install and the build print pages of progress: kept in a log, shown only on failure.
log=$(mktemp)
echo "demo: installing and building (a minute or two the first time)…" >&2
if ! {
  pnpm install --frozen-lockfile &&
    pnpm exec turbo run build --filter=@taos/opencode-runtime... --output-logs=errors-only
} >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"

args=(run "${1:-Hello from taOS}")
[ -n "${TAOS_LITELLM_BASE_URL:-}" ] && args+=(--base-url "$TAOS_LITELLM_BASE_URL")
[ -n "${TAOS_LITELLM_MODEL:-}" ] && args+=(--model "$TAOS_LITELLM_MODEL")
exec node packages/opencode-runtime/bin/taos-opencode.js "${args[@]}" "${@:2}"

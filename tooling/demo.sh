#!/usr/bin/env bash
# One command from a fresh clone to one real turn through a real `opencode serve`:
# installs pnpm (through npx) and the workspace, builds, and runs `taos-opencode run`.
# Without TAOS_LITELLM_BASE_URL it uses the built-in LiteLLM stand-in.
#   bash tooling/demo.sh "Say hello"
#   TAOS_LITELLM_BASE_URL=http://litellm:4000/v1 TAOS_LITELLM_KEY=sk-... TAOS_LITELLM_MODEL=gpt-4o bash tooling/demo.sh "Hi"
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm() { npx -y pnpm@10.34.8 "$@"; }
pnpm install --frozen-lockfile >&2
pnpm exec turbo run build --filter=@taos/opencode-runtime... --output-logs=errors-only >&2
args=(run "${1:-Hello from taOS}")
[ -n "${TAOS_LITELLM_BASE_URL:-}" ] && args+=(--base-url "$TAOS_LITELLM_BASE_URL")
[ -n "${TAOS_LITELLM_MODEL:-}" ] && args+=(--model "$TAOS_LITELLM_MODEL")
exec node packages/opencode-runtime/dist/cli.js "${args[@]}" "${@:2}"

/** The model the built-in stand-in answers as (and `serve` uses with it). */
export const STAND_IN_MODEL = "fake-model";

export const USAGE: string = `Usage:
  taos-opencode run "message" [options]   run one turn and print the reply
  taos-opencode serve [options]           start a server and keep it until Ctrl-C
  taos-opencode host --root DIR --base-url URL [--port N]
                                          a pool of agents behind the signed host API
                                          (@taos/opencode-host) until Ctrl-C
  taos-opencode --help | --version

Where the model calls go (run and serve):
  --base-url URL   LiteLLM (OpenAI-compatible) base URL, e.g. http://litellm:4000/v1;
                   the key comes from TAOS_LITELLM_KEY. Without it, a built-in
                   stand-in plays a scripted agent turn (no network needed).
  --model ID       model id (required with --base-url; default ${STAND_IN_MODEL})

The server (run and serve):
  --cwd DIR        directory opencode works in (default: the home)
  --home DIR       opencode home, kept afterwards (default: a temporary one, removed at exit)
  --port N         server port (default: a free one)
  --server URL     (run) use a server already running (e.g. from serve), started by
                   no one here; its password comes from TAOS_OPENCODE_PASSWORD

The turn (run):
  --session ID     continue this session (needs --home or --server)
  --agent NAME     opencode agent, e.g. build or plan
  --system TEXT    a system prompt for the turn
  --variant NAME   the model's reasoning effort, e.g. high
  --file PATH      attach a file (repeatable)
  --schema FILE    JSON Schema of a structured answer: stdout gets the object as JSON

The host (host):
  --root DIR         where the agents' homes go (created if missing)
  --base-url URL     the LiteLLM every agent reaches; each agent's key comes with its
                     registration from the controller
  --port N           port (default: a free one); --hostname HOST (default 127.0.0.1)
  --max-servers N    opencode servers at once (default 4)
  --max-starts N     servers starting at once (default: one per core)
  The secret shared with the controller comes from TAOS_HOST_SECRET (32+ characters).

Output:
  --json           NDJSON: one reply per line on stdout (serve, host: one line with the URL)
  --verbose        log progress, the server pid included, to stderr
  --otel           print OpenTelemetry spans (as they end) and metrics (at exit) to
                   stderr; needs @opentelemetry/api, sdk-trace-base and sdk-metrics
  -h, --help       show this help
  -V, --version    show the version

Environment:
  TAOS_LITELLM_KEY        the agent's LiteLLM key (required with --base-url; never a flag)
  TAOS_OPENCODE_PASSWORD  the password of the server given with --server
  TAOS_HOST_SECRET        (host) the secret requests must be signed with

Exit codes: 0 completed, 1 the turn failed, 2 bad usage, 130 interrupted.
`;

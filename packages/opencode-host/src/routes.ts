/** The host's endpoints. */
export type RouteName =
  | "health"
  | "stats"
  | "register"
  | "update"
  | "unregister"
  | "turn"
  | "warm"
  | "export"
  | "import";

export type RouteMatch =
  | { readonly kind: "route"; readonly name: RouteName; readonly agentId?: string }
  | { readonly kind: "not_found" }
  | { readonly kind: "method_not_allowed" };

const AGENT_ROUTES: Readonly<Record<string, Readonly<Record<string, RouteName>>>> = {
  "": { PUT: "register", PATCH: "update", DELETE: "unregister" },
  turns: { POST: "turn" },
  warm: { POST: "warm" },
  export: { GET: "export" },
  import: { PUT: "import" },
};

/** Which endpoint a method and path name (pure; the agent id is checked later, by the pool's rule). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  if (pathname === "/health" || pathname === "/stats") {
    if (method !== "GET") return { kind: "method_not_allowed" };
    return { kind: "route", name: pathname === "/health" ? "health" : "stats" };
  }
  const parts = pathname.split("/");
  if (parts[1] !== "agents" || parts.length < 3 || parts.length > 4 || parts[2] === "")
    return { kind: "not_found" };
  const routes = AGENT_ROUTES[parts[3] ?? ""];
  if (routes === undefined) return { kind: "not_found" };
  const name = routes[method];
  if (name === undefined) return { kind: "method_not_allowed" };
  return { kind: "route", name, agentId: decodeURIComponent(parts[2] ?? "") };
}

/** The largest body each endpoint takes: JSON, or an archive for `import`. */
export function bodyCap(name: RouteName, caps: { json: number; archive: number }): number {
  if (name === "import") return caps.archive;
  if (name === "register" || name === "update" || name === "turn") return caps.json;
  return 0;
}

import type { RawOpenCode } from "@taos/testkit";

/** Calls the opencode HTTP API with JSON in and out: an empty body gives undefined, a status other than 2xx throws. */
export type OpenCodeCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** A caller for the server `server()` returns when called (a server a `beforeAll` starts later). */
export function openCodeCaller(server: () => Pick<RawOpenCode, "url" | "headers">): OpenCodeCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { url, headers } = server();
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
}

/** What the tests read of a message part in opencode's replies. */
export interface Part {
  type: string;
  text?: string;
  tool?: string;
  callID?: string;
  state?: { status: string; output?: string; input?: Record<string, unknown> };
}

/** What the tests read of a message's info in opencode's replies. */
export interface MessageInfo {
  id: string;
  role: string;
  summary?: boolean;
  mode?: string;
  error?: { name: string; data?: { message?: string } };
  structured?: unknown;
  time?: { completed?: number };
}

/** A message as `GET /session/:id/message` lists it. */
export interface Message {
  info: MessageInfo;
  parts: Part[];
}

import { describe, expect, it } from "vitest";
import { bodyDigest, canonicalString, checkSignature, signRequest } from "../src/index.js";
import { ReplayCache } from "../src/replay.js";
import { matchRoute } from "../src/routes.js";

const SECRET = "s".repeat(40);
const NOW = 1_800_000_000_000;
const parts = (over: Partial<Parameters<typeof signRequest>[1]> = {}) => ({
  timestamp: String(NOW),
  method: "PUT",
  pathWithQuery: "/agents/a1?deleteHome=1",
  body: Buffer.from('{"api_key":"k"}'),
  ...over,
});

describe("request signing (pure)", () => {
  it("signs timestamp.METHOD.path-with-query.sha256hex(body)", () => {
    const digest = bodyDigest(Buffer.from('{"api_key":"k"}'));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalString(parts({ method: "put" }))).toBe(
      `${NOW}.PUT./agents/a1?deleteHome=1.${digest}`,
    );
    expect(signRequest(SECRET, parts())).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts its own signature within the window, either side", () => {
    const signature = signRequest(SECRET, parts());
    expect(checkSignature(SECRET, parts(), signature, NOW)).toBeUndefined();
    expect(checkSignature(SECRET, parts(), signature, NOW + 60_000)).toBeUndefined();
    expect(checkSignature(SECRET, parts(), signature, NOW - 60_000)).toBeUndefined();
  });

  it("refuses a missing, malformed, expired or mismatched signature", () => {
    const signature = signRequest(SECRET, parts());
    expect(checkSignature(SECRET, parts(), undefined, NOW)).toBe("missing");
    expect(checkSignature(SECRET, parts({ timestamp: "" }), signature, NOW)).toBe("missing");
    expect(checkSignature(SECRET, parts({ timestamp: "soon" }), signature, NOW)).toBe("malformed");
    expect(checkSignature(SECRET, parts(), "abc", NOW)).toBe("malformed");
    expect(checkSignature(SECRET, parts(), signature, NOW + 60_001)).toBe("expired");
    expect(checkSignature(SECRET, parts(), signature, NOW - 60_001)).toBe("expired");
    expect(checkSignature(`${SECRET}x`, parts(), signature, NOW)).toBe("mismatch");
    for (const changed of [
      parts({ method: "DELETE" }),
      parts({ pathWithQuery: "/agents/a1" }),
      parts({ body: Buffer.from('{"api_key":"K"}') }),
      parts({ timestamp: String(NOW + 1) }),
    ])
      expect(checkSignature(SECRET, changed, signature, NOW)).toBe("mismatch");
  });
});

describe("the replay cache", () => {
  it("admits a signature once, and forgets it only after its timestamp can no longer pass", () => {
    const cache = new ReplayCache(60_000);
    expect(cache.admit("sig-1", NOW)).toBe(true);
    expect(cache.admit("sig-1", NOW + 1_000)).toBe(false);
    expect(cache.admit("sig-2", NOW + 1_000)).toBe(true);
    expect(cache.admit("sig-1", NOW + 119_999)).toBe(false);
    expect(cache.admit("sig-1", NOW + 120_001)).toBe(true);
  });

  it("refuses rather than forgets when full", () => {
    const cache = new ReplayCache(60_000, 2);
    expect(cache.admit("a", NOW)).toBe(true);
    expect(cache.admit("b", NOW)).toBe(true);
    expect(cache.admit("c", NOW)).toBe(false);
  });
});

describe("routes (pure)", () => {
  it("names each endpoint and refuses the rest", () => {
    expect(matchRoute("PUT", "/agents/a1")).toEqual({
      kind: "route",
      name: "register",
      agentId: "a1",
    });
    expect(matchRoute("PATCH", "/agents/a1")).toMatchObject({ name: "update" });
    expect(matchRoute("DELETE", "/agents/a1")).toMatchObject({ name: "unregister" });
    expect(matchRoute("POST", "/agents/a1/turns")).toMatchObject({ name: "turn" });
    expect(matchRoute("POST", "/agents/a1/warm")).toMatchObject({ name: "warm" });
    expect(matchRoute("GET", "/agents/a1/export")).toMatchObject({ name: "export" });
    expect(matchRoute("PUT", "/agents/a1/import")).toMatchObject({ name: "import" });
    expect(matchRoute("GET", "/stats")).toEqual({ kind: "route", name: "stats" });
    expect(matchRoute("GET", "/health")).toEqual({ kind: "route", name: "health" });
    expect(matchRoute("POST", "/health")).toEqual({ kind: "method_not_allowed" });
    expect(matchRoute("GET", "/agents/a1/turns")).toEqual({ kind: "method_not_allowed" });
    expect(matchRoute("GET", "/agents/a1/other")).toEqual({ kind: "not_found" });
    expect(matchRoute("GET", "/agents/")).toEqual({ kind: "not_found" });
    expect(matchRoute("GET", "/agents/a/b/c")).toEqual({ kind: "not_found" });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildOpenCodeConfig,
  ConfigValidationError,
  type OpenCodeConfigOptions,
} from "../src/index.js";

const SECRET = "sk-property-secret";

// Options that are mostly right, with any field replaced by anything at all.
const anyOptions = fc.record(
  {
    baseURL: fc.oneof(fc.constant("http://127.0.0.1:4000/v1"), fc.webUrl(), fc.anything()),
    apiKey: fc.oneof(
      fc.constant(SECRET),
      fc.string().map((s) => SECRET + s),
      fc.anything(),
    ),
    modelIds: fc.oneof(fc.array(fc.string(), { maxLength: 5 }), fc.anything()),
    providerId: fc.oneof(fc.constant(undefined), fc.string(), fc.anything()),
    providerName: fc.oneof(fc.constant(undefined), fc.string()),
    permission: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom("allow", "ask", "deny"),
      fc.dictionary(fc.string(), fc.oneof(fc.constantFrom("allow", "ask", "deny"), fc.anything())),
      fc.anything(),
    ),
    extra: fc.oneof(fc.constant(undefined), fc.object(), fc.anything()),
  },
  { requiredKeys: [] },
);

describe("validation on arbitrary input", () => {
  it("either builds a config or throws a ConfigValidationError naming a field, never leaking the key", () => {
    fc.assert(
      fc.property(anyOptions, (options) => {
        try {
          const config = buildOpenCodeConfig(options as unknown as OpenCodeConfigOptions);
          const provider = Object.values(config.provider)[0];
          expect(provider?.options.apiKey).toBe(options.apiKey);
          const ids = options.modelIds as string[];
          const keys = Object.keys(provider?.models ?? {});
          // JavaScript objects list integer-like keys ("0", "12") first, whatever the insertion order.
          if (ids.some((id) => /^(0|[1-9]\d*)$/.test(id)))
            expect(keys.sort()).toEqual([...ids].sort());
          else expect(keys).toEqual(ids);
        } catch (error) {
          expect(ConfigValidationError.isInstance(error)).toBe(true);
          const { field, message } = error as ConfigValidationError;
          expect(field.length).toBeGreaterThan(0);
          expect(message).not.toContain(SECRET);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

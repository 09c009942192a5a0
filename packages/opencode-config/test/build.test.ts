import { describe, expect, it } from "vitest";
import * as dist from "../dist/index.js";
import {
  buildOpenCodeConfig,
  ConfigValidationError,
  modelIdOf,
  type OpenCodeConfigOptions,
  opencodeConfigPath,
  TaosOpenCodeError,
  toConfigEnv,
} from "../src/index.js";

const KEY = "sk-agent-secret-1234";
const base: OpenCodeConfigOptions = {
  baseURL: "http://127.0.0.1:4000/v1",
  apiKey: KEY,
  modelIds: ["gpt-4o", "claude-sonnet"],
};

function validationError(options: unknown): ConfigValidationError {
  try {
    buildOpenCodeConfig(options as OpenCodeConfigOptions);
  } catch (error) {
    if (ConfigValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ConfigValidationError");
}

describe("buildOpenCodeConfig", () => {
  it("builds the LiteLLM provider block with the models in order", () => {
    const config = buildOpenCodeConfig(base);
    expect(config).toEqual({
      $schema: "https://opencode.ai/config.json",
      share: "disabled",
      provider: {
        litellm: {
          npm: "@ai-sdk/openai-compatible",
          name: "LiteLLM",
          options: { baseURL: base.baseURL, apiKey: KEY },
          models: { "gpt-4o": {}, "claude-sonnet": {} },
        },
      },
    });
    expect(Object.keys(config.provider.litellm?.models ?? {})).toEqual(["gpt-4o", "claude-sonnet"]);
    expect(config).not.toHaveProperty("permission");
  });

  it("handles a single model", () => {
    const config = buildOpenCodeConfig({ ...base, modelIds: ["only"] });
    expect(config.provider.litellm?.models).toEqual({ only: {} });
  });

  it("takes a provider id and name, a permission block and extra keys", () => {
    const config = buildOpenCodeConfig({
      ...base,
      providerId: "proxy",
      providerName: "Agent proxy",
      permission: { bash: "ask", edit: { "*.md": "allow", "*": "deny" } },
      extra: { autoupdate: false, provider: { evil: {} }, $schema: "x" },
    });
    expect(Object.keys(config.provider)).toEqual(["proxy"]);
    expect(config.provider.proxy?.name).toBe("Agent proxy");
    expect(config.permission).toEqual({ bash: "ask", edit: { "*.md": "allow", "*": "deny" } });
    expect(config.autoupdate).toBe(false);
    expect(config.$schema).toBe("https://opencode.ai/config.json");
  });

  it('disables sharing in the config ("share": "disabled"), unless extra.share says otherwise', () => {
    expect(buildOpenCodeConfig(base).share).toBe("disabled");
    expect(buildOpenCodeConfig({ ...base, extra: { share: "manual" } }).share).toBe("manual");
  });

  it("keeps model ids that are also Object.prototype names", () => {
    const config = buildOpenCodeConfig({ ...base, modelIds: ["__proto__", "constructor"] });
    expect(JSON.parse(JSON.stringify(config)).provider.litellm.models).toEqual(
      JSON.parse('{"__proto__": {}, "constructor": {}}'),
    );
  });

  it("is pure: the same options give equal output and the input is not changed", () => {
    const options = { ...base, modelIds: [...base.modelIds] };
    expect(buildOpenCodeConfig(options)).toEqual(buildOpenCodeConfig(options));
    expect(options.modelIds).toEqual(base.modelIds);
  });

  it("puts the same config in OPENCODE_CONFIG_CONTENT", () => {
    const env = toConfigEnv(base);
    expect(JSON.parse(env.OPENCODE_CONFIG_CONTENT)).toEqual(buildOpenCodeConfig(base));
  });

  it("builds the config path under the home", () => {
    expect(opencodeConfigPath("/srv/agents/a1")).toBe(
      "/srv/agents/a1/.config/opencode/opencode.json",
    );
  });
});

describe("validation", () => {
  const cases: Array<[string, unknown, string]> = [
    ["options not an object", null, "options"],
    ["empty baseURL", { ...base, baseURL: "" }, "baseURL"],
    ["baseURL not a URL", { ...base, baseURL: "litellm:4000" }, "baseURL"],
    ["non-http baseURL", { ...base, baseURL: "ftp://proxy/v1" }, "baseURL"],
    ["baseURL with credentials", { ...base, baseURL: "http://u:p@proxy/v1" }, "baseURL"],
    ["baseURL not a string", { ...base, baseURL: 42 }, "baseURL"],
    ["empty apiKey", { ...base, apiKey: "" }, "apiKey"],
    ["apiKey missing", { ...base, apiKey: undefined }, "apiKey"],
    ["apiKey with a space", { ...base, apiKey: "sk-abc def" }, "apiKey"],
    ["apiKey with a newline", { ...base, apiKey: "sk-abc\n" }, "apiKey"],
    ["apiKey with a control character", { ...base, apiKey: "sk-\u0007abc" }, "apiKey"],
    ["modelIds not an array", { ...base, modelIds: "gpt-4o" }, "modelIds"],
    ["empty modelIds", { ...base, modelIds: [] }, "modelIds"],
    ["empty model id", { ...base, modelIds: ["a", ""] }, "modelIds[1]"],
    ["blank model id", { ...base, modelIds: ["  "] }, "modelIds[0]"],
    ["model id not a string", { ...base, modelIds: ["a", 7] }, "modelIds[1]"],
    ["duplicate model id", { ...base, modelIds: ["a", "b", "a"] }, "modelIds[2]"],
    ["bad providerId", { ...base, providerId: "has space" }, "providerId"],
    ["empty providerName", { ...base, providerName: "" }, "providerName"],
    ["bad permission", { ...base, permission: "sometimes" }, "permission"],
    ["bad tool permission", { ...base, permission: { bash: "maybe" } }, "permission.bash"],
    ["bad pattern permission", { ...base, permission: { bash: { "*": 1 } } }, "permission.bash.*"],
    ["extra not an object", { ...base, extra: [] }, "extra"],
  ];

  it.each(cases)("rejects %s, naming the field", (_label, options, field) => {
    const error = validationError(options);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
    expect(error.name).toBe("ConfigValidationError");
  });

  it("never puts the key in a message", () => {
    for (const apiKey of ["sk-secret with-space", "sk-secret\tTAB", "sk-secret\u0000"]) {
      const error = validationError({ ...base, apiKey });
      expect(error.message).not.toContain("sk-secret");
      expect(String(error.stack)).not.toContain("sk-secret");
    }
    const other = validationError({ ...base, modelIds: [] });
    expect(other.message).not.toContain(KEY);
  });

  it("rejects a relative home", () => {
    expect(() => opencodeConfigPath("relative/home")).toThrow(/"home"/);
  });
});

describe("errors", () => {
  it("brands errors so isInstance works across copies of the package", () => {
    const error = validationError({ ...base, apiKey: "" });
    expect(TaosOpenCodeError.isInstance(error)).toBe(true);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    // dist and src are two separate copies of the classes, as two installs would be.
    expect(dist.ConfigValidationError.isInstance(error)).toBe(true);
    expect(dist.TaosOpenCodeError.isInstance(error)).toBe(true);
    expect(error instanceof dist.ConfigValidationError).toBe(false);
  });

  it("does not take other errors for its own", () => {
    expect(TaosOpenCodeError.isInstance(new Error("x"))).toBe(false);
    expect(ConfigValidationError.isInstance(new TaosOpenCodeError({ message: "x" }))).toBe(false);
    expect(TaosOpenCodeError.isInstance(null)).toBe(false);
    expect(TaosOpenCodeError.isInstance("error")).toBe(false);
  });

  it("keeps the cause", () => {
    const cause = new Error("inner");
    expect(new TaosOpenCodeError({ message: "outer", cause }).cause).toBe(cause);
  });
});

describe("per-model settings", () => {
  it("writes a model's name, limit and options under its id, plain ids as {}", () => {
    const config = buildOpenCodeConfig({
      ...base,
      modelIds: [
        "gpt-4o",
        {
          id: "small",
          name: "Small model",
          limit: { context: 2000, output: 500 },
          options: { reasoningEffort: "low" },
        },
      ],
    });
    expect(config.provider.litellm?.models).toEqual({
      "gpt-4o": {},
      small: {
        name: "Small model",
        limit: { context: 2000, output: 500 },
        options: { reasoningEffort: "low" },
      },
    });
    expect(modelIdOf({ id: "small" })).toBe("small");
    expect(modelIdOf("gpt-4o")).toBe("gpt-4o");
  });

  it.each([
    [{ id: "" }, "modelIds[0].id"],
    [{ name: "no id" }, "modelIds[0].id"],
    [{ id: "m", limit: { context: 0, output: 500 } }, "modelIds[0].limit.context"],
    [{ id: "m", limit: { context: 2000, output: 1.5 } }, "modelIds[0].limit.output"],
    [{ id: "m", limit: 2000 }, "modelIds[0].limit"],
    [{ id: "m", options: [] }, "modelIds[0].options"],
    [{ id: "m", context: 2000 }, "modelIds[0].context"],
    [7, "modelIds[0]"],
  ])("refuses the bad model %j naming %s", (model, field) => {
    expect(validationError({ ...base, modelIds: [model] }).field).toBe(field);
  });

  it("refuses a duplicate id across plain and detailed entries", () => {
    expect(validationError({ ...base, modelIds: ["m", { id: "m" }] }).field).toBe("modelIds[1]");
  });

  it.each(["baseURL", "apiKey", "headers", "baseUrl"])(
    "refuses model options that would redirect the provider or the key (%s)",
    (key) => {
      const error = validationError({
        ...base,
        modelIds: [{ id: "m", options: { [key]: "http://elsewhere.example/v1" } }],
      });
      expect(error.field).toBe(`modelIds[0].options.${key}`);
      expect(error.message).not.toContain("elsewhere");
    },
  );
});

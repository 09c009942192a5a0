import type { OpenCodeAdapter, OpenCodeAdapterConfig, PromptOptions } from "@taos/opencode-adapter";
import { describe, expectTypeOf, it } from "vitest";
import type { DriveTurnOptions, TurnAdapter, TurnPromptOptions } from "../src/index.js";

// Checked by the type checker: a field the adapter gains and DriveTurnOptions lacks, or
// types that drift apart, fails here.
describe("DriveTurnOptions derives from the adapter", () => {
  it("holds every field of the adapter's config, with the same type", () => {
    expectTypeOf<
      Pick<DriveTurnOptions, keyof OpenCodeAdapterConfig>
    >().toEqualTypeOf<OpenCodeAdapterConfig>();
  });

  it("holds every per-prompt option of the adapter but the trace id", () => {
    expectTypeOf<TurnPromptOptions>().toEqualTypeOf<Omit<PromptOptions, "traceId">>();
    expectTypeOf<
      Pick<DriveTurnOptions, keyof TurnPromptOptions>
    >().toEqualTypeOf<TurnPromptOptions>();
    expectTypeOf<DriveTurnOptions>().not.toHaveProperty("traceId");
  });

  it("accepts the adapter itself as the adapter of a turn", () => {
    expectTypeOf<OpenCodeAdapter>().toExtend<TurnAdapter>();
  });
});

import type { OpenCodeAdapterConfig, PromptOptions } from "@taos/opencode-adapter";
import type { OpenCodeServerOptions } from "@taos/opencode-server";
import type { DriveTurnOptions } from "@taos/opencode-turn";
import { describe, expectTypeOf, it } from "vitest";
import type {
  OpenCodeRuntimeOptions,
  RuntimeTurnDefaults,
  RuntimeTurnOptions,
  ServerProvidedTurnOption,
} from "../src/index.js";

// Checked by the type checker: an option a lower layer gains that the runtime lacks, or
// types that drift apart, fails here.
type TurnOwn = Omit<DriveTurnOptions, ServerProvidedTurnOption>;

describe("the runtime's options derive from the lower layers", () => {
  it("takes every server option, with the same type", () => {
    expectTypeOf<OpenCodeRuntimeOptions["server"]>().toEqualTypeOf<OpenCodeServerOptions>();
  });

  it("takes every option of driveTurn per turn, except those the server provides", () => {
    expectTypeOf<Required<Pick<RuntimeTurnOptions, keyof TurnOwn>>>().toEqualTypeOf<
      Required<TurnOwn>
    >();
    expectTypeOf<RuntimeTurnOptions>().not.toHaveProperty("baseUrl");
    expectTypeOf<RuntimeTurnOptions>().not.toHaveProperty("password");
  });

  it("takes every option of a turn as a default, except the session and the signal", () => {
    type Defaultable = Omit<TurnOwn, "sessionId" | "signal">;
    expectTypeOf<Required<Pick<RuntimeTurnDefaults, keyof Defaultable>>>().toEqualTypeOf<
      Required<Defaultable>
    >();
  });

  it("reaches every field of the adapter's config and per-prompt options from a turn", () => {
    type AdapterOption = Exclude<
      keyof OpenCodeAdapterConfig | keyof PromptOptions,
      ServerProvidedTurnOption | "traceId"
    >;
    expectTypeOf<AdapterOption>().toExtend<keyof RuntimeTurnOptions>();
  });
});

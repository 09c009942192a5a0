import { describe, expect, it } from "vitest";
import {
  ConfigValidationError,
  InvalidOptionError,
  TaosOpenCodeError,
  UnsupportedOpenCodeVersionError,
} from "../src/index.js";

class ChildError extends ConfigValidationError {
  static override readonly marker: string = "taos.opencode.error.test.ChildError";
}

class UnnamedMarkerError extends TaosOpenCodeError {}

describe("the errors' brand", () => {
  it("makes isInstance hold for the class and every class above it, and narrow to it", () => {
    const error: unknown = new ChildError({ field: "port", message: "must be a number" });
    expect(ChildError.isInstance(error)).toBe(true);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect(InvalidOptionError.isInstance(error)).toBe(true);
    expect(TaosOpenCodeError.isInstance(error)).toBe(true);
    if (!InvalidOptionError.isInstance(error)) throw new Error("not branded");
    expect(error.field).toBe("port");
  });

  it("does not hold for a sibling, a parent instance or a plain error", () => {
    const parent = new ConfigValidationError({ field: "f", message: "m" });
    expect(ChildError.isInstance(parent)).toBe(false);
    expect(UnsupportedOpenCodeVersionError.isInstance(parent)).toBe(false);
    expect(TaosOpenCodeError.isInstance(new Error("plain"))).toBe(false);
    expect(TaosOpenCodeError.isInstance(null)).toBe(false);
  });

  it("uses the global symbol of each marker, so a copy of the class recognises it", () => {
    const error = new ConfigValidationError({ field: "f", message: "m" });
    const branded = error as unknown as Record<symbol, unknown>;
    expect(branded[Symbol.for("taos.opencode.error.ConfigValidationError")]).toBe(true);
    expect(branded[Symbol.for("taos.opencode.error.InvalidOptionError")]).toBe(true);
    expect(branded[Symbol.for("taos.opencode.error")]).toBe(true);
    const copy = Object.assign(Object.create(null), {
      [Symbol.for("taos.opencode.error.ConfigValidationError")]: true,
    });
    expect(ConfigValidationError.isInstance(copy)).toBe(true);
  });

  it("brands a subclass without a marker of its own by its name; instanceof works too", () => {
    const error = new UnnamedMarkerError({ message: "m" });
    expect(UnnamedMarkerError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(TaosOpenCodeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("UnnamedMarkerError");
    expect(UnnamedMarkerError.isInstance(new TaosOpenCodeError({ message: "m" }))).toBe(false);
  });

  it("keeps isInstance bound to its class when passed on alone", () => {
    const errors: unknown[] = [
      new ConfigValidationError({ field: "f", message: "m" }),
      new InvalidOptionError({ field: "g", message: "m" }),
      new Error("plain"),
    ];
    expect(errors.filter(ConfigValidationError.isInstance)).toEqual([errors[0]]);
    expect(errors.filter(InvalidOptionError.isInstance)).toEqual(errors.slice(0, 2));
  });

  it("names the field and whose option it is in the message", () => {
    expect(new ConfigValidationError({ field: "baseURL", message: "must be a URL" }).message).toBe(
      'Invalid opencode config option "baseURL": must be a URL',
    );
    expect(new InvalidOptionError({ field: "x", message: "bad" }).message).toBe(
      'Invalid opencode option "x": bad',
    );
  });
});

import type { OutputFormat } from "../client/config.js";
import type { TurnFailure } from "../codec-book.js";
import { ReplyErrorCode } from "../error-codes.js";
import { validateStructuredOutput } from "../structured.js";

/**
 * opencode stores the model's structured output without checking it against the
 * schema: check it here. A mismatch is the turn's failure, with the object attached.
 */
export function checkStructured(
  format: OutputFormat | undefined,
  value: unknown,
): TurnFailure | undefined {
  if (format === undefined || value === undefined) return undefined;
  const verdict = validateStructuredOutput(format.schema, value);
  if (verdict.ok) return undefined;
  return {
    error: `the structured output does not match the schema: ${verdict.message}`,
    code: ReplyErrorCode.StructuredOutputInvalid,
    structured: value,
  };
}

import { maskSecrets } from "./secrets.js";

// A whole stack pasted into a message (opencode does it in data.message, Node in String(error)).
const STACK = /\n\s*at\s/;

/** `message` up to the first stack frame. */
export function withoutStack(message: string): string {
  const at = message.search(STACK);
  return at < 0 ? message : message.slice(0, at).trimEnd();
}

/** A one-line message for a user from anything thrown: no stack, secrets masked. */
export function describeError(
  error: unknown,
  secrets: readonly (string | undefined)[] = [],
): string {
  let message: string;
  if (error instanceof Error) message = error.message || error.name;
  else if (typeof error === "string") message = error;
  else {
    try {
      message = JSON.stringify(error) ?? String(error);
    } catch {
      message = String(error);
    }
  }
  return maskSecrets(withoutStack(message), secrets).trim() || "unknown error";
}

import type { OpenCodeLogger } from "@taos/internal";
import { findBwrap } from "@taos/opencode-server";

let warned = false;

/**
 * The sandbox local servers run in: the option when given, else `"bwrap"`
 * when bubblewrap is installed. Falling back to none is said loudly, once per process:
 * without it, an agent whose permissions allow `bash` can read other agents' homes.
 */
export function resolveSandbox(
  option: "bwrap" | "none" | undefined,
  logger: OpenCodeLogger,
  find: () => string | undefined = findBwrap,
): "bwrap" | "none" {
  if (option !== undefined) return option;
  if (find() !== undefined) return "bwrap";
  if (!warned) {
    warned = true;
    logger.warn(
      { sandbox: "none" },
      "bubblewrap (bwrap) is not installed: agents' servers run WITHOUT a sandbox and an agent allowed to run bash can read every other agent's home, keys included. Install the bubblewrap package, or pass sandbox: \"none\" to accept this.",
    );
  }
  return "none";
}

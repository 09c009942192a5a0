import { eventually } from "./poll.js";

/** True while a process with this pid exists (zombies included on Linux until reaped). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Resolves true once the pid is gone, false if it is still there after `timeoutMs`. */
export function waitForProcessExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  return eventually(() => !isProcessAlive(pid), timeoutMs);
}

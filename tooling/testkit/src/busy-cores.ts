import { type ChildProcess, spawn } from "node:child_process";

/** Busy loops in child processes: a loaded machine on demand. */
export interface BusyCores {
  readonly pids: readonly number[];
  /** Ends the loops and waits until they are gone. */
  stop(): Promise<void>;
}

/** Starts `count` processes that each keep one core busy until `stop()` (or this process exits). */
export function busyCores(count: number): BusyCores {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    // The loop checks its parent: a test process killed hard leaves no spinner behind.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const p=${process.pid};for(let i=0;;i++)if(i%1e7===0){try{process.kill(p,0)}catch{process.exit(0)}}`,
      ],
      { stdio: "ignore" },
    );
    children.push(child);
  }
  return {
    pids: children.flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
    stop: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}

import { join } from "node:path";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll } from "vitest";
import { OpenCodeServer, type OpenCodeServerOptions } from "../src/index.js";
import { type Fake, type FakeBehaviour, writeFakeOpenCode } from "./helpers.js";

export const KEY = "sk-fault-key-0123456789";
export const PASSWORD = "pw-fault-secret-42";

export interface FakeCase {
  readonly fake: Fake;
  readonly home: string;
  readonly server: OpenCodeServer;
  readonly logFile: string;
}

export interface FakeServers {
  /** A server on a fake opencode script of its own, in a case folder of its own. */
  setup(behaviour: FakeBehaviour, extra?: Partial<OpenCodeServerOptions>): Promise<FakeCase>;
  /** Stops `server` after the test, like the ones `setup` makes. */
  track(server: OpenCodeServer): void;
  /** The file's temp folder. */
  tempPath(): string;
}

/** One temp folder for the file's fake servers; the servers are stopped after each test. */
export function useFakeServers(prefix: string): FakeServers {
  let temp: TempHome | undefined;
  let count = 0;
  const servers: OpenCodeServer[] = [];
  beforeAll(async () => {
    temp = await makeTempHome(prefix);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop({ graceMs: 0 })));
  });
  afterAll(async () => {
    await temp?.cleanup();
  });
  const tempPath = (): string => {
    if (temp === undefined) throw new Error("useFakeServers: no temp folder before beforeAll");
    return temp.path;
  };
  return {
    tempPath,
    track: (server) => void servers.push(server),
    async setup(behaviour, extra = {}) {
      count += 1;
      const dir = join(tempPath(), `case-${count}`);
      const fake = await writeFakeOpenCode(join(dir, "bin"), behaviour);
      const home = join(dir, "home");
      const server = new OpenCodeServer({
        home,
        litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: KEY, modelIds: ["fake-model"] },
        password: PASSWORD,
        binary: fake.binary,
        ...extra,
      });
      servers.push(server);
      return { fake, home, server, logFile: join(home, ".config", "opencode", "serve.log") };
    },
  };
}

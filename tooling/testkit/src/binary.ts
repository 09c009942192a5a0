import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/**
 * The real `opencode` executable from the workspace's `opencode-ai` install:
 * its platform package (`opencode-<os>-<arch>`) carries the binary, so the
 * postinstall script of `opencode-ai` is not needed. `OPENCODE_BIN` wins.
 */
export function opencodeBinaryPath(): string {
  const fromEnv = process.env.OPENCODE_BIN;
  if (fromEnv) return fromEnv;
  const main = require.resolve("opencode-ai/package.json");
  const fromMain = createRequire(main);
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const os = process.platform === "win32" ? "windows" : process.platform;
  for (const name of [`opencode-${os}-${arch}`, `opencode-${os}-${arch}-baseline`]) {
    try {
      const pkg = fromMain.resolve(`${name}/package.json`);
      return join(dirname(pkg), "bin", os === "windows" ? "opencode.exe" : "opencode");
    } catch {
      // try the next variant
    }
  }
  throw new Error(`no opencode platform package for ${os}-${arch} next to ${main}`);
}

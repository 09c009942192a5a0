/**
 * The opencode releases these packages run with: 1.3.0 and later 1.x. opencode 2 serves
 * another API (no `/global/*` routes, other event names).
 */
export const SUPPORTED_OPENCODE_RANGE = ">=1.3.0 <2";

const OLDEST: readonly [number, number, number] = [1, 3, 0];
const FIRST_UNSUPPORTED_MAJOR = 2;
const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/**
 * Whether `version` (as `/global/health` or `opencode --version` reports it) is in
 * `SUPPORTED_OPENCODE_RANGE`; undefined when it is no version at all. A pre-release
 * counts as its release. (For any other range, the server package uses semver.)
 */
export function isSupportedOpenCodeRelease(version: string): boolean | undefined {
  const match = VERSION.exec(version.trim());
  if (match === null) return undefined;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  if ((parts[0] ?? 0) >= FIRST_UNSUPPORTED_MAJOR) return false;
  for (let i = 0; i < OLDEST.length; i++) {
    const have = parts[i] ?? 0;
    const need = OLDEST[i] ?? 0;
    if (have !== need) return have > need;
  }
  return true;
}

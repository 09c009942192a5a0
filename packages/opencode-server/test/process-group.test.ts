import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { groupGone, groupMembers, signalGroup } from "../src/process-group.js";

// A shell in its own process group with two sleeping children: a stand-in for a
// server and what it started.
async function spawnGroup(): Promise<number> {
  const leader = spawn("sh", ["-c", "sleep 60 & sleep 60 & wait"], {
    detached: true,
    stdio: "ignore",
  });
  await once(leader, "spawn");
  const pgid = leader.pid as number;
  // The children are there once the shell has forked them and each has become `sleep`
  // (a forked child is named `sh` until its exec).
  const sleeping = (): number =>
    groupMembers(pgid).filter((member) => member.comm === "sleep").length;
  while (sleeping() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  return pgid;
}

describe.runIf(process.platform === "linux")("process groups", () => {
  it("groupGone resolves once every member of a killed group has ended", async () => {
    const pgid = await spawnGroup();
    expect(
      groupMembers(pgid)
        .map((member) => member.comm)
        .sort(),
    ).toEqual(["sh", "sleep", "sleep"]);
    signalGroup(pgid, "SIGKILL");
    await groupGone(pgid, 60_000);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it("groupGone gives up after its time with the group still alive, and resolves at once for no group", async () => {
    const pgid = await spawnGroup();
    await groupGone(pgid, 30);
    expect(groupMembers(pgid)).toHaveLength(3);
    signalGroup(pgid, "SIGKILL");
    await groupGone(pgid, 60_000);
    await groupGone(pgid, 60_000);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it("groupGone scans /proc once, then follows the members it found until they are gone", async () => {
    const pgid = await spawnGroup();
    const scans: number[] = [];
    const scan = (group: number): { pid: number }[] => {
      scans.push(group);
      return groupMembers(group);
    };
    // Looks at 0, 5, 15 ms... all find the live group; it is killed after the first.
    const gone = groupGone(pgid, 60_000, scan);
    expect(scans).toEqual([pgid]);
    signalGroup(pgid, "SIGKILL");
    await gone;
    expect(groupMembers(pgid)).toEqual([]);
    expect(scans).toEqual([pgid]);
  });

  it("groupGone follows the first scan's members over many looks without scanning again", async () => {
    const pgid = await spawnGroup();
    let scans = 0;
    await groupGone(pgid, 200, (group) => {
      scans += 1;
      return groupMembers(group);
    });
    expect(groupMembers(pgid)).toHaveLength(3);
    expect(scans).toBe(1);
    signalGroup(pgid, "SIGKILL");
    await groupGone(pgid, 60_000);
  });
});

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { hashPassword, verifyPassword } from "../../../core/identity/passwords";

/**
 * The platform runs on the Node pinned in package.json (the npm package `node`, issue 15 item 0),
 * not on whatever node the machine has: Node 20 is past its end of life and moleculer 0.15 needs
 * 22 or later. npm scripts put node_modules/.bin (where that package puts its `node`) first on
 * PATH; if that ever stops happening (the devDependency dropped, a script that calls /usr/bin/node,
 * a test run started by another route), this file fails rather than the suite quietly passing on
 * the machine's node.
 */

const ROOT = path.resolve(__dirname, "../../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const pinned = pkg.devDependencies.node;

describe("the runtime", () => {
  test("package.json pins Node 24 LTS exactly, and engines says 24", () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(pkg.engines.node).toMatch(/^\^24\./);
  });

  test("this test process (a jest worker or jest itself) runs on the pinned Node", () => {
    expect(process.version).toBe(`v${pinned}`);
    expect(process.execPath).toContain(`${path.sep}node_modules${path.sep}`);
  });

  test("`node` as an npm script or a test's child process finds it on PATH is the pinned one", () => {
    const child = spawnSync("node", ["-p", "process.version"], { encoding: "utf8" });
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe(`v${pinned}`);
  });

  test("argon2's native addon loads and hashes on it", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$/);
    await expect(verifyPassword(hash, "correct horse battery staple")).resolves.toBe(true);
    await expect(verifyPassword(hash, "wrong horse battery staple")).resolves.toBe(false);
  });
});

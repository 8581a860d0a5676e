/**
 * run-all.ts's command line: --only, --json, --smoke, --profile, and where search measures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs, searchArgs, SMOKE_KNOBS } from "../../bench/run-all";
import { BENCHES } from "../../bench/figures";

describe("parseArgs", () => {
  it("runs every benchmark but options-profile by default, search included", () => {
    expect(parseArgs([])).toEqual({ benches: BENCHES.filter((b) => b !== "options-profile"), json: false, smoke: false });
    expect(parseArgs([]).benches).toContain("search");
    expect(parseArgs(["--profile"]).benches).toEqual([...BENCHES]);
  });

  it("--only runs the named ones, in the usual order, with either spelling", () => {
    expect(parseArgs(["--only", "search,transitions"]).benches).toEqual(["transitions", "search"]);
    expect(parseArgs(["--only=notifications", "--json"])).toEqual({ benches: ["notifications"], json: true, smoke: false });
    expect(parseArgs(["--only", "options-profile"]).benches).toEqual(["options-profile"]);
  });

  it("an unknown name is an error that lists the names", () => {
    expect(() => parseArgs(["--only", "transitions,transitionz"])).toThrow(
      `unknown benchmark "transitionz"; the benchmarks are: ${BENCHES.join(", ")}`,
    );
    expect(() => parseArgs(["--only"])).toThrow(/^--only needs benchmark names .*: action-overhead, /);
    expect(() => parseArgs(["--jsn"])).toThrow('unknown option "--jsn"');
  });

  it("--smoke runs every benchmark, options-profile too, and sets each bench's size knob", () => {
    expect(parseArgs(["--smoke", "--json"])).toEqual({ benches: [...BENCHES], json: true, smoke: true });
    // a knob per bench whose full size takes minutes (see each file's header)
    for (const knob of ["BENCH_SECONDS", "COLD_START_LATER", "ACCOUNTS_ROWS", "SIGN_IN_MS", "FORM_BENCH_MS", "TRANSITIONS_MS", "TRANSITIONS_INSTANCES", "NOTIFY_CLIENTS", "SEARCH_MS"]) {
      expect(Number(SMOKE_KNOBS[knob])).toBeGreaterThan(0);
    }
  });
});

describe("searchArgs", () => {
  const opts = parseArgs(["--only", "search"]);
  it("small data of its own, with a note, when nothing points at a seeded database", () => {
    expect(searchArgs(opts, {})).toEqual({ args: ["--smoke"], note: expect.stringMatching(/small data.*seed:scale/) });
    // a DATA_DIR with no cluster in it: no cluster made there
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bench-args-"));
    try {
      expect(searchArgs(opts, { DATA_DIR: empty }).args).toEqual(["--smoke"]);
      fs.mkdirSync(path.join(empty, "postgres"));
      expect(searchArgs(opts, { DATA_DIR: empty })).toEqual({ args: ["--seeded-or-smoke"] });
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("the seeded database of DATABASE_URL if it is one; --smoke always measures small data", () => {
    expect(searchArgs(opts, { DATABASE_URL: "postgres://x@127.0.0.1/p" })).toEqual({ args: ["--seeded-or-smoke"] });
    expect(searchArgs(parseArgs(["--smoke"]), { DATABASE_URL: "postgres://x@127.0.0.1/p" })).toEqual({ args: ["--smoke"] });
  });
});

import { batchedReads } from "../../../core/db/batched";

/** core/db/batched.ts: reads asked for together become one call of `load`; nothing is kept between turns. */
function counted(rows: Map<string, string>) {
  const calls: string[][] = [];
  const loader = batchedReads<string, string>(async (keys) => {
    calls.push([...keys]);
    return keys.map((k) => rows.get(k) ?? null);
  });
  return { loader, calls };
}

test("reads asked for in one turn of the event loop, from separate callbacks, share one load; each caller gets its own row or null", async () => {
  const rows = new Map([["a", "甲"], ["b", "乙"]]);
  const { loader, calls } = counted(rows);
  // two I/O-like callbacks in the same turn (as two requests whose bytes arrived together)
  const asked = await new Promise<Array<string | null>>((resolve) => {
    const out: Array<Promise<string | null>> = [];
    let n = 0;
    const ask = (k: string) => {
      out.push(loader.load(k));
      if (++n === 3) void Promise.all(out).then(resolve);
    };
    setTimeout(() => ask("a"), 0);
    setTimeout(() => ask("missing"), 0);
    setTimeout(() => ask("b"), 0);
  });
  expect(asked).toEqual(["甲", null, "乙"]);
  expect(calls).toEqual([["a", "missing", "b"]]);
});

test("nothing is cached: a row changed after a read is read as it is now", async () => {
  const rows = new Map([["a", "甲"]]);
  const { loader, calls } = counted(rows);
  expect(await loader.load("a")).toBe("甲");
  rows.set("a", "甲（已更正）");
  expect(await loader.load("a")).toBe("甲（已更正）");
  expect(calls).toEqual([["a"], ["a"]]);
});

test("at most 100 keys a load", async () => {
  const rows = new Map(Array.from({ length: 250 }, (_, i) => [`k${i}`, `v${i}`] as [string, string]));
  const { loader, calls } = counted(rows);
  const got = await Promise.all([...rows.keys()].map((k) => loader.load(k)));
  expect(got).toEqual([...rows.values()]);
  expect(calls.map((c) => c.length)).toEqual([100, 100, 50]);
});

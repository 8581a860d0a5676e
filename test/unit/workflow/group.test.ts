import { GroupWriter } from "../../../core/workflow/group";

/** How the engine's group commit hands out work (core/workflow/group.ts). */
type Item = { key: string; n: number };

function writer(concurrency: number, max: number) {
  const groups: number[][] = [];
  const finish: Array<() => void> = [];
  let inFlight = 0;
  let most = 0;
  const w = new GroupWriter<Item>({
    concurrency,
    max,
    write: (group) => {
      groups.push(group.map((i) => i.n));
      inFlight++;
      most = Math.max(most, inFlight);
      return new Promise<void>((resolve) => finish.push(() => {
        inFlight--;
        resolve();
      }));
    },
  });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { w, groups, finish, settle, most: () => most };
}

test("on a quiet platform an item is written at once, alone", () => {
  const { w, groups } = writer(2, 64);
  w.add({ key: "a", n: 1 });
  expect(groups).toEqual([[1]]);
});

test("items that arrive while the groups are busy wait, then go together, at most `max` a group", async () => {
  const { w, groups, finish, settle, most } = writer(2, 3);
  for (let n = 1; n <= 9; n++) w.add({ key: `i${n}`, n });
  // two written at once, alone; the other seven wait
  expect(groups).toEqual([[1], [2]]);
  expect(w.waiting).toBe(7);
  finish.shift()!();
  await settle();
  expect(groups[2]).toEqual([3, 4, 5]);
  finish.shift()!();
  await settle();
  expect(groups[3]).toEqual([6, 7, 8]);
  finish.shift()!();
  await settle();
  expect(groups[4]).toEqual([9]);
  expect(w.waiting).toBe(0);
  expect(most()).toBe(2);
});

test("two items with one key never share a group: the later one waits for the next", async () => {
  const { w, groups, finish, settle } = writer(1, 10);
  w.add({ key: "busy", n: 1 });
  w.add({ key: "x", n: 2 });
  w.add({ key: "y", n: 3 });
  w.add({ key: "x", n: 4 });
  w.add({ key: "z", n: 5 });
  finish.shift()!();
  await settle();
  expect(groups[1]).toEqual([2, 3, 5]);
  finish.shift()!();
  await settle();
  expect(groups[2]).toEqual([4]);
});

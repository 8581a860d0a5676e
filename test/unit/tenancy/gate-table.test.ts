import { allows } from "../../../core/tenancy/gate";
import { MODULE_STATES, type ModuleState } from "../../../core/tenancy/schedule";
import type { ActionKind, SessionUser } from "../../../core/plugins/types";

/**
 * DESIGN.md §5, copied cell for cell:
 *   | state     | create            | continue          | read              |
 *   |-----------|-------------------|-------------------|-------------------|
 *   | `off`     | no                | no                | no                |
 *   | `pilot`   | listed units only | listed units only | listed units only |
 *   | `live`    | yes               | yes               | yes               |
 *   | `sunset`  | no                | yes               | yes               |
 *   | `retired` | no                | no                | regulators only   |
 */
type Cell = "no" | "yes" | "listed units only" | "regulators only";
const DESIGN_TABLE: Array<[ModuleState, Cell, Cell, Cell]> = [
  ["off", "no", "no", "no"],
  ["pilot", "listed units only", "listed units only", "listed units only"],
  ["live", "yes", "yes", "yes"],
  ["sunset", "no", "yes", "yes"],
  ["retired", "no", "no", "regulators only"],
];
const KINDS: ActionKind[] = ["create", "continue", "read"];

/** The pilot's unit list, as a schedule entry carries it. */
const PILOT_UNITS = ["441302-0001", "441302-0002"];

// A regulator's role oversees its region (supervision declares it so; the sign-in puts it in the token).
const user = (roles: string[], unitCode?: string): SessionUser => ({ id: `u-${roles.join("-")}-${unitCode ?? "none"}`, username: "someone", tenantCode: "441300", roles, unitCode, oversees: roles.includes("regulator") });

interface Caller {
  who: string;
  user: SessionUser | null | undefined;
  listed: boolean;
  regulator: boolean;
}
const CALLERS: Caller[] = [
  { who: "a purchaser of a unit listed for the pilot", user: user(["purchaser"], "441302-0002"), listed: true, regulator: false },
  { who: "a purchaser of a unit not listed for the pilot", user: user(["purchaser"], "441302-0099"), listed: false, regulator: false },
  { who: "a signed-in user who belongs to no unit", user: user(["purchaser"]), listed: false, regulator: false },
  { who: "a regulator (no unit)", user: user(["regulator"]), listed: false, regulator: true },
  { who: "a regulator of a unit listed for the pilot", user: user(["regulator"], "441302-0001"), listed: true, regulator: true },
  { who: "an anonymous visitor", user: null, listed: false, regulator: false },
  { who: "a caller with no session at all", user: undefined, listed: false, regulator: false },
];

const expected = (cell: Cell, caller: Caller): boolean => {
  switch (cell) {
    case "yes":
      return true;
    case "no":
      return false;
    case "listed units only":
      return caller.listed;
    case "regulators only":
      return caller.regulator;
  }
};

describe("what each module state lets a caller do (DESIGN.md §5)", () => {
  test("the table names every state a schedule can hold, once each", () => {
    expect(DESIGN_TABLE.map(([state]) => state)).toEqual([...MODULE_STATES]);
  });

  describe.each(DESIGN_TABLE)("a module that is %s (create: %s · continue: %s · read: %s)", (state, create, cont, read) => {
    const cells: Record<ActionKind, Cell> = { create, continue: cont, read };
    const cases = KINDS.flatMap((kind) =>
      CALLERS.map((caller) => {
        const allowed = expected(cells[kind], caller);
        return { kind, caller, cell: cells[kind], allowed, verdict: allowed ? "allowed" : "refused" };
      }),
    );

    test.each(cases)("$kind by $caller.who ($cell): $verdict", ({ kind, caller, allowed }) => {
      expect(allows(state, kind, caller.user, PILOT_UNITS)).toBe(allowed);
    });
  });

  describe("pilot details", () => {
    test("a pilot without a unit list lets nobody in, not even a unit-bearing purchaser or a regulator", () => {
      for (const kind of KINDS) {
        expect(allows("pilot", kind, user(["purchaser"], "441302-0001"), null)).toBe(false);
        expect(allows("pilot", kind, user(["regulator"], "441302-0001"), [])).toBe(false);
      }
    });

    test("a unit is recognised by its exact code, not by a prefix of a listed one", () => {
      expect(allows("pilot", "create", user(["purchaser"], "441302-000"), PILOT_UNITS)).toBe(false);
      expect(allows("pilot", "create", user(["purchaser"], "441302-0001"), PILOT_UNITS)).toBe(true);
    });
  });

  describe("a retired module is read by regulators only", () => {
    test.each([
      ["a regulator", user(["regulator"]), true],
      ["a regulator who is also a purchaser", user(["purchaser", "regulator"], "441302-0001"), true],
      ["a purchaser", user(["purchaser"], "441302-0001"), false],
      ["an anonymous visitor", null, false],
    ] as const)("%s may read: %s", (_who, u, canRead) => {
      expect(allows("retired", "read", u, null)).toBe(canRead);
      expect(allows("retired", "create", u, null)).toBe(false);
      expect(allows("retired", "continue", u, null)).toBe(false);
    });
  });
});

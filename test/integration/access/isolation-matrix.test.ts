import crypto from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { creditCode } from "../../support/registries";
import type { Reply } from "../../support/http";

/**
 * Issue 4: who may list, open, change and remove what, for every role, every kind of object the
 * platform has so far, and every place of the object relative to the caller. The expectations are
 * written out below as the specification; they are deliberately not computed from the ability
 * code, so that a wrong rule there shows up here as a failing line.
 */

// ─── The places an object can be in, relative to the caller ──────────────────────────────────────
// Callers sit in Huizhou (441300); some roles also have a caller at province level (440000).
const TIERS = {
  huizhou: { caller: "441300", places: { own: "441300", child: "441322", parent: "440000", other: "440900" } },
  province: { caller: "440000", places: { own: "440000", child: "441300", grandchild: "441322" } },
} as const;
type Tier = keyof typeof TIERS;

/** What the tenants of a caller's region are, written out (not taken from the tree). */
const REGION: Record<Tier, readonly string[] | "everywhere"> = {
  huizhou: ["441300", "441302", "441303", "441322", "441323", "441324"],
  province: "everywhere",
};

// ─── Cells ─────────────────────────────────────────────────────────────────────────────────────
//   list / get:      full  the object, every field        pub  the object, public fields only
//                    reg   every field but the budget code (a unit's first password: other units of the region do not see it)
//                    hide  not in the list; get answers 404 NOT_FOUND, exactly as for a missing id
//   update / delete: ok    done                          403  FORBIDDEN, nothing changed
//                    404   NOT_FOUND exactly as for a missing id, nothing changed
//   any:             401   UNAUTHENTICATED               -    not applicable (no such object for this caller)
type Cell = "full" | "reg" | "pub" | "hide" | "ok" | "403" | "404" | "401" | "-";
/** How far a caller's lists reach: every tenant, the caller's region, only their own account, or nothing. */
type Reach = "all" | "region" | "self" | "401";

type Role = "purchaser" | "agency" | "supplier" | "expert" | "regulator" | "bank" | "tenant-admin" | "platform-admin" | "anonymous";

// ─── Purchaser (registries plugin) ────────────────────────────────────────────────────────────────
// Columns per operation, in this order of places:
//   huizhou:  own 441300 · child 441322 Boluo · parent 440000 province · other 440900 Maoming · unit (the caller's own unit)
//   province: own 440000 · child 441300 Huizhou · grandchild 441322 Boluo · unit (the caller's own unit)
// "update" changes the contact person; "rename" changes the unit's name.
const PURCHASER_OPS = ["list", "get", "update", "rename", "delete"] as const;
type PurchaserOp = (typeof PURCHASER_OPS)[number];
const PURCHASER_TABLE: Array<[Tier, Role, Reach, string, string, string, string, string]> = [
  // tier       role              reach      list                          get                           update                   rename                    delete
  ["huizhou",  "purchaser",      "region", "reg  reg  hide hide full",  "reg  reg  hide hide full",  "403 403 404 404 ok",    "403 403 404 404 403",   "403 403 404 404 403"],
  ["huizhou",  "agency",         "region", "reg  reg  hide hide -",     "reg  reg  hide hide -",     "403 403 404 404 -",     "403 403 404 404 -",     "403 403 404 404 -"],
  ["huizhou",  "supplier",       "all",    "pub  pub  pub  pub  -",     "pub  pub  pub  pub  -",     "403 403 403 403 -",     "403 403 403 403 -",     "403 403 403 403 -"],
  ["huizhou",  "expert",         "all",    "pub  pub  pub  pub  -",     "pub  pub  pub  pub  -",     "403 403 403 403 -",     "403 403 403 403 -",     "403 403 403 403 -"],
  ["huizhou",  "regulator",      "region", "full full hide hide -",     "full full hide hide -",     "403 403 404 404 -",     "403 403 404 404 -",     "403 403 404 404 -"],
  ["huizhou",  "bank",           "all",    "pub  pub  pub  pub  -",     "pub  pub  pub  pub  -",     "403 403 403 403 -",     "403 403 403 403 -",     "403 403 403 403 -"],
  ["huizhou",  "tenant-admin",   "region", "full full hide hide -",     "full full hide hide -",     "ok  ok  404 404 -",     "ok  ok  404 404 -",     "ok  ok  404 404 -"],
  ["huizhou",  "platform-admin", "all",    "full full full full -",     "full full full full -",     "ok  ok  ok  ok  -",     "ok  ok  ok  ok  -",     "ok  ok  ok  ok  -"],
  ["huizhou",  "anonymous",      "401",    "401  401  401  401  -",     "401  401  401  401  -",     "401 401 401 401 -",     "401 401 401 401 -",     "401 401 401 401 -"],
  ["province", "purchaser",      "region", "reg  reg  reg  full",       "reg  reg  reg  full",       "403 403 403 ok",        "403 403 403 403",       "403 403 403 403"],
  ["province", "agency",         "region", "reg  reg  reg  -",          "reg  reg  reg  -",          "403 403 403 -",         "403 403 403 -",         "403 403 403 -"],
  ["province", "regulator",      "region", "full full full -",          "full full full -",          "403 403 403 -",         "403 403 403 -",         "403 403 403 -"],
  ["province", "tenant-admin",   "region", "full full full -",          "full full full -",          "ok  ok  ok  -",         "ok  ok  ok  -",         "ok  ok  ok  -"],
];

// ─── Account (core identity) ──────────────────────────────────────────────────────────────────────
//   huizhou:  own 441300 · child 441322 · parent 440000 · other 440900 · self (the caller's account) · admin (a platform admin's account in 441300)
//   province: own 440000 · child 441300 · grandchild 441322 · self · admin (a platform admin's account in 440000)
// "update" is PATCH {displayName}; "delete" is DELETE, which disables. Nobody disables their own account.
const ACCOUNT_OPS = ["list", "get", "update", "delete"] as const;
type AccountOp = (typeof ACCOUNT_OPS)[number];
const ACCOUNT_TABLE: Array<[Tier, Role, Reach, string, string, string, string]> = [
  // tier       role              reach      list                               get                                update                      delete
  ["huizhou",  "purchaser",      "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "agency",         "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "supplier",       "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "expert",         "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "regulator",      "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "bank",           "self",   "hide hide hide hide full hide",  "hide hide hide hide full hide",  "404 404 404 404 403 404",  "404 404 404 404 403 404"],
  ["huizhou",  "tenant-admin",   "region", "full full hide hide full full",  "full full hide hide full full",  "ok  ok  404 404 ok  403",  "ok  ok  404 404 403 403"],
  ["huizhou",  "platform-admin", "all",    "full full full full full full",  "full full full full full full",  "ok  ok  ok  ok  ok  ok",   "ok  ok  ok  ok  403 ok"],
  ["huizhou",  "anonymous",      "401",    "401  401  401  401  -    -",     "401  401  401  401  -    -",     "401 401 401 401 -   -",    "401 401 401 401 -   -"],
  ["province", "purchaser",      "self",   "hide hide hide full hide",       "hide hide hide full hide",       "404 404 404 403 404",      "404 404 404 403 404"],
  ["province", "agency",         "self",   "hide hide hide full hide",       "hide hide hide full hide",       "404 404 404 403 404",      "404 404 404 403 404"],
  ["province", "regulator",      "self",   "hide hide hide full hide",       "hide hide hide full hide",       "404 404 404 403 404",      "404 404 404 403 404"],
  ["province", "tenant-admin",   "region", "full full full full full",       "full full full full full",       "ok  ok  ok  ok  403",      "ok  ok  ok  403 403"],
];

// ─── TenantSchedule (core tenancy) ────────────────────────────────────────────────────────────────
//   huizhou:  own 441300 · child 441322 · parent 440000 · other 440900
//   province: own 440000 · child 441300 · grandchild 441322
// "list" is GET /tenants/:code/modules, "get" the module's timeline, "update" PUT of a schedule
// entry; there is no delete: schedules change by PUT, and DELETE is not a route (404 for everyone).
const SCHEDULE_OPS = ["list", "get", "update", "delete"] as const;
type ScheduleOp = (typeof SCHEDULE_OPS)[number];
const SCHEDULE_TABLE: Array<[Tier, Role, string, string, string, string]> = [
  // tier       role              list                  get                   update               delete
  ["huizhou",  "purchaser",      "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "agency",         "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "supplier",       "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "expert",         "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "regulator",      "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "bank",           "full full full full", "full full full full", "403 403 403 403",  "404 404 404 404"],
  ["huizhou",  "tenant-admin",   "full full full full", "full full full full", "ok  ok  403 403",  "404 404 404 404"],
  ["huizhou",  "platform-admin", "full full full full", "full full full full", "ok  ok  ok  ok",   "404 404 404 404"],
  ["huizhou",  "anonymous",      "full full full full", "full full full full", "401 401 401 401",  "404 404 404 404"],
  ["province", "purchaser",      "full full full",      "full full full",      "403 403 403",      "404 404 404"],
  ["province", "regulator",      "full full full",      "full full full",      "403 403 403",      "404 404 404"],
  ["province", "tenant-admin",   "full full full",      "full full full",      "ok  ok  ok",       "404 404 404"],
];

// ─── Turning the tables into cases ───────────────────────────────────────────────────────────────
const PURCHASER_PLACES: Record<Tier, string[]> = { huizhou: [...Object.keys(TIERS.huizhou.places), "unit"], province: [...Object.keys(TIERS.province.places), "unit"] };
const ACCOUNT_PLACES: Record<Tier, string[]> = { huizhou: [...Object.keys(TIERS.huizhou.places), "self", "admin"], province: [...Object.keys(TIERS.province.places), "self", "admin"] };
const SCHEDULE_PLACES: Record<Tier, string[]> = { huizhou: Object.keys(TIERS.huizhou.places), province: Object.keys(TIERS.province.places) };

interface Case<Op extends string> {
  name: string;
  tier: Tier;
  role: Role;
  place: string;
  op: Op;
  expect: Cell;
}

function cases<Op extends string>(resource: string, ops: readonly Op[], places: Record<Tier, string[]>, rows: Array<[Tier, Role, ...string[]]>, skip: number): Case<Op>[] {
  const out: Case<Op>[] = [];
  for (const row of rows) {
    const [tier, role] = row;
    const columns = row.slice(2 + skip) as string[];
    ops.forEach((op, i) => {
      const cells = columns[i].trim().split(/\s+/) as Cell[];
      if (cells.length !== places[tier].length) throw new Error(`table ${resource}, ${tier} ${role} ${op}: ${cells.length} cells for ${places[tier].length} places`);
      places[tier].forEach((place, j) => {
        if (cells[j] === "-") return;
        const tenant = (TIERS[tier].places as Record<string, string>)[place];
        out.push({ name: `${role} of ${TIERS[tier].caller} · ${resource} · ${place}${tenant ? ` (${tenant})` : ""} · ${op} → ${cells[j]}`, tier, role, place, op, expect: cells[j] });
      });
    });
  }
  return out;
}

const purchaserCases = cases<PurchaserOp>("Purchaser", PURCHASER_OPS, PURCHASER_PLACES, PURCHASER_TABLE, 1);
const accountCases = cases<AccountOp>("Account", ACCOUNT_OPS, ACCOUNT_PLACES, ACCOUNT_TABLE, 1);
const scheduleCases = cases<ScheduleOp>("TenantSchedule", SCHEDULE_OPS, SCHEDULE_PLACES, SCHEDULE_TABLE, 0);

const PUBLIC_FIELDS = ["creditCode", "id", "name", "status", "tenantCode", "unitType"];
const HIDDEN_FIELDS = ["budgetCode", "contactName", "contactPhone", "contactEmail", "address"];

// ─── The platform ─────────────────────────────────────────────────────────────────────────────────
interface Caller {
  token?: string;
  id?: string;
  username?: string;
  /** the caller's own purchasing unit (purchasers only) */
  unit?: { id: string; budgetCode: string };
}

describe("isolation matrix: every role × object × place × operation", () => {
  let platform: TestPlatform;
  let admin: string;
  const callers = new Map<string, Caller>();
  const callerOf = (tier: Tier, role: Role) => callers.get(`${tier}/${role}`)!;
  /** one object per place, shared by the read cases (nothing changes them) */
  const sharedUnits = new Map<string, { id: string; budgetCode: string }>();
  const sharedAccounts = new Map<string, string>();
  let seq = 0;

  const knex = () => platform.kernel.db.knex;
  const call = (path: string, token: string | undefined, method = "GET", body?: unknown) => platform.api(path, { method, token, body });

  async function newUnit(tenantCode: string): Promise<{ id: string; budgetCode: string }> {
    const n = ++seq;
    const budgetCode = `${tenantCode}${String(n).padStart(5, "0")}`;
    const res = await call("/api/registries/purchasers", admin, "POST", {
      name: `隔离测试单位${n}`,
      budgetCode,
      tenantCode,
      unitType: "government-agency",
      creditCode: creditCode(tenantCode, n),
      contactName: "陈晓",
      contactPhone: "0752-2281234",
      contactEmail: `unit${n}@example.gov.cn`,
      address: "测试路1号",
    });
    if (res.status !== 201) throw new Error(`seeding a unit of ${tenantCode}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id, budgetCode };
  }

  async function newAccount(tenantCode: string, roles: string[], unitCode?: string): Promise<{ id: string; token: string; username: string }> {
    const username = `iso-${++seq}-${crypto.randomBytes(3).toString("hex")}`;
    const token = await platform.token({ username, roles, tenantCode, unitCode });
    const row = await knex()("core_accounts").where({ username }).first("id");
    return { id: row.id, token, username };
  }

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    const roles = new Set<string>();
    for (const t of [PURCHASER_TABLE, ACCOUNT_TABLE, SCHEDULE_TABLE]) for (const [tier, role] of t) roles.add(`${tier}/${role}`);
    for (const key of roles) {
      const [tier, role] = key.split("/") as [Tier, Role];
      if (role === "anonymous") {
        callers.set(key, {});
        continue;
      }
      const tenant = TIERS[tier].caller;
      const unit = role === "purchaser" ? await newUnit(tenant) : undefined;
      const account = await newAccount(tenant, [role], unit?.budgetCode);
      callers.set(key, { ...account, unit });
    }
    for (const tenant of ["440000", "441300", "441322", "440900"]) {
      sharedUnits.set(tenant, await newUnit(tenant));
      sharedAccounts.set(tenant, (await newAccount(tenant, ["purchaser"], `${tenant}99`)).id);
    }
    for (const tier of Object.keys(TIERS) as Tier[]) sharedAccounts.set(`admin/${tier}`, (await newAccount(TIERS[tier].caller, ["platform-admin"])).id);
  });
  afterAll(() => platform.stop());

  /** Every page of a list, as the caller sees it; the reply of the first page if it is refused. */
  async function everyPage(path: string, token: string | undefined, pageSize: number): Promise<{ refused?: Reply; items: Array<Record<string, unknown>> }> {
    const items: Array<Record<string, unknown>> = [];
    for (let page = 1; ; page++) {
      const res = await call(`${path}?page=${page}&pageSize=${pageSize}`, token);
      if (res.status !== 200) return { refused: res, items };
      items.push(...res.body.items);
      if (res.body.items.length === 0 || page * pageSize >= res.body.total) break;
    }
    return { items };
  }
  const listCache = new Map<string, Promise<{ refused?: Reply; items: Array<Record<string, unknown>> }>>();
  const listOf = (resource: "purchasers" | "accounts", tier: Tier, role: Role) => {
    const key = `${resource}/${tier}/${role}`;
    if (!listCache.has(key)) {
      const path = resource === "purchasers" ? "/api/registries/purchasers" : "/api/accounts";
      listCache.set(key, everyPage(path, callerOf(tier, role).token, resource === "purchasers" ? 100 : 200));
    }
    return listCache.get(key)!;
  };

  /** What the same caller is told for an id that does not exist: a hidden object must look the same. */
  const missingCache = new Map<string, Promise<Reply>>();
  const missing = (token: string | undefined, method: string, base: string, body?: unknown) => {
    const key = `${token}/${method}/${base}`;
    if (!missingCache.has(key)) missingCache.set(key, call(`${base}/${crypto.randomUUID()}`, token, method, body));
    return missingCache.get(key)!;
  };

  function expectError(res: Reply, status: number, code: string) {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  }
  async function expectHidden(res: Reply, token: string | undefined, method: string, base: string, body?: unknown) {
    expectError(res, 404, "NOT_FOUND");
    const absent = await missing(token, method, base, body);
    expect(res.body).toEqual(absent.body);
    expect(res.status).toBe(absent.status);
  }
  function expectFullUnit(item: Record<string, unknown>) {
    for (const f of [...PUBLIC_FIELDS, ...HIDDEN_FIELDS]) expect(item).toHaveProperty(f);
  }
  function expectRegionalUnit(item: Record<string, unknown>) {
    for (const f of [...PUBLIC_FIELDS, ...HIDDEN_FIELDS.filter((h) => h !== "budgetCode")]) expect(item).toHaveProperty(f);
    expect(Object.keys(item)).not.toContain("budgetCode");
  }
  function expectPublicUnit(item: Record<string, unknown>) {
    // No hidden field at all, not even as null.
    for (const f of HIDDEN_FIELDS) expect(Object.keys(item)).not.toContain(f);
    expect(Object.keys(item).sort()).toEqual(PUBLIC_FIELDS);
  }

  // ─── Purchasers ─────────────────────────────────────────────────────────────────────────────────
  describe("Purchaser", () => {
    const BASE = "/api/registries/purchasers";
    const unitAt = (c: Case<PurchaserOp>, fresh: boolean) => {
      if (c.place === "unit") return Promise.resolve(callerOf(c.tier, c.role).unit!);
      const tenant = (TIERS[c.tier].places as Record<string, string>)[c.place];
      return fresh ? newUnit(tenant) : Promise.resolve(sharedUnits.get(tenant)!);
    };
    const row = (id: string) => knex()("registries_purchasers").where({ id }).first();

    test.each(purchaserCases)("$name", async (c) => {
      const { token } = callerOf(c.tier, c.role);
      const unit = await unitAt(c, c.op === "update" || c.op === "rename" || c.op === "delete");
      switch (c.op) {
        case "list": {
          const { refused, items } = await listOf("purchasers", c.tier, c.role);
          if (c.expect === "401") return expectError(refused!, 401, "UNAUTHENTICATED");
          expect(refused?.body).toBeUndefined();
          const found = items.find((i) => i.id === unit.id);
          if (c.expect === "hide") return expect(found).toBeUndefined();
          expect(found).toBeDefined();
          if (c.expect === "full") expectFullUnit(found!);
          else if (c.expect === "reg") expectRegionalUnit(found!);
          else expectPublicUnit(found!);
          return;
        }
        case "get": {
          const res = await call(`${BASE}/${unit.id}`, token);
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "hide") return expectHidden(res, token, "GET", BASE);
          expect(res.status).toBe(200);
          expect(res.body.id).toBe(unit.id);
          if (c.expect === "full") {
            expectFullUnit(res.body);
            expect(res.body.budgetCode).toBe(unit.budgetCode);
          } else if (c.expect === "reg") expectRegionalUnit(res.body);
          else expectPublicUnit(res.body);
          return;
        }
        case "update":
        case "rename": {
          const field = c.op === "update" ? "contact_name" : "name";
          const body = c.op === "update" ? { contactName: `新联系人${seq}` } : { name: `新名称单位${seq}` };
          const before = await row(unit.id);
          const res = await call(`${BASE}/${unit.id}`, token, "PATCH", body);
          const after = await row(unit.id);
          if (c.expect === "ok") {
            expect(res.status).toBe(200);
            expect(after[field]).toBe(Object.values(body)[0]);
            return;
          }
          expect(after).toEqual(before);
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "403") return expectError(res, 403, "FORBIDDEN");
          return expectHidden(res, token, "PATCH", BASE, body);
        }
        case "delete": {
          const res = await call(`${BASE}/${unit.id}`, token, "DELETE");
          const after = await row(unit.id);
          if (c.expect === "ok") {
            expect([200, 204]).toContain(res.status);
            expect(after.status).toBe("inactive");
            return;
          }
          expect(after.status).toBe("active");
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "403") return expectError(res, 403, "FORBIDDEN");
          return expectHidden(res, token, "DELETE", BASE);
        }
      }
    });

    // Every item of every page: a list never holds a row beyond the caller's reach.
    const reaches = PURCHASER_TABLE.map(([tier, role, reach, list]) => ({ tier, role, reach, pub: list.includes("pub") }));
    test.each(reaches)("the list of a $role of $tier, over all pages, holds only rows of its reach ($reach)", async ({ tier, role, reach, pub }) => {
      const { refused, items } = await everyPage(BASE, callerOf(tier, role).token, 25);
      if (reach === "401") return expectError(refused!, 401, "UNAUTHENTICATED");
      expect(refused?.body).toBeUndefined();
      expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
      const region = REGION[tier];
      const allowed = reach === "all" || region === "everywhere" ? null : new Set(region);
      const foreign = items.filter((i) => allowed && !allowed.has(i.tenantCode as string));
      expect(foreign).toEqual([]);
      if (pub) for (const i of items) expectPublicUnit(i);
      // and nothing of its reach is left out
      const expected = allowed ? await knex()("registries_purchasers").whereIn("tenant_code", [...allowed]).count({ n: "*" }) : await knex()("registries_purchasers").count({ n: "*" });
      expect(items.length).toBe(Number(expected[0].n));
    });
  });

  // ─── Accounts ───────────────────────────────────────────────────────────────────────────────────
  describe("Account", () => {
    const BASE = "/api/accounts";
    async function accountAt(c: Case<AccountOp>, fresh: boolean): Promise<string> {
      if (c.place === "self") return callerOf(c.tier, c.role).id!;
      if (c.place === "admin") return fresh ? (await newAccount(TIERS[c.tier].caller, ["platform-admin"])).id : sharedAccounts.get(`admin/${c.tier}`)!;
      const tenant = (TIERS[c.tier].places as Record<string, string>)[c.place];
      return fresh ? (await newAccount(tenant, ["purchaser"])).id : sharedAccounts.get(tenant)!;
    }
    const row = (id: string) => knex()("core_accounts").where({ id }).first();

    test.each(accountCases)("$name", async (c) => {
      const { token } = callerOf(c.tier, c.role);
      const id = await accountAt(c, c.op === "update" || c.op === "delete");
      switch (c.op) {
        case "list": {
          const { refused, items } = await listOf("accounts", c.tier, c.role);
          if (c.expect === "401") return expectError(refused!, 401, "UNAUTHENTICATED");
          expect(refused?.body).toBeUndefined();
          const found = items.find((i) => i.id === id);
          if (c.expect === "hide") return expect(found).toBeUndefined();
          expect(found).toMatchObject({ id, username: expect.any(String), tenantCode: expect.any(String), roles: expect.any(Array) });
          return;
        }
        case "get": {
          const res = await call(`${BASE}/${id}`, token);
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "hide") return expectHidden(res, token, "GET", BASE);
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ id, username: expect.any(String), tenantCode: expect.any(String) });
          expect(res.body).not.toHaveProperty("passwordHash");
          return;
        }
        case "update": {
          const body = { displayName: `改名${seq++}` };
          const before = await row(id);
          const res = await call(`${BASE}/${id}`, token, "PATCH", body);
          const after = await row(id);
          if (c.expect === "ok") {
            expect(res.status).toBe(200);
            expect(after.display_name).toBe(body.displayName);
            return;
          }
          expect(after).toEqual(before);
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "403") return expectError(res, 403, "FORBIDDEN");
          return expectHidden(res, token, "PATCH", BASE, body);
        }
        case "delete": {
          const res = await call(`${BASE}/${id}`, token, "DELETE");
          const after = await row(id);
          if (c.expect === "ok") {
            expect(res.status).toBe(200);
            expect(after.status).toBe("disabled");
            return;
          }
          expect(after.status).toBe("active");
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          if (c.expect === "403") return expectError(res, 403, "FORBIDDEN");
          return expectHidden(res, token, "DELETE", BASE);
        }
      }
    });

    const reaches = ACCOUNT_TABLE.map(([tier, role, reach]) => ({ tier, role, reach }));
    test.each(reaches)("the account list of a $role of $tier, over all pages, holds only rows of its reach ($reach)", async ({ tier, role, reach }) => {
      const caller = callerOf(tier, role);
      const { refused, items } = await everyPage(BASE, caller.token, 25);
      if (reach === "401") return expectError(refused!, 401, "UNAUTHENTICATED");
      expect(refused?.body).toBeUndefined();
      expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
      if (reach === "self") return expect(items.map((i) => i.id)).toEqual([caller.id]);
      const region = REGION[tier];
      const allowed = reach === "all" || region === "everywhere" ? null : new Set(region);
      expect(items.filter((i) => allowed && !allowed.has(i.tenantCode as string))).toEqual([]);
      const expected = allowed ? await knex()("core_accounts").whereIn("tenant_code", [...allowed]).count({ n: "*" }) : await knex()("core_accounts").count({ n: "*" });
      expect(items.length).toBe(Number(expected[0].n));
    });
  });

  // ─── Tenant schedules ───────────────────────────────────────────────────────────────────────────
  describe("TenantSchedule", () => {
    const MODULE = "helpdesk";
    test.each(scheduleCases)("$name", async (c) => {
      const { token } = callerOf(c.tier, c.role);
      const tenant = (TIERS[c.tier].places as Record<string, string>)[c.place];
      const base = `/api/tenants/${tenant}/modules`;
      switch (c.op) {
        case "list": {
          const res = await call(base, token);
          expect(res.status).toBe(200);
          expect(res.body.tenant.code).toBe(tenant);
          expect(res.body.modules.map((m: { module: string }) => m.module)).toContain(MODULE);
          return;
        }
        case "get": {
          const res = await call(`${base}/${MODULE}/timeline`, token);
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ tenant: { code: tenant }, module: MODULE });
          return;
        }
        case "update": {
          const note = `matrix case ${++seq}`;
          const res = await call(`${base}/${MODULE}`, token, "PUT", { state: "live", from: "2031-01-01", note });
          const stored = await knex()("tenancy_schedule_entries").where({ tenant_code: tenant, module: MODULE, note }).count({ n: "*" });
          if (c.expect === "ok") {
            expect(res.status).toBe(200);
            expect(Number(stored[0].n)).toBe(1);
            return;
          }
          expect(Number(stored[0].n)).toBe(0);
          if (c.expect === "401") return expectError(res, 401, "UNAUTHENTICATED");
          return expectError(res, 403, "FORBIDDEN");
        }
        case "delete": {
          const before = await knex()("tenancy_schedule_entries").where({ tenant_code: tenant, module: MODULE }).orderBy("id");
          const res = await call(`${base}/${MODULE}`, token, "DELETE");
          expectError(res, 404, "NOT_FOUND");
          expect(await knex()("tenancy_schedule_entries").where({ tenant_code: tenant, module: MODULE }).orderBy("id")).toEqual(before);
          return;
        }
      }
    });
  });
});

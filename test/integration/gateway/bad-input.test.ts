import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import pg from "pg";
import { poll, type Reply } from "../../support/http";
import { IMPORT_COLUMNS } from "../../../core/identity/account-import";
import { AGENCY_CSV } from "../../../plugins/registries/services/agency-model";
import { SUPPLIER_CSV } from "../../../plugins/registries/services/supplier-model";

/**
 * Input PostgreSQL or the JSON parser cannot take (NUL, lone surrogates, arrays where a string is
 * meant, absurd page numbers, deep nesting, broken CSV quoting) is the caller's mistake: 400
 * VALIDATION_FAILED in the envelope, never a 500, and nothing written.
 */
describe("bad input is 400 VALIDATION_FAILED, never 500", () => {
  let platform: TestPlatform;
  let admin: string;
  let buyer: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
    buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  });
  afterAll(() => platform.stop());

  const refused = (res: Reply, path?: string) => {
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: expect.any(String) });
    if (path !== undefined) expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  };
  const count = async (table: string) => Number((await platform.kernel.db.knex(table).count({ n: "*" }))[0].n);

  const LISTS = [
    "/api/registries/purchasers",
    "/api/registries/suppliers",
    "/api/registries/agencies",
    "/api/accounts",
    "/api/instances",
    "/api/supervision/projects",
    "/api/portal/notices",
    "/api/notifications",
    "/api/audit/anchors",
  ];

  test.each([
    ["NUL", "a\u0000b"],
    ["a lone surrogate", "a\ud800b"],
  ])("%s in a JSON string is refused at its field, and nothing is stored", async (_what, bad) => {
    const before = await count("registries_purchasers");
    const res = await platform.api("/api/registries/purchasers", {
      method: "POST",
      token: admin,
      body: { name: "惠州市教育局", budgetCode: "441300101", tenantCode: "441300", unitType: "government-agency", address: bad },
    });
    refused(res, "/address");
    expect(res.body.error.details[0].rule).toBe("text");
    expect(await count("registries_purchasers")).toBe(before);
    // in a key too, and at any depth
    refused(await platform.api("/api/workflows/supervision.intention/instances", { method: "POST", token: buyer, body: { data: { [bad]: 1, nested: [{ x: bad }] } } }));
  });

  test("paired surrogates (emoji) and combining marks are text, and pass", async () => {
    const res = await platform.api("/api/registries/purchasers", {
      method: "POST",
      token: admin,
      body: { name: "惠州市教育局😀", budgetCode: "441300102", tenantCode: "441300", unitType: "government-agency", address: "惠城区e\u0301\ud83c\udfeb" },
    });
    expect(res.status).toBe(201);
    expect(res.body.address).toBe("惠城区e\u0301\ud83c\udfeb");
  });

  test("NUL in a sign-in is refused before the database; a wrong password is still audited", async () => {
    const audited = () => count("core_audit_log");
    const before = await audited();
    const res = await platform.api("/api/auth/login", { method: "POST", body: { username: "huizhou\u0000.buyer", password: "x" } });
    refused(res, "/username");
    expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await platform.api("/api/auth/login", { method: "POST", body: { username: "a", password: "\ud800" }, headers: { "accept-language": "en" } });
    refused(en, "/password");
    expect(en.body.error.details[0].message.en).toMatch(/character/);
    expect(en.body.error.message).toMatch(/^[\x20-\x7e]+$/);
    expect(await audited()).toBe(before);
    const wrong = await platform.api("/api/auth/login", { method: "POST", body: { username: "nobody.here", password: "wrong password" } });
    expect(wrong.status).toBe(401);
    expect(await audited()).toBe(before + 1);
  });

  test.each(LISTS)("NUL in the query string of %s is refused", async (list) => {
    refused(await platform.api(`${list}?q=a%00b`, { token: admin }), "/q");
  });

  test.each(LISTS)("q[]=a and q[x]=a on %s are refused, not taken as something else", async (list) => {
    refused(await platform.api(`${list}?q[]=a`, { token: admin }), "/q");
    refused(await platform.api(`${list}?q[x]=a`, { token: admin }), "/q");
    refused(await platform.api(`${list}?status=a&status=b`, { token: admin }), "/status");
  });

  test("a repeated lang parameter is refused like any other, in Chinese, instead of leaving the answer unsent", async () => {
    const res = await platform.api("/api/registries/purchasers?lang[]=en", { token: admin });
    refused(res, "/lang");
    expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    expect((await platform.api("/api/no/such/route?lang=en&lang=zh")).status).toBe(404);
  });

  test("a URL too long for the server's header limit is 431 in the envelope, and the next request is served", async () => {
    const res = await platform.api(`/api/registries/purchasers?q=${"%E9%87%87".repeat(20_000)}`, { token: admin });
    expect(res.status).toBe(431);
    expect(res.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/[\u4e00-\u9fff]/) });
    expect((await platform.api("/api/registries/purchasers", { token: admin })).status).toBe(200);
  });

  test.each(LISTS)("absurd page numbers on %s are refused; a good one answers", async (list) => {
    for (const page of ["99999999999999999999", "-1", "0", "1.5", "1e400", "NaN", "abc"]) {
      refused(await platform.api(`${list}?page=${page}`, { token: admin }), "/page");
    }
    for (const pageSize of ["0", "-5", "99999999999999999999", "2.5", "Infinity"]) {
      refused(await platform.api(`${list}?pageSize=${pageSize}`, { token: admin }), "/pageSize");
    }
    const ok = await platform.api(`${list}?page=2&pageSize=5`, { token: admin });
    expect(ok.status).toBe(200);
  });

  test("JSON nested 5,000 deep is refused whole, and nothing is stored", async () => {
    const before = await count("core_workflow_instances");
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const res = await platform.api("/api/workflows/supervision.intention/instances", {
      method: "POST",
      token: buyer,
      raw: `{"data":{"projectName":"x","summary":${deep}}}`,
      headers: { "content-type": "application/json" },
    });
    refused(res, "");
    expect(res.body.error.details[0].rule).toBe("depth");
    expect(await count("core_workflow_instances")).toBe(before);
  });

  // Every CSV import, with a header it takes: a broken line 3 stops the whole file, naming its line.
  const IMPORTS: Array<[string, string, string, string]> = [
    // core's columns and the first-password rule's (registries': the budget code)
    ["/api/accounts/import", "core_accounts", [...IMPORT_COLUMNS, "budget_code"].join(","), "huizhou.a,惠州 A,purchaser,441300,,"],
    ["/api/registries/purchasers/import", "registries_purchasers", "name,credit_code,budget_code,tenant_code,unit_type", "惠州市某局,,441300111,441300,government-agency"],
    ["/api/registries/suppliers/import", "registries_suppliers", SUPPLIER_CSV.columns.join(","), SUPPLIER_CSV.columns.map(() => "x").join(",")],
    ["/api/registries/agencies/import", "registries_agencies", AGENCY_CSV.columns.join(","), AGENCY_CSV.columns.map(() => "x").join(",")],
    ["/api/legacy/projects/import", "core_workflow_instances", "legacyId,projectName,tenantCode,unitCode,stage,startedOn,budget", "HZ2020-1,项目,441300,441300401,planned,2020-05-01,100.00"],
  ];

  test.each(IMPORTS)("a quote inside an unquoted field of a CSV for %s is 400 with its line, and nothing is stored", async (path, table, header, row) => {
    const exists = await platform.kernel.db.knex.schema.hasTable(table);
    const before = exists ? await count(table) : 0;
    for (const broken of ['惠州"市', '"惠州"市', '"惠州']) {
      const csv = `${header}\n${row}\n${broken}${row.slice(row.indexOf(","))}\n${row}\n`;
      const res = await platform.api(path, { method: "POST", token: admin, raw: csv, headers: { "content-type": "text/csv" } });
      refused(res, "");
      expect(res.body.error.details[0]).toMatchObject({ rule: "csv", line: 3 });
      expect(res.body.error.message).toMatch(/第 3 行/);
    }
    const nul = await platform.api(path, { method: "POST", token: admin, raw: `${header}\n${row}\na\u0000b${row.slice(row.indexOf(","))}\n`, headers: { "content-type": "text/csv", "accept-language": "en" } });
    refused(nul, "");
    expect(nul.body.error.details[0]).toMatchObject({ rule: "text", line: 3 });
    expect(nul.body.error.message).toMatch(/^Line 3 /);
    if (exists) expect(await count(table)).toBe(before);
  });

  test("NUL in a legacy JSON export is refused whole, and nothing is stored", async () => {
    const project = { legacyId: "HZ2020-0815", projectName: "道路养护\u0000设备", tenantCode: "441300", unitCode: "441300401", stage: "planned", startedOn: "2020-08-15", budget: "600000.00" };
    const before = await count("core_workflow_instances");
    const res = await platform.api("/api/legacy/projects/import", { method: "POST", token: admin, raw: JSON.stringify([project]), headers: { "content-type": "application/json" } });
    refused(res, "/0/projectName");
    expect(await count("core_workflow_instances")).toBe(before);
  });

  const unitBody = (name: string, budgetCode: string) => ({ name, budgetCode, tenantCode: "441300", unitType: "government-agency" });

  /** The call answers 503 UNAVAILABLE without the database's words, stores nothing, and the platform recovers. */
  async function unavailableAtCommit(name: string, budgetCode: string) {
    const before = await count("registries_purchasers");
    const audited = await count("core_audit_log");
    const res = await platform.api("/api/registries/purchasers", { method: "POST", token: admin, body: unitBody(name, budgetCode) });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("UNAVAILABLE");
    expect(JSON.stringify(res.body)).not.toMatch(/terminat|administrator|57P01|queryable|connection error/i);
    // the pool may still hold the dead connection for a moment: the next calls may be 503 too, then succeed
    await poll("the platform answers again", () => platform.api(`/api/registries/purchasers?q=${encodeURIComponent(name)}`, { token: admin }), (r) => r.status === 200, 5000);
    expect(await count("registries_purchasers")).toBe(before);
    expect(await count("core_audit_log")).toBe(audited);
    const again = await platform.api("/api/registries/purchasers", { method: "POST", token: admin, body: unitBody(`${name}（重试）`, String(Number(budgetCode) + 1)) });
    expect(again.status).toBe(201);
  }

  test("a COMMIT sent after a restart terminated the transaction's backend is 503 UNAVAILABLE, and nothing is stored", async () => {
    const knex = platform.kernel.db.knex;
    // Between the transaction's last statement and its COMMIT, the server terminates the backend
    // (what `pg_ctl restart -m fast` does to every session): pg's client learns it from the socket,
    // and the COMMIT fails on a connection that can no longer be used.
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    let doomed: unknown = null;
    let fired = false;
    proto.query = function (this: pg.Client & { processID: number }, ...args: unknown[]) {
      const sql = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text ?? "";
      if (!fired && /insert into "registries_purchasers"/i.test(sql)) doomed = this;
      if (doomed === this && /^commit/i.test(sql)) {
        doomed = null;
        fired = true;
        const pid = this.processID;
        void (async () => {
          await knex.raw("select pg_terminate_backend(?)", [pid]);
          await poll("the backend is gone", () => knex.raw("select count(*)::int as n from pg_stat_activity where pid = ?", [pid]), (r) => r.rows[0].n === 0, 5000);
          await new Promise((r) => setTimeout(r, 100));
          original.apply(this, args);
        })();
        return undefined;
      }
      return original.apply(this, args);
    };
    try {
      await unavailableAtCommit("重启时提交的单位", "441300186");
    } finally {
      proto.query = original;
    }
  });

  test("a COMMIT the server refuses as it shuts down (57P01 inside COMMIT) is 503 UNAVAILABLE, and nothing is stored", async () => {
    const knex = platform.kernel.db.knex;
    // A deferred constraint trigger runs inside COMMIT, after every statement: there the backend
    // is told to terminate, as a fast shutdown tells it.
    await knex.raw(`
      create function fixture_die_at_commit() returns trigger language plpgsql as $$
      begin perform pg_terminate_backend(pg_backend_pid()); perform pg_sleep(1); return null; end $$;
      create constraint trigger fixture_die_at_commit after insert on registries_purchasers
        deferrable initially deferred for each row when (new.name = '关机时提交的单位') execute function fixture_die_at_commit();
    `);
    try {
      await unavailableAtCommit("关机时提交的单位", "441300183");
    } finally {
      await knex.raw("drop trigger fixture_die_at_commit on registries_purchasers; drop function fixture_die_at_commit()");
    }
  });
});

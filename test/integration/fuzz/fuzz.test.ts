import fc from "fast-check";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { callApi, type Reply } from "../../support/http";
import { readFormFiles } from "../../../core/forms/validate";
import { mutated, nastyString, queryValue, serialise, valid, wrongValue, type Schema } from "./arbitraries";

/**
 * Generated payloads over every form-backed endpoint (each loaded workflow's start and
 * transitions, the registries' create and update, accounts, schedule entries) and every list,
 * from the forms' JSON Schemas, mutated. Whatever comes in: no 5xx, every refusal in the error
 * envelope, and a refused request leaves every table as it was.
 *
 * FUZZ_SEED=<n> replays a run (the seed is printed); FUZZ_SEED=random draws a new one.
 * FUZZ_PAYLOADS (10,000) is how many requests are made.
 */
const SEED = process.env.FUZZ_SEED === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20261213);
const PAYLOADS = Number(process.env.FUZZ_PAYLOADS ?? 10_000);
const BATCH = Number(process.env.FUZZ_BATCH ?? 8);

// Every table a request handler writes in its own transaction: a row inserted into any of them is
// counted. (Notifications, inboxes and portal notices are written after the commit by event
// handlers, so a later refusal may see them grow; handlers that put events of their own in the
// outbox are waited out before refusals are checked alone.)
const TABLES = [
  "core_accounts",
  "core_audit_log",
  "core_outbox",
  "core_workflow_instances",
  "core_workflow_history",
  "core_workflow_timers",
  "tenancy_schedule_entries",
  "registries_purchasers",
  "registries_suppliers",
  "registries_agencies",
  "supervision_projects",
  "supervision_project_instances",
];
// Tables nothing changes but a request: their updates and deletes are counted as well.
const REQUEST_ONLY = ["core_accounts", "tenancy_schedule_entries", "registries_purchasers", "registries_suppliers", "registries_agencies"];

// Who calls: the demo accounts' roles, units and tenants (README), as sessions of their own.
const CALLERS = {
  admin: { roles: ["platform-admin"], tenantCode: "440000" },
  huizhouAdmin: { roles: ["tenant-admin"], tenantCode: "441300", unitCode: "441300001" },
  regulator: { roles: ["regulator"], tenantCode: "441300", unitCode: "441300001" },
  buyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" },
  agency: { roles: ["agency"], tenantCode: "441300", unitCode: "91441300MA51XH3T8F" },
  supplier: { roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA4W7K2Q52" },
  maomingBuyer: { roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" },
  anonymous: null,
} as const;
type Caller = keyof typeof CALLERS;
const CALLER_NAMES = Object.keys(CALLERS) as Caller[];

const LISTS: Array<[string, string[]]> = [
  ["/api/registries/purchasers", ["q", "tenantCode", "status"]],
  ["/api/registries/suppliers", ["q", "tenant", "status", "sizeClass", "sme"]],
  ["/api/registries/agencies", ["q", "tenant", "status"]],
  ["/api/accounts", ["q", "tenantCode", "role", "status", "passwordKind"]],
  ["/api/instances", ["workflow", "state", "mine", "actionable", "tenantCode"]],
  ["/api/supervision/projects", ["stage", "q", "tenantCode"]],
  ["/api/portal/notices", ["tenant", "type", "q"]],
  ["/api/notifications", ["unread", "after"]],
  ["/api/audit/anchors", []],
  ["/api/tenants/441300/modules", ["at"]],
  ["/api/tenants/441302/modules/etrading/timeline", []],
  ["/api/tenants", []],
  ["/api/forms", ["tenant"]],
  ["/api/workflows", []],
  ["/api/notifications/follows", []],
];

const ACCOUNT_SCHEMA: Schema = {
  type: "object",
  required: ["username", "displayName", "tenantCode", "roles"],
  properties: {
    username: { type: "string", minLength: 2, maxLength: 64 },
    displayName: { type: "string", minLength: 1, maxLength: 100 },
    tenantCode: { type: "string", format: "division-code" },
    unitCode: { type: "string", format: "unit-code" },
    roles: { type: "array", minItems: 1, maxItems: 3, items: { enum: ["purchaser", "agency", "supplier", "regulator", "tenant-admin", "platform-admin", "expert"] } },
  },
};
const SCHEDULE_SCHEMA: Schema = {
  type: "object",
  required: ["state", "from"],
  properties: {
    state: { enum: ["off", "pilot", "live", "sunset", "retired"] },
    from: { type: "string", format: "schedule-time" },
    until: { type: "string", format: "schedule-time" },
    units: { type: "array", maxItems: 3, items: { type: "string", format: "unit-code" } },
    note: { type: "string", maxLength: 500 },
  },
};

interface Request {
  kind: string;
  caller: Caller;
  method: string;
  path: string;
  body?: string;
}

interface WorkflowView {
  id: string;
  start?: { roles?: string[]; form?: string | null } | null;
  transitions: Array<{ name: string; from: string | string[]; roles: string[]; form: string | null }>;
}

describe("fuzz: generated payloads over every form-backed and list endpoint", () => {
  let platform: TestPlatform;
  const tokens = new Map<Caller, string | undefined>();

  beforeAll(async () => {
    // What is counted is what requests write: the platform's own background writers (the deadline
    // ticker, the e-trading screening sweep, which audits a tender whose cutoff has passed) would
    // write in a batch of refusals on a slow machine, so they wait a day here.
    process.env.SCREENING_SWEEP_MS = "86400000";
    platform = await startTestPlatform({ demoAccounts: true, deadlineCheckMs: 86_400_000 });
    for (const name of CALLER_NAMES) {
      const c = CALLERS[name];
      tokens.set(name, c ? await platform.token({ ...c, roles: [...c.roles] }) : undefined);
    }
  }, 120_000);
  afterAll(() => platform?.stop());

  test(`${PAYLOADS} payloads: no 5xx, every refusal in the envelope, nothing stored from a refusal`, async () => {
    const started = Date.now();
    console.log(`[fuzz] seed ${SEED} (replay: FUZZ_SEED=${SEED}), ${PAYLOADS} payloads`);
    const knex = platform.kernel.db.knex;
    const schemaOf = (formId: string | null | undefined): Schema | undefined => (formId ? (readFormFiles(formId).schema as Schema) : undefined);

    // What is there to aim at: the loaded workflows and their forms, the instances and records the demo made.
    const workflows = (await callApi(platform.baseUrl, "/api/workflows")).body as WorkflowView[];
    expect(workflows.length).toBeGreaterThan(0);
    const admin = tokens.get("admin");
    const instances = new Map<string, Array<{ id: string; state: string }>>();
    for (const w of workflows) {
      // each role sees its own part of the demo's instances
      const seen = new Map<string, { id: string; state: string }>();
      for (const who of ["admin", "buyer", "regulator", "agency", "supplier"] as const) {
        const page = await callApi(platform.baseUrl, `/api/instances?workflow=${w.id}&pageSize=100`, { token: tokens.get(who) });
        for (const i of (page.body.items ?? []) as Array<{ id: string; state: string }>) seen.set(i.id, i);
      }
      instances.set(w.id, [...seen.values()]);
    }
    console.log(`[fuzz] demo instances: ${[...instances].map(([w, list]) => `${w} ${list.length}`).join(", ")}`);
    const records: Record<string, string[]> = {};
    for (const [registry, key] of [["purchasers", "id"], ["suppliers", "creditCode"], ["agencies", "creditCode"]] as const) {
      const page = await callApi(platform.baseUrl, `/api/registries/${registry}?pageSize=100`, { token: admin });
      records[registry] = (page.body.items as Array<Record<string, string>>).map((r) => r[key]);
    }
    expect(records.purchasers.length).toBeGreaterThan(0);
    const registryForms = { purchasers: "registries.purchaser", suppliers: "registries.supplier", agencies: "registries.agency" } as const;

    // the callers a workflow's roles name, so that most transitions get past the role check to their data
    const byRole = (roles: string[] | undefined, fallback: Caller[]): Caller[] => {
      const found = CALLER_NAMES.filter((c) => CALLERS[c]?.roles.some((r) => roles?.includes(r)));
      return found.length ? found : fallback;
    };
    const caller = (preferred: Caller[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...preferred) }, { weight: 1, arbitrary: fc.constantFrom(...CALLER_NAMES) });
    // instances where the transition can start, else any of the workflow's
    const fromState = (workflowId: string, from: string | string[]) => {
      const all = instances.get(workflowId) ?? [];
      const here = all.filter((i) => (Array.isArray(from) ? from : [from]).includes(i.state));
      return (here.length ? here : all).map((i) => i.id);
    };
    const pick = (list: string[]) => fc.oneof({ weight: 8, arbitrary: list.length ? fc.constantFrom(...list) : fc.uuid() }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x"))) });
    const version = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: wrongValue });
    const envelope = (data: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 9, arbitrary: fc.record({ data, expectedVersion: version }, { requiredKeys: ["data"] }) }, { weight: 1, arbitrary: wrongValue });

    const ops: Array<fc.Arbitrary<Request>> = [];
    for (const w of workflows) {
      const form = schemaOf(w.start?.form);
      ops.push(
        fc.record({ caller: caller(byRole(w.start?.roles, ["buyer"])), data: envelope(fc.oneof(valid(form), mutated(form))) }).map(({ caller, data }) => ({
          kind: `start ${w.id}`, caller, method: "POST", path: `/api/workflows/${w.id}/instances`, body: serialise(data),
        })),
      );
      for (const t of w.transitions) {
        const tf = schemaOf(t.form);
        ops.push(
          fc.record({ caller: caller(byRole(t.roles, ["buyer"])), id: pick(fromState(w.id, t.from)), data: envelope(t.form ? fc.oneof(valid(tf), mutated(tf)) : fc.oneof(fc.constant({}), wrongValue)) }).map(({ caller, id, data }) => ({
            kind: `transition ${w.id}.${t.name}`, caller, method: "POST", path: `/api/instances/${id}/transitions/${t.name}`, body: serialise(data),
          })),
        );
      }
    }
    for (const [registry, formId] of Object.entries(registryForms)) {
      const form = schemaOf(formId);
      ops.push(
        fc.record({ caller: caller(["admin", "huizhouAdmin"]), data: fc.oneof(valid(form), mutated(form)) }).map(({ caller, data }) => ({
          kind: `create ${registry}`, caller, method: "POST", path: `/api/registries/${registry}`, body: serialise(data),
        })),
        fc.record({ caller: caller(["admin", "huizhouAdmin"]), id: pick(records[registry]), data: mutated({ ...form, required: [] }), expectedVersion: version }).map(({ caller, id, data, expectedVersion }) => ({
          kind: `update ${registry}`, caller, method: "PATCH", path: `/api/registries/${registry}/${id}`,
          body: serialise(data && typeof data === "object" && !Array.isArray(data) ? { ...data, expectedVersion } : data),
        })),
      );
    }
    ops.push(
      fc.record({ caller: caller(["admin", "huizhouAdmin"]), data: fc.oneof(valid(ACCOUNT_SCHEMA), mutated(ACCOUNT_SCHEMA, 0.3)) }).map(({ caller, data }) => ({
        kind: "create account", caller, method: "POST", path: "/api/accounts", body: serialise(data),
      })),
      fc.record({
        caller: caller(["admin", "huizhouAdmin"]),
        tenant: fc.oneof(fc.constantFrom("440900", "440902", "440500", "441302", "440300", "999999"), nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x")))),
        module: fc.constantFrom("etrading", "emall", "finance", "credit", "analytics", "nosuch", "%00"),
        data: fc.oneof(valid(SCHEDULE_SCHEMA), mutated(SCHEDULE_SCHEMA, 0.3)),
      }).map(({ caller, tenant, module, data }) => ({
        kind: "schedule entry", caller, method: "PUT", path: `/api/tenants/${tenant}/modules/${module}`, body: serialise(data),
      })),
    );
    for (const [list, params] of LISTS) {
      const names = [...params, "q", "page", "pageSize", "lang", "q[]", "page[]", "q[x]", "status"];
      ops.push(
        fc.record({ caller: caller(["admin", "buyer", "huizhouAdmin"]), query: fc.array(fc.tuple(fc.constantFrom(...names), queryValue), { maxLength: 5 }) }).map(({ caller, query }) => ({
          kind: `list ${list}`, caller, method: "GET", path: `${list}?${query.map(([k, v]) => `${k}=${v}`).join("&")}`,
        })),
      );
    }

    const requests = fc.sample(fc.oneof(...ops), { seed: SEED, numRuns: PAYLOADS });
    // The demo's deadlines (a tender that closes minutes after the start) would fire during the run
    // and write as no request did: what is counted here is what requests write, so they are set aside.
    await knex("core_workflow_timers").whereNull("fired_at").whereNull("cancelled_at").update({ cancelled_at: new Date() });
    // Counted by the database, in the writing transaction itself (so a rolled-back write counts
    // nothing), and read in one small query between requests: count(*) over twelve tables took
    // a third of the run.
    await knex.raw(`
      create table fuzz_writes (tbl text not null, op text not null);
      create function fuzz_count() returns trigger language plpgsql as $$
      begin
        -- a row per write, never a shared counter row: two transactions that write the same tables
        -- in different orders would deadlock on the counters, a 500 the platform did not cause
        insert into fuzz_writes (tbl, op) values (TG_TABLE_NAME, TG_OP);
        return null;
      end $$;
      ${TABLES.map((t) => `create trigger fuzz_count after insert${REQUEST_ONLY.includes(t) ? " or update or delete" : ""} on ${t} for each row execute function fuzz_count();`).join("\n")}
    `);
    const counts = async () => {
      const rows = (await knex.raw("select tbl || ' ' || lower(op) as what, count(*)::text as n from fuzz_writes group by 1 order by 1")).rows as Array<{ what: string; n: string }>;
      return new Map(rows.map((r) => [r.what, r.n]));
    };
    const changed = (a: Map<string, string>, b: Map<string, string>) => [...b].filter(([what, n]) => a.get(what) !== n).map(([what]) => what);
    /** The counters once nothing has written for 250 ms (at most 10 s): what the events of a batch's writes wrote, done. */
    const settled = async (from: Map<string, string>) => {
      let last = from;
      for (const until = Date.now() + 10_000; Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 250));
        const now = await counts();
        if (!changed(last, now).length) return now;
        last = now;
      }
      return last;
    };

    const byStatus = new Map<number, number>();
    const byKind = new Map<string, Map<number, number>>();
    const failures: string[] = [];
    const shown = (i: number, r: Request) => `#${i} ${r.kind} as ${r.caller}: ${r.method} ${r.path.slice(0, 300)} ${r.body?.slice(0, 300) ?? ""}`;
    const send = (r: Request) =>
      callApi(platform.baseUrl, r.path, { method: r.method, token: tokens.get(r.caller), ...(r.body !== undefined ? { raw: r.body, headers: { "content-type": "application/json" } } : {}) });
    const isWrite = (r: Request, res: Reply) => r.method !== "GET" && res.status < 400;
    let rechecked = 0;

    // Requests go in batches of BATCH at once (one process serves and asks: waiting on PostgreSQL
    // one at a time left a core idle). A batch in which nothing was written must leave every
    // counter as it was; a batch with a successful write has its refused writes sent again one
    // at a time, each checked alone.
    let before = await counts();
    for (let start = 0; start < requests.length; start += BATCH) {
      const batch = requests.slice(start, start + BATCH);
      const answers = await Promise.all(batch.map((r) => send(r).catch((err: Error) => err)));
      const after = await counts();
      let wrote = false;
      answers.forEach((res, j) => {
        const i = start + j;
        const r = batch[j];
        if (res instanceof Error) {
          failures.push(`${shown(i, r)} → no answer: ${res.message}`);
          return;
        }
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        const k = byKind.get(r.kind) ?? new Map<number, number>();
        k.set(res.status, (k.get(res.status) ?? 0) + 1);
        byKind.set(r.kind, k);
        if (isWrite(r, res)) wrote = true;
        if (res.status >= 500) failures.push(`${shown(i, r)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}: a 5xx`);
        else if (res.status >= 400 && !(typeof res.body?.error?.code === "string" && typeof res.body.error.message === "string" && res.body.error.message)) {
          failures.push(`${shown(i, r)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}: a refusal outside the envelope`);
        }
      });
      if (!wrote && changed(before, after).length) {
        failures.push(`#${start}–#${start + batch.length - 1}: a batch of refusals and reads wrote: ${changed(before, after).join(", ")}\n  ${batch.map((r, j) => shown(start + j, r)).join("\n  ")}`);
      }
      before = after;
      if (!wrote) continue;
      // A successful write's events are handled after its commit, and handlers write too (a rating round's
      // notices, a credit fact: core_outbox rows): the counters settle before the refusals are sent again alone.
      before = await settled(before);
      for (let j = 0; j < batch.length; j++) {
        const first = answers[j];
        if (first instanceof Error || first.status < 400 || batch[j].method === "GET") continue;
        const res = await send(batch[j]);
        const again = await counts();
        rechecked++;
        if (res.status >= 500) failures.push(`${shown(start + j, batch[j])} (sent again) → ${res.status}: a 5xx`);
        else if (res.status >= 400 && changed(before, again).length) failures.push(`${shown(start + j, batch[j])} (sent again) → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}: a refusal that wrote: ${changed(before, again).join(", ")}`);
        before = again;
      }
    }

    const seconds = (Date.now() - started) / 1000;
    const statuses = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(", ");
    const kinds = [...byKind].map(([kind, m]) => `  ${kind}: ${[...m].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ")}`).join("\n");
    console.log(`[fuzz] seed ${SEED}: ${requests.length} payloads in ${seconds.toFixed(1)} s (${Math.round(requests.length / seconds)}/s, ${BATCH} at once; ${rechecked} refused writes sent again alone); statuses ${statuses}; ${failures.length} failures\n${kinds}`);
    if (failures.length) throw new Error(`seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${failures.length} failures; the first 20:\n${failures.slice(0, 20).join("\n")}`);
    expect(requests.length).toBe(PAYLOADS);
  }, 300_000);
});

import { usccCheckChar } from "../../../core/forms/formats";
import { AGENCY, intention, type Lifecycle, lifecycle, ok, plan, SUPPLIERS, UNITS } from "../supervision/support";

export { AGENCY, ok, SUPPLIERS, UNITS };

const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};

/** Three more suppliers, so that a draw of 3 has a pool larger than itself. */
export const MORE_SUPPLIERS = [1, 2, 3].map((i) => ({ creditCode: company("441300", 7100 + i), name: `惠州市第${i}照明工程有限公司`, sizeClass: "medium", region: "441300" }));

export interface Trading extends Lifecycle {
  /** a project whose plan (of `method`, for `total`) is filed and executed on e-trading; the intention published 35 days before `on` */
  filedProject(method: string, on: string, total?: string, agency?: boolean): Promise<string>;
  documents(projectId: string, over?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Travels to `at` and waits until the instance's deadlines due by then have fired. Travelling makes
   * them due all at once, where real time would have fired each on its day: a step taken right after
   * the travel would race them on the instance's version and could lose with 409.
   */
  settled(instanceId: string, at: string): Promise<void>;
}

export async function trading(): Promise<Trading> {
  const l = await lifecycle();
  for (const s of MORE_SUPPLIERS) {
    ok(await l.call("admin", "/api/registries/suppliers", { method: "POST", body: { ...s, contactName: "陈经理", contactPhone: "13800138001" } }), 201);
  }
  for (const [i, s] of MORE_SUPPLIERS.entries()) l.tokens[`supplier${i + 1}`] = await l.platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: s.creditCode });
  let n = 0;
  const filedProject: Trading["filedProject"] = async (method, on, total = "1400000.00", agency = false) => {
    const onAt = Date.parse(`${on}T10:00:00+08:00`);
    l.travel(new Date(onAt - 35 * 86_400_000).toISOString());
    const started = ok(await l.start("buyer", "supervision.intention", intention({ projectName: `惠州市道路照明设备采购（${++n}）`, budget: total, expectedMonth: on.slice(0, 7) })), 201);
    ok(await l.take("buyer", started.id, "publish"));
    l.travel(new Date(onAt - 2 * 86_400_000).toISOString());
    const items = [{ category: "A02061802", name: "LED路灯", quantity: 1, unit: "批", unitPrice: total, amount: total }];
    const p = ok(await l.start("buyer", "supervision.plan", plan(started.data.projectId, { method, items, total, ...(agency ? { agencyCode: AGENCY.creditCode } : {}) })), 201);
    ok(await l.take("buyer", p.id, "submit"));
    ok(await l.take("regulator", p.id, "file"));
    ok(await l.take("buyer", p.id, "choose-channel", { channel: "etrading" }));
    l.travel(on);
    return started.data.projectId as string;
  };
  const documents: Trading["documents"] = (projectId, over = {}) => ({
    projectId,
    title: "惠州市城区道路照明设备采购项目",
    maxPrice: "1350000.00",
    requirements: "LED路灯1200盏，色温4000K，含安装调试，质保5年",
    qualifications: "具有独立承担民事责任的能力；近三年无重大违法记录",
    scoring: "综合评分法：价格30分，技术50分，商务20分",
    deposit: { kind: "deposit", amount: "20000.00" },
    creditQueryCutoff: "2021-03-01T09:00:00+08:00",
    bidDeadline: "2021-03-29T09:30:00+08:00",
    ...over,
  });
  const settled: Trading["settled"] = async (instanceId, at) => {
    l.travel(at);
    const knex = l.platform.kernel.db.knex;
    for (let i = 0; i < 100; i++) {
      const due = await knex("core_workflow_timers").where({ instance_id: instanceId }).whereNull("fired_at").whereNull("cancelled_at").where("due_at", "<=", l.platform.kernel.clock.now()).count({ n: "*" });
      if (Number(due[0].n) === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`instance ${instanceId}: the deadlines due at ${at} did not fire`);
  };
  return { ...l, filedProject, documents, settled };
}

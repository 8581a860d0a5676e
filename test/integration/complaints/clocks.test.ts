import { ok, type Trading, trading, UNITS } from "../etrading/support";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The clocks fire (issue 19: "every clock is a workflow timer that survives restarts"): a challenge's
 * reply clock (challenge.reply, 7 working days) is a row in the engine's persisted timers, checked at
 * 00:00 each day the case is open. On the last working day the purchasing unit that must answer is
 * warned; once missed, the regulator is told; each once. The engine's `fireDue` is what every node
 * (and a node just restarted) runs, so a tick that came due while no node ran fires at the next one.
 */
describe("complaints' clocks as persisted workflow timers", () => {
  let t: Trading;
  let tenderId: string;
  const knex = () => t.platform.kernel.db.knex;
  /**
   * What every node runs each second (and a restarted node first): the engine claims each due timer row
   * once. The test platform's own loop may hold one this call skips, so it waits (polling) until none is due.
   */
  const fire = async () => {
    for (let i = 0; i < 100; i++) {
      await t.platform.kernel.workflow.fireDue("test");
      const [{ n }] = await knex()("core_workflow_timers").whereNull("fired_at").whereNull("cancelled_at").where("due_at", "<=", t.platform.kernel.clock.now()).count({ n: "*" });
      if (Number(n) === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("due timers did not fire");
  };
  const alerts = async () =>
    (await knex()("core_outbox").where({ event: "notifications.requested" }).orderBy("id"))
      .map((r: Any) => (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload))
      .filter((p: Any) => String(p.kind).startsWith("complaints.clock-"));
  const pending = async (instanceId: string) =>
    (await knex()("core_workflow_timers").where({ instance_id: instanceId }).whereNull("fired_at").whereNull("cancelled_at")).map((r: Any) => ({ transition: r.transition, dueAt: new Date(r.due_at).toISOString() }));

  beforeAll(async () => {
    t = await trading();
    const projectId = await t.filedProject("public-tender", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.public-tender", t.documents(projectId)), 201);
    ok(await t.take("buyer", s.id, "publish"));
    tenderId = s.id;
    for (const who of ["smallSupplier", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${tenderId}/registrations`, { method: "POST" }));
  }, 120_000);
  afterAll(() => t.platform.stop());

  test("challenge.reply: warned on its last working day to the purchasing unit, missed told to the regulator, each once; the clock closes when the case is over", async () => {
    t.travel("2021-03-10");
    const filed = ok(await t.call("smallSupplier", "/api/complaints/challenges", { method: "POST", body: { tenderId, target: "documents", knownOn: "2021-03-01", matters: [{ text: "技术参数指向特定品牌" }] } }), 201);
    expect(filed.replyDue).toBe("2021-03-19");
    const row = await knex()("complaints_challenges").where({ id: filed.id }).first();
    // the timer is a database row, not a process's: it outlives any node (00:00 China time of the next day)
    expect(await pending(row.clock_instance_id)).toEqual([{ transition: "tick", dueAt: "2021-03-10T16:00:00.000Z" }]);
    await fire();
    expect(await pending(row.clock_instance_id)).toEqual([{ transition: "tick", dueAt: "2021-03-10T16:00:00.000Z" }]);

    // days pass with no node running: at the next start the tick that came due fires once, on the last working day but one
    t.travel("2021-03-18");
    await fire();
    expect(await alerts()).toEqual([
      expect.objectContaining({ kind: "complaints.clock-due", rule: "challenge.reply", due: "2021-03-19", roles: [], owner: { unit: UNITS.buyer.budgetCode }, link: `/complaints/challenges/${filed.id}`, title: expect.objectContaining({ "zh-CN": expect.stringContaining("质疑答复期限将于 2021-03-19 届满（剩余 1 个工作日）") }) }),
    ]);
    expect(await pending(row.clock_instance_id)).toEqual([{ transition: "tick", dueAt: "2021-03-18T16:00:00.000Z" }]);
    // the remaining working days are still what the page shows
    expect(ok(await t.call("buyer", `/api/complaints/challenges/${filed.id}`)).clocks).toEqual([{ rule: "challenge.reply", due: "2021-03-19", remainingWorkingDays: 1, overdue: false }]);

    // the last day passes unanswered: the regulator is told (and the unit reminded), once, however many ticks follow
    t.travel("2021-03-22");
    await fire();
    t.travel("2021-03-23");
    await fire();
    const missed = (await alerts()).filter((a: Any) => a.kind === "complaints.clock-missed");
    expect(missed).toEqual([
      expect.objectContaining({ rule: "challenge.reply", due: "2021-03-19", roles: ["regulator"], tenantCode: "441300", title: expect.objectContaining({ en: expect.stringContaining("The challenge's reply was due by 2021-03-19 and is missed") }) }),
      expect.objectContaining({ rule: "challenge.reply", due: "2021-03-19", roles: [], owner: { unit: UNITS.buyer.budgetCode } }),
    ]);
    expect((await alerts()).filter((a: Any) => a.kind === "complaints.clock-due")).toHaveLength(1);

    // answered late, and no complaint within complaint.window (15 working days): the case is over and its clock closes
    ok(await t.call("buyer", `/api/complaints/challenges/${filed.id}/reply`, { method: "POST", body: { reply: "技术参数为通用指标。" } }));
    t.travel("2021-04-20");
    await fire();
    const clock = ok(await t.call("smallSupplier", `/api/instances/${row.clock_instance_id}`));
    expect(clock.history.map((h: Any) => h.transition)).toEqual(["$start", "tick", "tick", "tick", "tick", "close"]);
    expect(clock.state).toBe("closed");
    expect(await pending(row.clock_instance_id)).toEqual([]);
  });

  test("complaint.intake warns the regulator on its last working day; complaint.respondentReply missed is told to the regulator and the unit; a paused complaint.decision sends nothing", async () => {
    t.travel("2021-04-20");
    const c = ok(await t.call("supplier1", "/api/complaints/challenges", { method: "POST", body: { tenderId, target: "process", knownOn: "2021-04-20", matters: [{ text: "开标程序不符合规定" }] } }), 201);
    const clockId = (await knex()("complaints_challenges").where({ id: c.id }).first()).clock_instance_id;
    ok(await t.call("buyer", `/api/complaints/challenges/${c.id}/reply`, { method: "POST", body: { reply: "开标程序符合规定。" } }));
    t.travel("2021-04-21");
    const p = ok(await t.call("supplier1", "/api/complaints/complaints", { method: "POST", body: { challengeId: c.id, matters: [1], statement: "请求认定开标程序违法" } }), 201);
    const mine = async () => (await alerts()).filter((a: Any) => a.link === `/complaints/challenges/${c.id}`);

    // the intake review's last working day but one: the regulator (who must act) is warned, no unit is
    t.travel(new Date(Date.parse(`${p.intakeDue}T09:00:00+08:00`) - 86_400_000).toISOString());
    await fire();
    expect(await mine()).toEqual([expect.objectContaining({ kind: "complaints.clock-due", rule: "complaint.intake", due: p.intakeDue, roles: ["regulator"] })]);
    expect((await mine())[0].owner).toBeUndefined();

    const accepted = ok(await t.call("regulator", `/api/complaints/complaints/${p.id}/steps/accept`, { method: "POST", body: {} }));
    ok(await t.call("regulator", `/api/complaints/complaints/${p.id}/steps/pause`, { method: "POST", body: { reason: "委托检验" } }));
    // two working days after the respondent's last day, unanswered
    t.travel(new Date(Date.parse(`${accepted.respondentDue}T10:00:00+08:00`) + 4 * 86_400_000).toISOString());
    await fire();
    const missed = (await mine()).filter((a: Any) => a.kind === "complaints.clock-missed");
    expect(missed).toEqual([
      expect.objectContaining({ rule: "complaint.respondentReply", due: accepted.respondentDue, roles: ["regulator"] }),
      expect.objectContaining({ rule: "complaint.respondentReply", due: accepted.respondentDue, owner: { unit: UNITS.buyer.budgetCode } }),
    ]);
    // the decision's clock is paused (inspection): it is neither warned nor missed while paused
    expect((await mine()).filter((a: Any) => a.rule === "complaint.decision")).toEqual([]);
    expect(await pending(clockId)).toEqual([expect.objectContaining({ transition: "tick" })]);
  });
});

import { intention, lifecycle, ok, plan, type Lifecycle } from "../supervision/support";

/**
 * Group commit for steps with hooks (issue 16: three nodes' creations were written one transaction
 * each, because a start has a hook). Through the HTTP API, on the supervision plugin's real hooks:
 * the intention's start (a registry look-up before the transaction, the project row inside it),
 * its publication (marks the project) and the plan's start (locks the project; one plan a project).
 * Steps that arrive together share a transaction; each hook runs in it in turn and sees what the
 * earlier ones wrote; a hook that refuses takes nothing of the others with it. Rows written by one
 * transaction share its xmin: fewer distinct xmins than steps is the proof that steps were grouped.
 */
let l: Lifecycle;
beforeAll(async () => {
  l = await lifecycle();
});
afterAll(() => l.platform.stop());
afterEach(() => l.platform.kernel.clock.reset());

const knex = () => l.platform.kernel.db.knex;
const xmins = async (table: string, ids: string[]) =>
  new Map(((await knex()(table).whereIn("id", ids).select("id", knex().raw("xmin::text as tx"))) as Array<{ id: string; tx: string }>).map((r) => [r.id, r.tx]));

async function published(names: string[]): Promise<Array<{ intentionId: string; projectId: string }>> {
  l.travel("2021-01-04");
  const out = [];
  for (const name of names) {
    const i = ok(await l.start("buyer", "supervision.intention", intention({ projectName: name })), 201);
    ok(await l.take("buyer", i.id, "publish"));
    out.push({ intentionId: i.id as string, projectId: i.data.projectId as string });
  }
  return out;
}

test("30 intentions at once: each start hook writes its project in its instance's transaction, in fewer transactions than starts", async () => {
  l.travel("2021-01-04");
  const names = Array.from({ length: 30 }, (_, i) => `惠州市集中创建意向${i}`);
  const answers = await Promise.all(names.map((projectName) => l.start("buyer", "supervision.intention", intention({ projectName }))));
  expect(answers.map((a) => a.status)).toEqual(names.map(() => 201));
  const ids = answers.map((a) => a.body.id as string);
  answers.forEach((a, i) => expect(a.body.data).toMatchObject({ projectName: names[i], projectId: ids[i], purchaserName: "惠州市交通运输局" }));

  const instances = await xmins("core_workflow_instances", ids);
  const projects = await xmins("supervision_projects", ids);
  // each project with its intention, by the hook, in the same transaction
  for (const id of ids) expect(projects.get(id)).toBe(instances.get(id));
  expect(new Set(instances.values()).size).toBeLessThan(ids.length);
  expect(await knex()("supervision_projects").whereIn("id", ids).select("name").orderBy("name")).toEqual([...names].sort().map((name) => ({ name })));
  expect(await knex()("core_workflow_history").whereIn("instance_id", ids).where({ transition: "$start" })).toHaveLength(ids.length);
  expect(await knex()("core_audit_log").where({ action: "workflow.start" }).whereIn("object", ids.map((id) => `supervision.intention/${id}`))).toHaveLength(ids.length);
});

test("20 publications at once: each transition hook marks its own project, in fewer transactions than steps", async () => {
  l.travel("2021-01-04");
  const made = await Promise.all(Array.from({ length: 20 }, (_, i) => l.start("buyer", "supervision.intention", intention({ projectName: `惠州市集中公开意向${i}` }))));
  const ids = made.map((m) => ok(m, 201).id as string);
  l.travel("2021-01-05");
  const answers = await Promise.all(ids.map((id) => l.take("buyer", id, "publish")));
  expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
  answers.forEach((a) => expect(a.body).toMatchObject({ state: "published", version: 2, data: { publishedAt: expect.stringMatching(/^2021-01-05/) } }));
  const rows = await knex()("supervision_projects").whereIn("id", ids).select("id", "intention_published_at", knex().raw("xmin::text as tx"));
  expect(rows.every((r: { intention_published_at: Date | null }) => r.intention_published_at !== null)).toBe(true);
  const instances = await xmins("core_workflow_instances", ids);
  for (const r of rows as Array<{ id: string; tx: string }>) expect(r.tx).toBe(instances.get(r.id));
  expect(new Set(instances.values()).size).toBeLessThan(ids.length);
});

test("two plans for one project among eight sent at once: the second's hook sees the first's plan and refuses it (409 one-plan), the others are written", async () => {
  const projects = await published(Array.from({ length: 7 }, (_, i) => `惠州市集中报计划项目${i}`));
  l.travel("2021-02-15");
  const twice = projects[3].projectId;
  const answers = await Promise.all([...projects.map((p) => l.start("buyer", "supervision.plan", plan(p.projectId))), l.start("buyer", "supervision.plan", plan(twice))]);
  const onTwice = [answers[3], answers[7]];
  expect(onTwice.map((a) => a.status).sort()).toEqual([201, 409]);
  const refused = onTwice.find((a) => a.status === 409)!;
  expect(refused.body.error.details).toMatchObject({ rule: "one-plan" });
  const winner = onTwice.find((a) => a.status === 201)!.body.id as string;
  expect(answers.filter((_, i) => i !== 3 && i !== 7).map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
  // the project names the winning plan; nothing of the refused one is anywhere
  expect((await knex()("supervision_projects").where({ id: twice }).first()).plan_id).toBe(winner);
  const plans = await knex()("core_workflow_instances").where({ workflow_id: "supervision.plan" }).whereRaw("data->>'projectId' = ?", [twice]);
  expect(plans.map((p: { id: string }) => p.id)).toEqual([winner]);
  expect(await knex()("supervision_project_instances").where({ project_id: twice, stage: "plan" })).toHaveLength(1);
  for (const p of projects) expect((await knex()("supervision_projects").where({ id: p.projectId }).first()).stage).toBe("plan");
});

test("a plan and the withdrawal of its intention at the same moment: exactly one of them wins, and the project agrees with it", async () => {
  const [p] = await published(["惠州市撤回与报计划同时项目"]);
  l.travel("2021-02-15");
  const [planned, withdrawn] = await Promise.all([l.start("buyer", "supervision.plan", plan(p.projectId)), l.take("buyer", p.intentionId, "withdraw")]);
  const project = await knex()("supervision_projects").where({ id: p.projectId }).first();
  if (planned.status === 201) {
    expect(withdrawn.status).toBe(409);
    expect(withdrawn.body.error.details).toMatchObject({ rule: "intention-has-plan" });
    expect(project).toMatchObject({ plan_id: planned.body.id, intention_withdrawn: false, stage: "plan" });
  } else {
    expect(planned.status).toBe(409);
    expect(planned.body.error.details).toMatchObject({ rule: "intention-withdrawn" });
    expect(withdrawn.status).toBe(200);
    expect(project).toMatchObject({ plan_id: null, intention_withdrawn: true, stage: "withdrawn" });
  }
});

import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

const ROOT = path.resolve(__dirname, "../../..");
const HUIZHOU = "441300";
const MAOMING = "440900";
const VIDEO = fs.readFileSync(path.join(ROOT, "plugins/helpdesk/demo/guide.webm"));
const POSTER = fs.readFileSync(path.join(ROOT, "plugins/helpdesk/demo/poster.png"));

/** Issue 23, guides (操作指南): manuals, videos and notices per tenant and role, versioned, with a help link per page. */
describe("helpdesk guides", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let root: string;
  let hzAdmin: string;
  let hzSupplier: string;
  let hzPurchaser: string;
  let mmSupplier: string;

  beforeAll(async () => {
    pluginsDir = linkPlugins(["helpdesk"], "helpdesk-guides");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    root = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    hzAdmin = await platform.token({ tenantCode: HUIZHOU, roles: ["tenant-admin"] });
    hzSupplier = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    hzPurchaser = await platform.token({ tenantCode: HUIZHOU, roles: ["purchaser"] });
    mmSupplier = await platform.token({ tenantCode: MAOMING, roles: ["supplier"] });
    const from = new Date(Date.now() + 60_000);
    expect((await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: root, body: { state: "live", from: from.toISOString() } })).status).toBe(200);
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
  });
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const guide = async (token: string, data: Record<string, unknown>) => {
    const started = await platform.api("/api/workflows/helpdesk.guide/instances", { method: "POST", token, body: { data } });
    expect(started.status).toBe(201);
    const published = await platform.api(`/api/instances/${started.body.id}/transitions/publish`, { method: "POST", token, body: {} });
    expect(published.status).toBe(200);
    return started.body.id as string;
  };
  const upload = async (token: string, name: string, bytes: Buffer) => {
    const res = await platform.api(`/api/files?name=${encodeURIComponent(name)}`, { method: "POST", token, raw: bytes, headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((g) => g.id);

  test("a city's supplier manual is listed for that city's suppliers, searchable, not for its purchasers nor another city; a draft for no one", async () => {
    const manual = await guide(hzAdmin, { kind: "manual", title: "惠州供应商投标操作手册", roles: ["supplier"], subsystem: "etrading", pages: ["/etrading/tenders"], body: "# 投标\n\n1. 登录后进入**电子交易**\n2. 上传投标文件" });
    const draft = (await platform.api("/api/workflows/helpdesk.guide/instances", { method: "POST", token: hzAdmin, body: { data: { kind: "manual", title: "草稿手册", roles: ["supplier"], subsystem: "general", body: "x" } } })).body.id;
    const mine = await platform.api("/api/helpdesk/guides", { token: hzSupplier });
    expect(ids(mine)).toContain(manual);
    expect(ids(mine)).not.toContain(draft);
    expect(ids(await platform.api("/api/helpdesk/guides", { token: hzPurchaser }))).not.toContain(manual);
    expect(ids(await platform.api("/api/helpdesk/guides", { token: mmSupplier }))).not.toContain(manual);
    expect(ids(await platform.api("/api/helpdesk/guides"))).not.toContain(manual);
    expect((await platform.api(`/api/helpdesk/guides/${manual}`, { token: mmSupplier })).status).toBe(404);
    expect(ids(await platform.api(`/api/helpdesk/guides?q=${encodeURIComponent("投标文件")}`, { token: hzSupplier }))).toEqual([manual]);
    expect(ids(await platform.api(`/api/helpdesk/guides?q=${encodeURIComponent("保证金")}`, { token: hzSupplier }))).toEqual([]);
    expect(ids(await platform.api("/api/helpdesk/guides?subsystem=emall", { token: hzSupplier }))).not.toContain(manual);
  });

  test("a province notice for everyone reaches visitors and every city; the help link of a page opens its guide", async () => {
    const notice = await guide(root, { kind: "notice", title: "平台切换公告", roles: ["public"], subsystem: "general", body: "自 2021 年 1 月 1 日起使用新平台" });
    const general = await guide(root, { kind: "manual", title: "平台入门", roles: ["public"], subsystem: "general", body: "入门" });
    for (const token of [undefined, hzSupplier, mmSupplier]) expect(ids(await platform.api("/api/helpdesk/guides?kind=notice", { token }))).toContain(notice);
    const hzManual = (await platform.api("/api/helpdesk/guides?q=" + encodeURIComponent("惠州供应商"), { token: hzSupplier })).body.items[0].id;
    const page = await platform.api(`/api/helpdesk/guides/for-page?path=${encodeURIComponent("/etrading/tenders/123")}`, { token: hzSupplier });
    expect(page.body).toMatchObject({ subsystem: "etrading", guide: { id: hzManual } });
    const elsewhere = await platform.api(`/api/helpdesk/guides/for-page?path=${encodeURIComponent("/etrading/tenders")}`, { token: mmSupplier });
    expect(elsewhere.body.guide).toMatchObject({ id: general });
    const bad = await platform.api("/api/helpdesk/guides/for-page?path=javascript:1");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("/path");
    expect((await platform.api("/api/helpdesk/guides?kind=film")).status).toBe(400);
  });

  test("revising a manual makes a new version; the earlier one is still there to print", async () => {
    const id = await guide(hzAdmin, { kind: "manual", title: "开标大厅手册", roles: ["supplier"], subsystem: "etrading", body: "第一版" });
    const revised = await platform.api(`/api/instances/${id}/transitions/revise`, { method: "POST", token: hzAdmin, body: { data: { kind: "manual", title: "开标大厅手册", roles: ["supplier"], subsystem: "etrading", body: "第二版" } } });
    expect(revised.status).toBe(200);
    const now = await platform.api(`/api/helpdesk/guides/${id}`, { token: hzSupplier });
    expect(now.body).toMatchObject({ version: 2, body: "第二版", versions: [{ version: 2 }, { version: 1 }] });
    expect((await platform.api(`/api/helpdesk/guides/${id}?version=1`, { token: hzSupplier })).body).toMatchObject({ version: 1, body: "第一版", currentVersion: 2 });
    expect((await platform.api(`/api/helpdesk/guides/${id}?version=9`, { token: hzSupplier })).status).toBe(400);
    expect((await platform.api(`/api/instances/${id}/transitions/withdraw`, { method: "POST", token: hzAdmin, body: {} })).status).toBe(200);
    expect((await platform.api(`/api/helpdesk/guides/${id}`, { token: hzSupplier })).status).toBe(404);
    // only administrators manage guides
    expect((await platform.api("/api/workflows/helpdesk.guide/instances", { method: "POST", token: hzSupplier, body: { data: { kind: "manual", title: "x 手册", roles: ["supplier"], subsystem: "general", body: "x" } } })).status).toBe(403);
  });

  test("a video guide streams its WebM to its readers with Range, with a poster and chapters; a video guide without video is refused", async () => {
    const video = await upload(hzAdmin, "投标演示.webm", VIDEO);
    const poster = await upload(hzAdmin, "封面.png", POSTER);
    const id = await guide(hzAdmin, { kind: "video", title: "投标演示视频", roles: ["supplier"], subsystem: "etrading", body: "", video, poster, chapters: [{ at: 3, title: "开标" }, { at: 0, title: "登录" }] });
    const g = await platform.api(`/api/helpdesk/guides/${id}`, { token: hzSupplier });
    expect(g.body.video).toEqual({ fileId: video, posterFileId: poster, chapters: [{ at: 0, title: "登录" }, { at: 3, title: "开标" }] });
    const link = await platform.api(`/api/files/${video}/link`, { token: hzSupplier });
    expect(link.status).toBe(200);
    const part = await fetch(platform.baseUrl + link.body.url, { headers: { range: "bytes=0-99" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-99/${VIDEO.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(VIDEO.subarray(0, 100))).toBe(true);
    expect((await platform.api(`/api/files/${poster}/info`, { token: hzSupplier })).body.type).toBe("image/png");

    const started = await platform.api("/api/workflows/helpdesk.guide/instances", { method: "POST", token: hzAdmin, body: { data: { kind: "video", title: "没有视频", roles: ["supplier"], subsystem: "etrading", body: "" } } });
    const refused = await platform.api(`/api/instances/${started.body.id}/transitions/publish`, { method: "POST", token: hzAdmin, body: {}, headers: { "accept-language": "en" } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0]).toMatchObject({ path: "/video" });
  });
});

/** plugins/helpdesk/demo.ts on a first start with demo accounts. */
describe("the helpdesk demo", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    // registries says what the demo accounts' first passwords are: without it there are no accounts
    pluginsDir = linkPlugins(["registries", "helpdesk"], "helpdesk-demo");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true }, { log: (l) => lines.push(l) });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("two manuals, a playable video and a notice; three open Huizhou tickets, one about to miss its first reply; a chat waiting", async () => {
    expect(lines.filter((l) => /demo|helpdesk/.test(l))).toEqual(expect.arrayContaining([expect.stringContaining("[helpdesk] demo")]));
    const supplier = await platform.token({ tenantCode: HUIZHOU, roles: ["supplier"] });
    const guides = (await platform.api("/api/helpdesk/guides", { token: supplier })).body.items as { id: string; kind: string }[];
    expect(guides.map((g) => g.kind).sort()).toEqual(["manual", "manual", "notice", "video"]);
    const video = (await platform.api(`/api/helpdesk/guides/${guides.find((g) => g.kind === "video")!.id}`, { token: supplier })).body.video;
    const link = (await platform.api(`/api/files/${video.fileId}/link`, { token: supplier })).body.url;
    const res = await fetch(platform.baseUrl + link, { headers: { range: "bytes=0-3" } });
    expect(res.status).toBe(206);
    // the EBML magic number every WebM file starts with
    expect(Buffer.from(await res.arrayBuffer()).toString("hex")).toBe("1a45dfa3");

    const tickets = await platform.kernel.db.knex("helpdesk_tickets").where({ tenant_code: HUIZHOU }).orderBy("first_response_due");
    expect(tickets.map((t) => t.state).sort()).toEqual(["answered", "open", "open"]);
    const soonest = tickets.find((t) => t.state === "open")!;
    // due after now, and no later than the next office hours' first half hour
    expect(new Date(soonest.first_response_due).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(new Date(soonest.first_response_due).getTime()).toBeLessThan(new Date(tickets[tickets.length - 1].first_response_due).getTime());
    expect(await platform.kernel.db.knex("helpdesk_chats").where({ tenant_code: HUIZHOU, status: "waiting" })).toHaveLength(1);
  });
});

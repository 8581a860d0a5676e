/**
 * A file field in a real form, in Debian's Chromium: a purchaser picks a PDF, sees it upload and
 * named, submits the form, and the instance holds the upload (its hash in the audit entry); a
 * program renamed .pdf is refused by the server with its reason read out; the page passes axe with
 * the widget in both languages. The form comes from a test plugin loaded through PLUGIN_PATHS beside
 * the real registries (test/integration/files/fixtures/outside), not from supervision's forms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/kernel";
import { linkPlugins } from "../support/plugins";
import { axeCheck, serious, unlabelledFields, apiSignIn, useSession } from "./a11y";
import { builtWebApp, launchChromium, newPage } from "./browser";
import { see } from "./see";

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(ROOT, "test/integration/files/fixtures");

let platform: TestPlatform;
let browser: Browser;
let dirs: string[] = [];
const errors: string[][] = [];

async function open(lang: "zh-CN" | "en" = "zh-CN"): Promise<Page> {
  const p = await newPage(browser, platform.baseUrl);
  errors.push(p.errors);
  const signed = await apiSignIn(platform, "huizhou.buyer", SIGNED.password, SIGNED.password);
  await useSession(p.page, signed);
  if (lang === "en") await p.page.evaluate(`localStorage.setItem("gdpc.lang", "en")`);
  return p.page;
}

const SIGNED = { password: "Huizhou-Buyer-Files-2027!" };

beforeAll(async () => {
  browser = await launchChromium();
  await builtWebApp();
  // the real registries (accounts and units) and the test plugin; forms from both places
  const pluginsDir = linkPlugins(["registries"], "attach-plugins");
  const formsDir = fs.mkdtempSync(path.join(os.tmpdir(), "attach-forms-"));
  dirs = [pluginsDir, formsDir];
  fs.symlinkSync(path.join(ROOT, "forms/registries"), path.join(formsDir, "registries"), "dir");
  fs.symlinkSync(path.join(FIXTURES, "outside-forms/attach"), path.join(formsDir, "attach"), "dir");
  platform = await startTestPlatform({ pluginsDir, formsDir, pluginPaths: [path.join(FIXTURES, "outside")], demoAccounts: true });
  // the first password changed once, through the API; the pages get the session
  await apiSignIn(platform, "huizhou.buyer", "441300401", SIGNED.password);
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

afterEach(() => {
  for (const e of errors) expect(e).toEqual([]);
});

test("a PDF picked in the form uploads, is named and announced, and the submitted instance holds it with its hash audited", async () => {
  const page = await open();
  await page.goto("/start/attach.filing");
  const input = page.locator("#root_contract");
  await see(page.locator("label[for=root_contract]")).toContainText("合同文本");
  await see(page.locator("#root_contract__limits")).toHaveText("可上传：PDF；单个文件不超过 1 MB");
  expect(await input.getAttribute("accept")).toBe("application/pdf");

  const bytes = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(300_000)]);
  await input.setInputFiles({ name: "合同 定稿.pdf", mimeType: "application/pdf", buffer: bytes });
  await see(page.locator(".file-status")).toHaveText("「合同 定稿.pdf」已上传（293 KB）");
  await see(page.locator(".file-name")).toHaveText("合同 定稿.pdf · 293 KB");
  await page.locator("#root_title").fill("合同备案（附件）");

  // the widget with a file chosen: nothing for axe, every field named
  expect(serious(await axeCheck(page))).toEqual([]);
  expect(await unlabelledFields(page)).toEqual([]);

  await page.getByRole("button", { name: "提交", exact: true }).click();
  await page.waitForURL(/\/instances\/[0-9a-f-]{36}/, { timeout: 15_000 });
  const instanceId = /\/instances\/([0-9a-f-]{36})/.exec(page.url())![1];
  const knex = platform.kernel.db.knex;
  const instance = await knex("core_workflow_instances").where({ id: instanceId }).first();
  const refs = await knex("core_file_refs").where({ instance_id: instanceId }).pluck("file_id");
  expect(refs).toEqual([instance.data.contract]);
  const entry = await knex("core_audit_log").where({ action: "workflow.start", object: `attach.filing/${instanceId}` }).first();
  expect(entry.after.attachments).toEqual([{ id: instance.data.contract, sha256: createHash("sha256").update(bytes).digest("hex"), pointer: "/contract" }]);
});

test("a program renamed .pdf is refused by its content, the reason announced; keyboard: remove returns the focus to the field", async () => {
  const page = await open("en");
  await page.goto("/start/attach.filing");
  const input = page.locator("#root_contract");
  const program = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "latin1"), randomBytes(5000)]);
  await input.setInputFiles({ name: "tender.pdf", mimeType: "application/pdf", buffer: program });
  await see(page.getByRole("alert").filter({ hasText: "tender.pdf" })).toHaveText('"tender.pdf" could not be uploaded: Files of this type are not accepted');
  expect(await input.getAttribute("aria-invalid")).toBe("true");

  // a good one, then removed with the keyboard
  await input.setInputFiles({ name: "ok.pdf", mimeType: "application/pdf", buffer: Buffer.concat([Buffer.from("%PDF-1.4\n", "latin1"), randomBytes(2000)]) });
  await see(page.locator(".file-name")).toHaveText("ok.pdf · 2 KB");
  const remove = page.getByRole("button", { name: 'Remove the file "ok.pdf"' });
  await remove.focus();
  await page.keyboard.press("Enter");
  await see(page.locator(".file-status")).toHaveText('"ok.pdf" removed');
  expect(await page.evaluate("document.activeElement && document.activeElement.id")).toBe("root_contract");
  expect(serious(await axeCheck(page))).toEqual([]);
});

test("the widget names its field at upload; on the instance page the attachment downloads through its signed link (keyboard), byte for byte", async () => {
  const page = await open();
  await page.goto("/start/attach.filing");
  const bytes = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(600_000)]);
  const uploaded = page.waitForRequest((r) => r.method() === "POST" && r.url().includes("/api/files?"));
  await page.locator("#root_contract").setInputFiles({ name: "下载 测试.pdf", mimeType: "application/pdf", buffer: bytes });
  expect(new URL((await uploaded).url()).searchParams.get("field")).toBe("/contract");
  expect(new URL((await uploaded).url()).searchParams.get("form")).toBe("attach.filing");
  await see(page.locator(".file-status")).toHaveText("「下载 测试.pdf」已上传（586 KB）");
  // the widget offers the file back already
  await see(page.locator(".file-chosen a.file-download")).toHaveText("下载「下载 测试.pdf」");
  await page.locator("#root_title").fill("下载链接");
  await page.getByRole("button", { name: "提交", exact: true }).click();
  await page.waitForURL(/\/instances\/[0-9a-f-]{36}/, { timeout: 15_000 });

  const link = page.getByRole("link", { name: "下载「下载 测试.pdf」" }).first();
  await see(link).toBeVisible();
  await page.waitForSelector('a.file-download[href^="/api/files/"][href*="/content?u="]');
  await see(page.locator(".file-meta").first()).toHaveText("PDF · 586 KB");
  expect(serious(await axeCheck(page))).toEqual([]);
  // by keyboard: the link takes the focus and Enter follows it (a navigation: no token goes with it)
  const downloading = page.waitForEvent("download");
  await link.focus();
  await page.keyboard.press("Enter");
  const download = await downloading;
  expect(download.url()).toMatch(new RegExp(`^${platform.baseUrl}/api/files/[0-9a-f-]{36}/content\\?u=`));
  expect(download.suggestedFilename()).toBe("下载 测试.pdf");
  const saved = await download.path();
  expect(createHash("sha256").update(fs.readFileSync(saved!)).digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
});

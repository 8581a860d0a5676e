import http from "node:http";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { Uploads, UPLOADS_OPEN_MAX } from "../../../core/files/uploads";

/**
 * Resumable uploads (core/files/uploads.ts, issue 18: "large files go up earlier, in chunks that
 * resume"): a session with the size and hash, chunks at their offsets, the offset asked for after a
 * broken connection, and the finish that turns the bytes into an ordinary upload.
 */
const FIXTURES = path.resolve(__dirname, "fixtures");
const MAX_BYTES = 3 * 1024 * 1024;
const KiB = 1024;

let platform: TestPlatform;
let owner: string;
let other: string;

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const pdf = (bytes: number) => Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(bytes - 15)]);
const exe = (bytes: number) => Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "latin1"), randomBytes(bytes - 16)]);

const create = (token: string, body: unknown, lang = "en") => platform.api("/api/files/uploads", { method: "POST", token, body, headers: { "accept-language": lang } });
const put = (token: string, id: string, offset: number, bytes: Buffer, lang = "en") =>
  platform.api(`/api/files/uploads/${id}?offset=${offset}`, { method: "PUT", token, raw: bytes, headers: { "content-type": "application/octet-stream", "accept-language": lang } });
const status = (token: string, id: string) => platform.api(`/api/files/uploads/${id}`, { token });
const finish = (token: string, id: string, lang = "en") => platform.api(`/api/files/uploads/${id}/finish`, { method: "POST", token, headers: { "accept-language": lang } });
const count = async (table: string) => Number((await platform.kernel.db.knex(table).count({ n: "*" }))[0].n);

/** A chunk whose connection breaks after `sent` of its bytes: the request announces all of them. */
function brokenPut(token: string, id: string, offset: number, bytes: Buffer, sent: number): Promise<void> {
  const url = new URL(`${platform.baseUrl}/api/files/uploads/${id}?offset=${offset}`);
  return new Promise((resolve) => {
    const req = http.request(url, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(bytes.length) } });
    req.on("error", () => resolve());
    req.write(bytes.subarray(0, sent), () => setImmediate(() => {
      req.destroy();
      resolve();
    }));
  });
}

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "plugins"), formsDir: path.join(FIXTURES, "forms"), filesMaxBytes: MAX_BYTES, deadlineCheckMs: 3_600_000 });
  owner = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA4UQ1X23L" });
  other = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA4UQ1X99Z" });
});

afterAll(() => platform?.stop());

describe("resumable upload", () => {
  test("chunks at their offsets, a broken connection, the offset asked for, a repeated chunk, a wrong offset (409), then finish: an ordinary upload", async () => {
    const bytes = pdf(700 * KiB);
    const c = 256 * KiB;
    const made = await create(owner, { name: "投标文件（技术部分）.pdf", size: bytes.length, sha256: sha(bytes) });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id: expect.any(String), offset: 0, size: bytes.length, state: "open", chunkMaxBytes: 8 * 1024 * KiB });
    const id = made.body.id as string;

    expect((await put(owner, id, 0, bytes.subarray(0, c))).body).toMatchObject({ offset: c });
    // the second chunk's connection breaks half way: nothing of it is kept
    await brokenPut(owner, id, c, bytes.subarray(c, 2 * c), 100 * KiB);
    // chunks are read whole before their transaction: the offset is where the last whole chunk ended
    expect((await status(owner, id)).body.offset).toBe(c);
    // the first chunk again (its answer was lost): nothing changes
    const again = await put(owner, id, 0, bytes.subarray(0, c));
    expect(again.status).toBe(200);
    expect(again.body.offset).toBe(c);
    // a chunk past where the server is: 409 with the offset it has, zh-CN by default
    const ahead = await put(owner, id, 2 * c, bytes.subarray(2 * c), "zh-CN");
    expect(ahead.status).toBe(409);
    expect(ahead.body.error).toEqual({ code: "CONFLICT", message: `服务器已收到 ${c} 字节，请从该位置继续上传`, details: { offset: c, size: bytes.length, state: "open" } });
    // finishing early says how far it is
    const early = await finish(owner, id);
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ offset: c });

    expect((await put(owner, id, c, bytes.subarray(c, 2 * c))).body.offset).toBe(2 * c);
    expect((await put(owner, id, 2 * c, bytes.subarray(2 * c))).body.offset).toBe(bytes.length);
    const done = await finish(owner, id);
    expect(done.status).toBe(201);
    expect(done.body).toEqual({ id: expect.any(String), sha256: sha(bytes), size: bytes.length, type: "application/pdf", name: "投标文件（技术部分）.pdf" });
    // asked again (the answer was lost): the same file
    const twice = await finish(owner, id);
    expect(twice.status).toBe(200);
    expect(twice.body.id).toBe(done.body.id);
    expect((await status(owner, id)).body).toMatchObject({ state: "done", fileId: done.body.id, offset: bytes.length });

    // the same downloads and the same readers as POST /api/files
    const down = await fetch(`${platform.baseUrl}/api/files/${done.body.id}`, { headers: { authorization: `Bearer ${owner}` } });
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await platform.api(`/api/files/${done.body.id}/info`, { token: other })).status).toBe(404);
    const audit = await platform.kernel.db.knex("core_audit_log").where({ object: done.body.id }).orderBy("id").pluck("action");
    expect(audit).toEqual(["files.upload", "files.upload.resumable"]);
    // its chunks are gone once stored
    expect(await platform.kernel.db.knex("core_file_upload_parts").where({ upload_id: id }).count({ n: "*" })).toEqual([{ n: "0" }]);
  });

  test("another account's session is 404 whatever it does with it", async () => {
    const bytes = pdf(10 * KiB);
    const id = (await create(owner, { name: "a.pdf", size: bytes.length, sha256: sha(bytes) })).body.id as string;
    expect((await status(other, id)).status).toBe(404);
    expect((await put(other, id, 0, bytes)).status).toBe(404);
    expect((await finish(other, id)).status).toBe(404);
    expect((await platform.api(`/api/files/uploads/${id}`, { method: "DELETE", token: other })).status).toBe(404);
    expect((await status(owner, id)).body.offset).toBe(0);
  });

  test("bytes that do not match the announced SHA-256 are refused at finish, and nothing is kept", async () => {
    const bytes = pdf(20 * KiB);
    const id = (await create(owner, { name: "a.pdf", size: bytes.length, sha256: sha(Buffer.from("something else")) })).body.id as string;
    await put(owner, id, 0, bytes);
    const files = await count("core_files");
    const res = await finish(owner, id, "zh-CN");
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: "文件内容校验失败，未保存", details: [{ path: "/sha256", rule: "sha256", actual: sha(bytes) }] });
    expect(await count("core_files")).toBe(files);
    expect((await status(owner, id)).status).toBe(404);
    expect(await platform.kernel.db.knex("core_file_upload_parts").where({ upload_id: id }).count({ n: "*" })).toEqual([{ n: "0" }]);
  });

  test("a program is refused by its content as POST /api/files refuses it; ciphertext marked encrypted is stored as opaque bytes", async () => {
    const program = exe(40 * KiB);
    const id = (await create(owner, { name: "报价.pdf", size: program.length, sha256: sha(program) })).body.id as string;
    await put(owner, id, 0, program);
    const refused = await finish(owner, id);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: "/file", rule: "type", type: "application/x-msdownload" })]);

    const cipher = randomBytes(40 * KiB);
    const sealed = (await create(owner, { name: "技术标.pdf.sealed", size: cipher.length, sha256: sha(cipher), encrypted: true })).body.id as string;
    await put(owner, sealed, 0, cipher);
    const done = await finish(owner, sealed);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ sha256: sha(cipher), type: "application/octet-stream" });
  });

  test("limits: size, hash, name, offset, a chunk past the size, each a clear error in both languages", async () => {
    const bad = await create(owner, { name: "", size: MAX_BYTES + 1, sha256: "abc", encrypted: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string; rule: string }) => `${d.path} ${d.rule}`)).toEqual(["/name name", "/size maxBytes", "/sha256 format", "/encrypted type"]);
    const zh = await create(owner, { name: "a.pdf", size: 0, sha256: sha(Buffer.from("x")) }, "zh-CN");
    expect(zh.body.error.details[0].message).toEqual({ "zh-CN": "请给出文件的字节数（正整数）", en: "give the file's size in bytes (a positive integer)" });

    const bytes = pdf(10 * KiB);
    const id = (await create(owner, { name: "a.pdf", size: bytes.length, sha256: sha(bytes) })).body.id as string;
    const noOffset = await platform.api(`/api/files/uploads/${id}`, { method: "PUT", token: owner, raw: bytes, headers: { "content-type": "application/octet-stream" } });
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.error.details[0]).toMatchObject({ path: "/offset", rule: "format" });
    const past = await put(owner, id, 0, Buffer.concat([bytes, Buffer.from("more")]));
    expect(past.status).toBe(400);
    expect(past.body.error.details[0]).toMatchObject({ path: "/chunk", rule: "size", size: bytes.length });
    expect((await status(owner, id)).body.offset).toBe(0);
  });

  test(`one account holds at most ${UPLOADS_OPEN_MAX} unfinished sessions; cancelling frees one`, async () => {
    const someone = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA4UQ1X77A" });
    const body = { name: "a.pdf", size: 10, sha256: sha(Buffer.from("0123456789")) };
    const ids: string[] = [];
    for (let i = 0; i < UPLOADS_OPEN_MAX; i++) ids.push((await create(someone, body)).body.id);
    const refused = await create(someone, body);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toEqual({ rule: "openUploads", max: UPLOADS_OPEN_MAX });
    expect((await platform.api(`/api/files/uploads/${ids[0]}`, { method: "DELETE", token: someone })).status).toBe(204);
    expect((await create(someone, body)).status).toBe(201);
  });

  test("the clean-up removes sessions abandoned for a day, with their chunks, and keeps the others", async () => {
    const bytes = pdf(10 * KiB);
    const stale = (await create(owner, { name: "a.pdf", size: bytes.length, sha256: sha(bytes) })).body.id as string;
    const fresh = (await create(owner, { name: "b.pdf", size: bytes.length, sha256: sha(bytes) })).body.id as string;
    await put(owner, stale, 0, bytes.subarray(0, 4 * KiB));
    await platform.kernel.db.knex("core_file_uploads").where({ id: stale }).update({ updated_at: new Date(Date.now() - 25 * 3600_000) });
    const removed = await new Uploads(platform.kernel.files).cleanup();
    expect(removed).toBeGreaterThanOrEqual(1);
    expect((await status(owner, stale)).status).toBe(404);
    expect(await platform.kernel.db.knex("core_file_upload_parts").where({ upload_id: stale }).count({ n: "*" })).toEqual([{ n: "0" }]);
    expect((await status(owner, fresh)).status).toBe(200);
  });
});

import path from "node:path";
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { CHUNK_BYTES } from "../../../core/files/store";

/**
 * Attachments (issue 15, item 11): uploads stored once per content, typed by their bytes, read back
 * by range, readable by their uploader and by whoever may read an instance that names them, claimed
 * by the form that names them with their hash in the audit chain.
 */
const FIXTURES = path.resolve(__dirname, "fixtures");
const MAX_BYTES = 3 * 1024 * 1024;

let platform: TestPlatform;
let buyer: string;
let colleague: string;
let supplier: string;
let stranger: string;
let regulator: string;

const pdf = (bytes: number) => Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(bytes - 15)]);
// a PNG's signature, its IHDR chunk (13 bytes and a CRC), then one IDAT chunk holding the rest
const png = (bytes: number) => {
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(bytes - 8 - 25 - 8);
  idat.write("IDAT", 4, "latin1");
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), randomBytes(17), idat, randomBytes(bytes - 8 - 25 - 8)]);
};
// a Windows program: "MZ", then what a PE header has
const exe = () => Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "latin1"), randomBytes(4000)]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const upload = (token: string, name: string, bytes: Buffer, lang = "en") =>
  platform.api(`/api/files?name=${encodeURIComponent(name)}`, { method: "POST", token, raw: bytes, headers: { "content-type": "application/octet-stream", "accept-language": lang } });

/** A download as bytes, with its status and headers. */
async function download(token: string, id: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${platform.baseUrl}/api/files/${id}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const start = (token: string, data: unknown) =>
  platform.api("/api/workflows/docs.filing/instances", { method: "POST", token, body: { data }, headers: { "accept-language": "en" } });

const count = async (table: string) => Number((await platform.kernel.db.knex(table).count({ n: "*" }))[0].n);
const counts = async () => ({ files: await count("core_files"), blobs: await count("core_file_blobs"), chunks: await count("core_file_chunks"), refs: await count("core_file_refs"), instances: await count("core_workflow_instances") });

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "plugins"), formsDir: path.join(FIXTURES, "forms"), filesMaxBytes: MAX_BYTES, deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  colleague = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  supplier = await platform.token({ roles: ["supplier"], tenantCode: "441300", unitCode: "91441300MA4UQ1X23L" });
  stranger = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" });
  regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
});

afterAll(() => platform?.stop());

describe("upload", () => {
  test("answers { id, sha256, size, type, name } with the type read from the bytes, and audits the upload", async () => {
    const bytes = pdf(10_000);
    const res = await upload(buyer, "合同 (定稿).pdf", bytes);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), sha256: sha(bytes), size: 10_000, type: "application/pdf", name: "合同 (定稿).pdf" });
    const entry = await platform.kernel.db.knex("core_audit_log").where({ action: "files.upload", object: res.body.id }).first();
    expect(entry.after).toMatchObject({ sha256: sha(bytes), size: 10_000, type: "application/pdf" });
  });

  test("a program renamed .pdf is refused by its content, and nothing is written", async () => {
    const before = await counts();
    const res = await upload(buyer, "招标文件.pdf", exe());
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "/file", rule: "type", type: "application/x-msdownload" })] });
    const zh = await upload(buyer, "招标文件.pdf", exe(), "zh-CN");
    expect(zh.body.error.message).toBe("不接受此类文件");
    expect(await counts()).toEqual(before);
  });

  test("an upload over FILES_MAX_BYTES is refused with 413 and leaves no rows or pieces", async () => {
    const before = await counts();
    const res = await upload(buyer, "big.pdf", pdf(MAX_BYTES + 1));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await counts()).toEqual(before);
  });

  test("an upload cut off half way leaves nothing", async () => {
    const before = await counts();
    const url = new URL(`${platform.baseUrl}/api/files?name=cut.pdf`);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers: { authorization: `Bearer ${buyer}`, "content-length": String(2 * 1024 * 1024) } });
      req.on("error", () => resolve());
      req.write(pdf(CHUNK_BYTES * 3));
      // the client goes away with a third of what it announced sent
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    // the server notices and rolls back
    for (let i = 0; i < 40 && JSON.stringify(await counts()) !== JSON.stringify(before); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await counts()).toEqual(before);
    const open = await platform.kernel.db.knex.raw("select count(*)::int as n from pg_stat_activity where state = 'idle in transaction' and datname = current_database()");
    expect(open.rows[0].n).toBe(0);
  });

  test("the same bytes twice are stored once: two uploads, one blob, its pieces once", async () => {
    const bytes = pdf(CHUNK_BYTES * 2 + 123);
    const a = await upload(buyer, "a.pdf", bytes);
    const b = await upload(supplier, "b.pdf", bytes);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect(b.body.sha256).toBe(a.body.sha256);
    const knex = platform.kernel.db.knex;
    const blobs = await knex("core_file_blobs").where({ sha256: sha(bytes) });
    expect(blobs).toHaveLength(1);
    expect(await knex("core_file_chunks").where({ location: blobs[0].location }).count({ n: "*" })).toEqual([{ n: "3" }]);
    expect(Number((await knex("core_file_chunks").count({ n: "*" }))[0].n)).toBe(
      Number((await knex.raw("select coalesce(sum(ceil(size::numeric / ?)), 0)::int as n from core_file_blobs", [CHUNK_BYTES])).rows[0].n),
    );
  });
});

describe("download", () => {
  const bytes = pdf(CHUNK_BYTES * 2 + 5000);
  let id: string;
  beforeAll(async () => {
    id = (await upload(buyer, "招标文件 第1册.pdf", bytes)).body.id;
  });

  test("the whole file, with its hash as ETag and its UTF-8 name", async () => {
    const res = await download(buyer, id);
    expect(res.status).toBe(200);
    expect(res.bytes.equals(bytes)).toBe(true);
    expect(res.headers.get("etag")).toBe(`"${sha(bytes)}"`);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="____ _1_.pdf"; filename*=UTF-8''${encodeURIComponent("招标文件 第1册.pdf")}`);
  });

  test("ranges: first, middle across pieces, last, open-ended, one seek after another", async () => {
    const seek = async (range: string, start: number, end: number) => {
      const res = await download(buyer, id, { range });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(res.headers.get("content-length")).toBe(String(end - start + 1));
      expect(res.bytes.equals(bytes.subarray(start, end + 1))).toBe(true);
    };
    await seek("bytes=0-99", 0, 99);
    await seek(`bytes=${CHUNK_BYTES - 10}-${CHUNK_BYTES * 2 + 10}`, CHUNK_BYTES - 10, CHUNK_BYTES * 2 + 10);
    await seek("bytes=-100", bytes.length - 100, bytes.length - 1);
    await seek(`bytes=${CHUNK_BYTES}-`, CHUNK_BYTES, bytes.length - 1);
    await seek(`bytes=${bytes.length - 1}-${bytes.length + 1000}`, bytes.length - 1, bytes.length - 1);
    await seek("bytes=5-5", 5, 5);
  });

  test("a range past the end is 416 with the size, in the envelope, zh-CN or en", async () => {
    const res = await fetch(`${platform.baseUrl}/api/files/${id}`, { headers: { authorization: `Bearer ${buyer}`, range: `bytes=${bytes.length}-`, "accept-language": "en" } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
    expect(await res.json()).toEqual({ error: { code: "RANGE_NOT_SATISFIABLE", message: `The requested range is outside the file (${bytes.length} bytes)`, details: { size: bytes.length } } });
    const en = await fetch(`${platform.baseUrl}/api/files/${id}?lang=en`, { headers: { authorization: `Bearer ${buyer}`, range: "bytes=-0" } });
    expect(((await en.json()) as { error: { message: string } }).error.message).toBe(`The requested range is outside the file (${bytes.length} bytes)`);
    const zh = await fetch(`${platform.baseUrl}/api/files/${id}`, { headers: { authorization: `Bearer ${buyer}`, range: "bytes=-0" } });
    expect(zh.status).toBe(416);
    expect(((await zh.json()) as { error: { message: string } }).error.message).toContain("请求的范围超出文件大小");
  });

  test("If-Range with another tag gets the whole file", async () => {
    const res = await download(buyer, id, { range: "bytes=0-9", "if-range": '"0000"' });
    expect(res.status).toBe(200);
    expect(res.bytes.length).toBe(bytes.length);
  });

  test("nobody but the uploader may read an unattached upload: 404 as for no file at all", async () => {
    for (const token of [colleague, supplier, stranger, regulator]) {
      const res = await platform.api(`/api/files/${id}`, { token, headers: { "accept-language": "en" } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    const none = await platform.api("/api/files/00000000-0000-4000-8000-000000000000", { token: buyer });
    expect(none.status).toBe(404);
    expect((await platform.api("/api/files/not-a-uuid", { token: buyer })).status).toBe(404);
    expect((await platform.api(`/api/files/${id}`)).status).toBe(401);
  });
});

describe("a form that names uploads", () => {
  test("a start names the buyer's own uploads: the instance's readers may read them, others get 404; the audit entry carries the hashes", async () => {
    const contract = pdf(20_000);
    const photo = png(5000);
    const c = (await upload(buyer, "合同.pdf", contract)).body;
    const p = (await upload(buyer, "现场.png", photo)).body;
    expect(p.type).toBe("image/png");
    const res = await start(buyer, { title: "合同备案", contract: c.id, photos: [p.id] });
    expect(res.status).toBe(201);
    const entry = await platform.kernel.db.knex("core_audit_log").where({ action: "workflow.start", object: `docs.filing/${res.body.id}` }).first();
    expect(entry.after.attachments).toEqual([
      { id: c.id, sha256: sha(contract), pointer: "/contract" },
      { id: p.id, sha256: sha(photo), pointer: "/photos/0" },
    ]);
    // the chain is intact with them
    const { verifyChain } = await import("../../../core/audit/verify");
    expect((await verifyChain(platform.kernel.db.knex)).ok).toBe(true);
    // readers of the instance: the buyer's unit, the region's regulator
    for (const token of [colleague, regulator]) {
      const got = await download(token, c.id);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(contract)).toBe(true);
      expect((await platform.api(`/api/files/${p.id}/info`, { token })).body).toEqual(p);
    }
    // another unit, another city: as if there were no such file
    for (const token of [supplier, stranger]) {
      expect((await platform.api(`/api/files/${c.id}`, { token })).status).toBe(404);
      expect((await platform.api(`/api/files/${c.id}/info`, { token })).status).toBe(404);
    }
  });

  test("someone else's upload is refused at its field, and nothing is written", async () => {
    const theirs = (await upload(supplier, "供应商的.pdf", pdf(3000))).body;
    const before = await counts();
    const res = await start(buyer, { title: "冒用", contract: theirs.id });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "/contract", rule: "attachment" })] });
    expect(await counts()).toEqual(before);
    // still not the buyer's to read
    expect((await platform.api(`/api/files/${theirs.id}`, { token: buyer })).status).toBe(404);
  });

  test("the field's type and size: a PNG where a PDF goes, a PDF over the field's 1 MiB, a PDF among photos", async () => {
    const image = (await upload(buyer, "scan.png", png(2000))).body;
    const large = (await upload(buyer, "large.pdf", pdf(1024 * 1024 + 1))).body;
    const paper = (await upload(buyer, "paper.pdf", pdf(2000))).body;
    const before = await counts();
    const wrongType = await start(buyer, { title: "类型", contract: image.id });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "attachmentType", accept: ["application/pdf"] })]);
    const tooLarge = await start(buyer, { title: "大小", contract: large.id });
    expect(tooLarge.body.error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "attachmentSize", maxBytes: 1048576 })]);
    expect(tooLarge.body.error.details[0].message.en).toBe("the file may be at most 1 MiB");
    // one good field and one bad: the step is refused whole
    const mixed = await start(buyer, { title: "混合", contract: paper.id, photos: [image.id, paper.id] });
    expect(mixed.body.error.details).toEqual([expect.objectContaining({ path: "/photos/1", rule: "attachmentType" })]);
    expect(await counts()).toEqual(before);
    // not an id at all: the form's own format check
    const notId = await start(buyer, { title: "格式", contract: "../../etc/passwd" });
    expect(notId.body.error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "format:attachment" })]);
  });

  test("a colleague may name a file already attached to the instance in a later step, but not one of the buyer's unattached uploads", async () => {
    const c = (await upload(buyer, "c.pdf", pdf(4000))).body;
    const loose = (await upload(buyer, "loose.pdf", pdf(4000))).body;
    const inst = (await start(buyer, { title: "补正", contract: c.id })).body;
    const amend = (id: string) => platform.api(`/api/instances/${inst.id}/transitions/amend`, { method: "POST", token: colleague, body: { data: { contract: id } }, headers: { "accept-language": "en" } });
    expect((await amend(loose.id)).status).toBe(400);
    const ok = await amend(c.id);
    expect(ok.status).toBe(200);
    const mine = (await upload(colleague, "mine.pdf", pdf(4000))).body;
    expect((await amend(mine.id)).status).toBe(200);
    const refs = await platform.kernel.db.knex("core_file_refs").where({ instance_id: inst.id }).pluck("file_id");
    expect(refs.sort()).toEqual([c.id, mine.id].sort());
  });
  test("an upload removed between the check and the step's transaction fails the step whole: no instance, no history, no use, no audit entry", async () => {
    const knex = platform.kernel.db.knex;
    const doomed = (await upload(buyer, "doomed.pdf", pdf(3000))).body;
    const files = platform.kernel.files;
    const check = files.check.bind(files);
    // the clean-up takes it right after the check, as it could on a busy node
    files.check = async (...args: Parameters<typeof check>) => {
      const attached = await check(...args);
      await knex("core_files").where({ id: doomed.id }).delete();
      return attached;
    };
    const before = { ...(await counts()), history: await count("core_workflow_history"), audit: await count("core_audit_log") };
    try {
      const res = await start(buyer, { title: "半途", contract: doomed.id });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "attachment" })]);
    } finally {
      files.check = check;
    }
    expect({ ...(await counts()), files: before.files, history: await count("core_workflow_history"), audit: await count("core_audit_log") }).toEqual(before);
  });
});

describe("clean-up", () => {
  test("uploads no instance names are removed a day on, with bytes no upload names; attached and recent ones stay", async () => {
    const knex = platform.kernel.db.knex;
    const shared = pdf(CHUNK_BYTES + 10);
    const old = (await upload(buyer, "old.pdf", pdf(CHUNK_BYTES + 10))).body;
    const oldCopy = (await upload(buyer, "old-copy.pdf", shared)).body;
    const recentCopy = (await upload(supplier, "recent-copy.pdf", shared)).body;
    const attached = (await upload(buyer, "kept.pdf", pdf(3000))).body;
    expect((await start(buyer, { title: "保留", contract: attached.id })).status).toBe(201);
    await knex("core_files").whereIn("id", [old.id, oldCopy.id, attached.id]).update({ created_at: knex.raw("now() - interval '25 hours'") });
    const oldLocation = (await knex("core_file_blobs").where({ sha256: old.sha256 }).first()).location;

    const result = await platform.kernel.files.cleanup();
    expect(result.files).toBeGreaterThanOrEqual(2);
    const left = await knex("core_files").whereIn("id", [old.id, oldCopy.id, recentCopy.id, attached.id]).pluck("id");
    expect(left.sort()).toEqual([recentCopy.id, attached.id].sort());
    expect(await knex("core_file_blobs").where({ sha256: old.sha256 }).first()).toBeUndefined();
    expect(await knex("core_file_chunks").where({ location: oldLocation }).count({ n: "*" })).toEqual([{ n: "0" }]);
    // the bytes the recent upload shares stay, and read back whole
    expect((await download(supplier, recentCopy.id)).bytes.equals(shared)).toBe(true);
    // the clean-up runs as a job of the event queue
    const queues = await knex.raw("select name, policy from pgboss.queue where name = 'core-files-cleanup'").catch(() => ({ rows: [] }));
    expect(queues.rows).toEqual([{ name: "core-files-cleanup", policy: "stately" }]);
  });
});

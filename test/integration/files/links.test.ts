import path from "node:path";
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { CHUNK_BYTES } from "../../../core/files/store";

/**
 * Attachments, the follow-up (core/files/README.md, "Download links" and "Limits at upload"): a
 * short-lived signed link a browser can follow without a token, issued only to a reader and bound to
 * them; and a field's accept/maxBytes applied while the file goes up.
 */
const FIXTURES = path.resolve(__dirname, "fixtures");

let platform: TestPlatform;
let buyer: string;
let regulator: string;
let stranger: string;

const pdf = (bytes: number) => Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(bytes - 15)]);
const png = (bytes: number) => {
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(bytes - 8 - 25 - 8);
  idat.write("IDAT", 4, "latin1");
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), randomBytes(17), idat, randomBytes(bytes - 8 - 25 - 8)]);
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** The user a token was issued to (its `sub`). */
const userOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).sub as string;

const upload = (token: string, name: string, bytes: Buffer, query = "") =>
  platform.api(`/api/files?name=${encodeURIComponent(name)}${query}`, { method: "POST", token, raw: bytes, headers: { "content-type": "application/octet-stream", "accept-language": "en" } });

/** Follows a link as a browser would: no Authorization header unless a token is given. */
async function follow(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${platform.baseUrl}${url}`, { headers: { "accept-language": "en", ...headers } });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString("utf8")) };
}

const count = async (table: string) => Number((await platform.kernel.db.knex(table).count({ n: "*" }))[0].n);

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "plugins"), formsDir: path.join(FIXTURES, "forms"), filesMaxBytes: 3 * 1024 * 1024, deadlineCheckMs: 3_600_000 });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  regulator = await platform.token({ roles: ["regulator"], tenantCode: "441300" });
  stranger = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" });
});

afterAll(() => platform?.stop());

describe("download links", () => {
  const bytes = pdf(CHUNK_BYTES * 2 + 777);
  let id: string;
  beforeAll(async () => {
    id = (await upload(buyer, "投标文件.pdf", bytes)).body.id;
  });

  const linkOf = (token: string, fileId = id) => platform.api(`/api/files/${fileId}/link`, { token, headers: { "accept-language": "en" } });

  test("a link is issued only to a reader: the uploader, a reader of an instance naming the file; others get 404", async () => {
    const before = Date.now();
    const mine = await linkOf(buyer);
    expect(mine.status).toBe(200);
    expect(mine.body.url).toMatch(new RegExp(`^/api/files/${id}/content\\?`));
    const expires = Date.parse(mine.body.expiresAt);
    expect(expires).toBeGreaterThan(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    for (const token of [regulator, stranger]) expect((await linkOf(token)).status).toBe(404);
    // once an instance names it, the instance's readers may have a link too
    const started = await platform.api("/api/workflows/docs.filing/instances", { method: "POST", token: buyer, body: { data: { title: "链接", contract: id } }, headers: { "accept-language": "en" } });
    expect(started.status).toBe(201);
    expect((await linkOf(regulator)).status).toBe(200);
    expect((await linkOf(stranger)).status).toBe(404);
    expect((await platform.api(`/api/files/${id}/link`)).status).toBe(401);
  });

  test("the link works in a fresh request with no token: the bytes, their type and name", async () => {
    const { url } = (await linkOf(buyer)).body;
    const res = await follow(url);
    expect(res.status).toBe(200);
    expect(sha(res.bytes)).toBe(sha(bytes));
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent("投标文件.pdf")}`);
    expect(res.headers.get("etag")).toBe(`"${sha(bytes)}"`);
  });

  test("a range through a link: 206 with Content-Range across pieces; past the end 416", async () => {
    const { url } = (await linkOf(buyer)).body;
    const a = CHUNK_BYTES - 10;
    const res = await follow(url, { range: `bytes=${a}-${a + 99}` });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${a}-${a + 99}/${bytes.length}`);
    expect(res.bytes.equals(bytes.subarray(a, a + 100))).toBe(true);
    const past = await follow(url, { range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.json().error).toMatchObject({ code: "RANGE_NOT_SATISFIABLE", details: { size: bytes.length } });
  });

  test("an expired link is refused (404 in the envelope, saying it expired, zh-CN or en)", async () => {
    const { url } = await platform.kernel.files.signedLink(id, userOf(buyer), Date.now() - 1000);
    const res = await follow(url);
    expect(res.status).toBe(404);
    expect(res.json().error).toMatchObject({ code: "NOT_FOUND", message: "This download link has expired; download the file again from its page", details: { expired: true } });
    const zh = await follow(url, { "accept-language": "zh-CN" });
    expect(zh.json().error.message).toBe("下载链接已过期，请回到页面重新下载");
  });

  test("a link is bound to its user: another user's token with it, or its user swapped, is refused", async () => {
    const { url } = (await linkOf(buyer)).body;
    const other = await follow(url, { authorization: `Bearer ${regulator}` });
    expect(other.status).toBe(404);
    expect(other.json().error.code).toBe("NOT_FOUND");
    // the same user with their token is fine
    expect((await follow(url, { authorization: `Bearer ${buyer}` })).status).toBe(200);
    const swapped = new URL(url, platform.baseUrl);
    swapped.searchParams.set("u", userOf(regulator));
    expect((await follow(swapped.pathname + swapped.search)).status).toBe(404);
  });

  test("a tampered link is refused: another file, a later expiry, an altered signature, none at all", async () => {
    const { url } = (await linkOf(buyer)).body;
    const other = (await upload(buyer, "other.pdf", pdf(3000))).body.id;
    const u = new URL(url, platform.baseUrl);
    const variants = [
      url.replace(id, other),
      (() => {
        const v = new URL(u);
        v.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 3_600_000));
        return v.pathname + v.search;
      })(),
      (() => {
        const v = new URL(u);
        const sig = v.searchParams.get("sig")!;
        v.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
        return v.pathname + v.search;
      })(),
      `/api/files/${id}/content`,
      // the same signature with a character base64url decoding would skip
      `${url}.`,
    ];
    for (const v of variants) {
      const res = await follow(v);
      expect(res.status).toBe(404);
      expect(res.json().error).toMatchObject({ code: "NOT_FOUND", message: "This download link is not valid" });
    }
  });
});

describe("a field's limits at upload (?form=&field=)", () => {
  const forField = (field: string) => `&form=docs.filing&field=${encodeURIComponent(field)}`;

  test("a PNG for the PDF-only contract is refused at once with the field's rule, and nothing is written", async () => {
    const before = await count("core_files");
    const res = await upload(buyer, "photo.png", png(5000), forField("/contract"));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "/contract", rule: "attachmentType", accept: ["application/pdf"] })] });
    expect(await count("core_files")).toBe(before);
  });

  test("a PDF over the contract's 1 MiB is refused at upload (400 attachmentSize), though under FILES_MAX_BYTES", async () => {
    const before = await count("core_file_chunks");
    const res = await upload(buyer, "big.pdf", pdf(1024 * 1024 + 1), forField("/contract"));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "attachmentSize", maxBytes: 1048576 })]);
    expect(await count("core_file_chunks")).toBe(before);
    // the same bytes with no field named go up (FILES_MAX_BYTES is 3 MiB here)
    expect((await upload(buyer, "big.pdf", pdf(1024 * 1024 + 1))).status).toBe(201);
  });

  test("the size refusal comes while the bytes are still arriving, is read whole, and the connection stays usable", async () => {
    // 3 MiB in pieces of 128 KiB, 20 ms apart: the answer must come before the client has sent it all.
    // The client then sends the rest, as a browser does: the gateway reads and drops it (a lingering
    // close), so no reset can destroy the answer, and the same connection carries the next request.
    const total = 3 * 1024 * 1024 - 1024;
    const body = pdf(total);
    const url = new URL(`${platform.baseUrl}/api/files?name=slow.pdf${forField("/contract")}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const result = await new Promise<{ status: number; text: string; sentAtAnswer: number; ms: number }>((resolve, reject) => {
        const started = Date.now();
        let sent = 0;
        let answer: { status: number; sentAtAnswer: number; ms: number } | undefined;
        const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers: { authorization: `Bearer ${buyer}`, "content-type": "application/octet-stream", "content-length": String(total) } });
        req.on("response", (res) => {
          answer = { status: res.statusCode!, sentAtAnswer: sent, ms: Date.now() - started };
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (piece: string) => (text += piece));
          res.on("end", () => req.on("finish", () => resolve({ ...answer!, text })));
        });
        req.on("error", (err) => reject(new Error(`the upload was cut after ${sent} of ${total} bytes${answer ? " (answer read)" : ", before its answer was read"}: ${err.message}`)));
        const next = () => {
          if (sent >= total) return req.end();
          const piece = body.subarray(sent, sent + 128 * 1024);
          sent += piece.length;
          req.write(piece);
          setTimeout(next, 20);
        };
        next();
      });
      console.log(`[files] field limit 1 MiB: refused after ${(result.sentAtAnswer / 1024 / 1024).toFixed(2)} MiB of ${(total / 1024 / 1024).toFixed(2)} sent, in ${result.ms} ms`);
      expect(result.status).toBe(400);
      expect(result.sentAtAnswer).toBeLessThan(total);
      expect(JSON.parse(result.text).error.details).toEqual([expect.objectContaining({ path: "/contract", rule: "attachmentSize" })]);
      const again = await new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = http.get({ agent, host: url.hostname, port: url.port, path: "/api/health" }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
        });
        req.on("error", reject);
      });
      expect(again).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  test("what the field takes goes up: a PDF for the contract, a PNG for a photo (an item of an array)", async () => {
    expect((await upload(buyer, "c.pdf", pdf(4000), forField("/contract"))).status).toBe(201);
    expect((await upload(buyer, "p.png", png(4000), forField("/photos/0"))).status).toBe(201);
    expect((await upload(buyer, "p.png", png(4000), forField("/photos/-"))).status).toBe(201);
    const wrong = await upload(buyer, "p.pdf", pdf(4000), forField("/photos/2"));
    expect(wrong.body.error.details).toEqual([expect.objectContaining({ path: "/photos/2", rule: "attachmentType", accept: ["image/*"] })]);
  });

  test("a field that is no attachment, a form that does not exist, or one of the two alone is 400", async () => {
    for (const query of [forField("/title"), forField("/nothing"), "&form=no.such.form&field=%2Fcontract", "&form=docs.filing", "&field=%2Fcontract"]) {
      const res = await upload(buyer, "c.pdf", pdf(2000), query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.details[0].path).toMatch(/^\/(field|form)$/);
    }
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import * as Minio from "minio";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * FILES_STORE=s3: the same attachments with their bytes in an S3-compatible bucket, here s3rver
 * (a devDependency: an S3 server in Node, on a free port; MinIO's own server is not on npm).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };

const FIXTURES = path.resolve(__dirname, "fixtures");
const BUCKET = "attachments";
const KEYS = { accessKey: "S3RVER", secretKey: "S3RVER" };

let s3: InstanceType<typeof S3rver>;
let client: Minio.Client;
let dir: string;
let platform: TestPlatform;
let buyer: string;
let other: string;

const pdf = (bytes: number) => Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(bytes - 15)]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const upload = (token: string, name: string, bytes: Buffer) =>
  platform.api(`/api/files?name=${encodeURIComponent(name)}`, { method: "POST", token, raw: bytes, headers: { "content-type": "application/octet-stream", "accept-language": "en" } });
async function objects(): Promise<string[]> {
  const names: string[] = [];
  for await (const o of client.listObjectsV2(BUCKET, "", true)) names.push((o as { name: string }).name);
  return names.sort();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdpc-s3-"));
  s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3.run();
  client = new Minio.Client({ endPoint: "127.0.0.1", port, useSSL: false, ...KEYS, pathStyle: true, region: "us-east-1" });
  platform = await startTestPlatform({
    pluginsDir: path.join(FIXTURES, "plugins"),
    formsDir: path.join(FIXTURES, "forms"),
    deadlineCheckMs: 3_600_000,
    filesStore: "s3",
    filesMaxBytes: 20 * 1024 * 1024,
    filesS3: { endpoint: `http://127.0.0.1:${port}`, bucket: BUCKET, region: "us-east-1", ...KEYS },
  });
  buyer = await platform.token({ roles: ["purchaser"], tenantCode: "441300", unitCode: "441300401" });
  other = await platform.token({ roles: ["purchaser"], tenantCode: "440900", unitCode: "440900201" });
});

afterAll(async () => {
  await platform?.stop();
  await s3?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("an upload goes to the bucket once per content, none of it to the database; ranges read from the bucket", async () => {
  // larger than the client's 8 MiB part: a multipart upload
  const bytes = pdf(9 * 1024 * 1024 + 7);
  const a = await upload(buyer, "标书.pdf", bytes);
  expect(a.status).toBe(201);
  expect(a.body).toMatchObject({ sha256: sha(bytes), size: bytes.length, type: "application/pdf" });
  const b = await upload(buyer, "标书-副本.pdf", bytes);
  expect(b.body.sha256).toBe(a.body.sha256);
  const blob = await platform.kernel.db.knex("core_file_blobs").where({ sha256: sha(bytes) }).first();
  expect(blob.store).toBe("s3");
  expect(await objects()).toEqual([`blobs/${blob.location}`]);
  expect(Number((await platform.kernel.db.knex("core_file_chunks").count({ n: "*" }))[0].n)).toBe(0);

  const whole = await fetch(`${platform.baseUrl}/api/files/${a.body.id}`, { headers: { authorization: `Bearer ${buyer}` } });
  expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
  for (const [start, end] of [[0, 9], [8 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 3], [bytes.length - 5, bytes.length - 1]]) {
    const part = await fetch(`${platform.baseUrl}/api/files/${a.body.id}`, { headers: { authorization: `Bearer ${buyer}`, range: `bytes=${start}-${end}` } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(start, end + 1))).toBe(true);
  }
  expect((await platform.api(`/api/files/${a.body.id}`, { token: other })).status).toBe(404);
});

test("a refused upload leaves no object behind, and the clean-up removes the objects no upload names", async () => {
  const before = await objects();
  const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "latin1"), randomBytes(300_000)]);
  expect((await upload(buyer, "setup.pdf", exe)).status).toBe(400);
  expect((await upload(buyer, "huge.pdf", pdf(20 * 1024 * 1024 + 1))).status).toBe(413);
  expect(await objects()).toEqual(before);

  const loose = (await upload(buyer, "loose.pdf", pdf(5000))).body;
  const knex = platform.kernel.db.knex;
  const location = (await knex("core_file_blobs").where({ sha256: loose.sha256 }).first()).location;
  expect(await objects()).toContain(`blobs/${location}`);
  await knex("core_files").where({ id: loose.id }).update({ created_at: knex.raw("now() - interval '2 days'") });
  await platform.kernel.files.cleanup();
  expect(await objects()).not.toContain(`blobs/${location}`);
  expect(await objects()).toEqual(before);
});

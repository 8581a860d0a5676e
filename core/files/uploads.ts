import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type PgBoss from "pg-boss";
import { abilityOf } from "../access/ability";
import { actorOf, writeAudit } from "../audit/log";
import { conflict, fieldError, notFound, PlatformError, validationFailed, type Localized } from "../errors";
import { isUuid } from "../db";
import { QUEUE_SETUP_LOCK_KEY } from "../events/queue";
import { uploadLimit } from "../gateway/upload";
import type { PlatformContext, PlatformServiceSchema, SessionUser } from "../plugins/types";
import { fileName, type FileView, type Files } from "./files";

/**
 * Resumable uploads (core/files/README.md, "Resumable uploads"): a file too large to send in one
 * request, or over a connection that breaks, goes up in chunks at announced offsets, in the shape
 * tus 1.0 gives the protocol (create with the length, PATCH-like appends at Upload-Offset, HEAD for
 * the offset, 409 on a wrong one), spoken in our own routes and envelope. When the last byte is in and
 * the announced SHA-256 holds, the bytes go through `Files.upload`: the result is an ordinary upload,
 * same store, same type check, same readers, same clean-up.
 */

/** The largest chunk one request may carry: all of it is held in memory before its short transaction. */
export const UPLOAD_CHUNK_MAX_BYTES = 8 * 1024 * 1024;
/** A session nobody has touched for this long is abandoned: its chunks go. */
export const UPLOAD_IDLE_TTL_MS = 86_400_000;
/** Unfinished sessions one account may hold at once: each may pin up to FILES_MAX_BYTES of chunks. */
export const UPLOADS_OPEN_MAX = 20;
/** Chunks read per query when a session is hashed and stored. */
const PARTS_PER_READ = 4;
const CLEANUP_QUEUE = "core-file-uploads-cleanup";
const CLEANUP_EVERY_S = 3600;

const UPLOAD: Localized = { "zh-CN": "上传任务", en: "upload" };
const HEX64 = /^[0-9a-f]{64}$/;

interface UploadRow {
  id: string;
  uploaded_by: string;
  tenant_code: string;
  name: string;
  size: string | number;
  sha256: string;
  encrypted: boolean;
  received: string | number;
  state: "open" | "finishing" | "done";
  file_id: string | null;
  updated_at: Date;
}

/** What the API shows of a session: enough for a client to carry on from where it broke off. */
export interface UploadView {
  id: string;
  name: string;
  size: number;
  sha256: string;
  encrypted: boolean;
  /** the next byte the server expects: every byte before it is stored */
  offset: number;
  state: UploadRow["state"];
  fileId: string | null;
  chunkMaxBytes: number;
  expiresAt: string;
}

const viewOf = (r: UploadRow): UploadView => ({
  id: r.id,
  name: r.name,
  size: Number(r.size),
  sha256: r.sha256,
  encrypted: r.encrypted,
  offset: Number(r.received),
  state: r.state,
  fileId: r.file_id,
  chunkMaxBytes: UPLOAD_CHUNK_MAX_BYTES,
  expiresAt: new Date(new Date(r.updated_at).getTime() + UPLOAD_IDLE_TTL_MS).toISOString(),
});

/** 409 with the offset the server has: what tus answers a wrong Upload-Offset, so the client knows where to go on. */
const offsetConflict = (r: UploadRow, zh: string, en: string) => conflict({ "zh-CN": zh, en }, { offset: Number(r.received), size: Number(r.size), state: r.state });

/**
 * A chunk's bytes, at most UPLOAD_CHUNK_MAX_BYTES (413 past it). A client gone half way is told
 * nothing and nothing of the chunk is kept: it asks for the offset and sends the chunk again.
 */
async function readChunk(body: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  try {
    // pipeline, not pipe: it also sees a client that was gone before the action began reading
    await pipeline(body, uploadLimit(UPLOAD_CHUNK_MAX_BYTES), async (source: AsyncIterable<Buffer>) => {
      for await (const piece of source) pieces.push(piece);
    });
  } catch (err) {
    body.resume();
    if (err instanceof PlatformError) throw err;
    throw validationFailed([fieldError("/chunk", "incomplete", "上传中断，这一块未保存", "the upload was interrupted; this chunk was not kept")]);
  }
  return Buffer.concat(pieces);
}

export class Uploads {
  constructor(private readonly files: Files) {}

  private get knex() {
    return this.files.o.knex;
  }

  /** The caller's own session; anybody else's is 404, as one that does not exist. */
  private async own(id: unknown, user: SessionUser): Promise<UploadRow> {
    const row = isUuid(id) ? ((await this.knex("core_file_uploads").where({ id, uploaded_by: user.id }).first()) as UploadRow | undefined) : undefined;
    if (!row) throw notFound(UPLOAD);
    return row;
  }

  /** POST /api/files/uploads `{ name, size, sha256, encrypted? }`: a session, at offset 0. */
  async create(body: { name?: unknown; size?: unknown; sha256?: unknown; encrypted?: unknown }, user: SessionUser): Promise<UploadView> {
    const problems = [];
    let name = "";
    try {
      name = fileName(body.name);
    } catch {
      problems.push(fieldError("/name", "name", "请提供文件名（1–255 个字符，不含控制字符）", "give the file's name (1–255 characters, no control characters)"));
    }
    const size = body.size;
    const max = this.files.o.maxBytes;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1) problems.push(fieldError("/size", "size", "请给出文件的字节数（正整数）", "give the file's size in bytes (a positive integer)"));
    else if (size > max) problems.push({ ...fieldError("/size", "maxBytes", `文件不能超过 ${Math.floor(max / 1024 / 1024)} MiB`, `the file may be at most ${Math.floor(max / 1024 / 1024)} MiB`), maxBytes: max });
    if (typeof body.sha256 !== "string" || !HEX64.test(body.sha256)) problems.push(fieldError("/sha256", "format", "请给出文件内容的 SHA-256（64 位小写十六进制）", "give the SHA-256 of the content (64 lowercase hex digits)"));
    if (body.encrypted !== undefined && typeof body.encrypted !== "boolean") problems.push(fieldError("/encrypted", "type", "encrypted 应为 true 或 false", "encrypted is true or false"));
    if (problems.length) throw validationFailed(problems);
    return this.knex.transaction(async (trx) => {
      // one account's sessions one at a time, so that the count below cannot be raced past
      await trx.raw("select pg_advisory_xact_lock(hashtextextended(?, 0))", [`core_file_uploads|${user.id}`]);
      const [{ n }] = await trx("core_file_uploads").where({ uploaded_by: user.id }).whereNot({ state: "done" }).count({ n: "*" });
      if (Number(n) >= UPLOADS_OPEN_MAX) {
        throw conflict(
          { "zh-CN": `未完成的上传已有 ${UPLOADS_OPEN_MAX} 个，请先完成或取消其中一些`, en: `You have ${UPLOADS_OPEN_MAX} unfinished uploads: finish or cancel some first` },
          { rule: "openUploads", max: UPLOADS_OPEN_MAX },
        );
      }
      const [row] = await trx("core_file_uploads")
        .insert({ uploaded_by: user.id, tenant_code: user.tenantCode, name, size, sha256: body.sha256, encrypted: body.encrypted === true })
        .returning("*");
      return viewOf(row as UploadRow);
    });
  }

  /** GET /api/files/uploads/:id: where the session stands, to go on after a broken connection. */
  async status(id: unknown, user: SessionUser): Promise<UploadView> {
    return viewOf(await this.own(id, user));
  }

  /**
   * PUT /api/files/uploads/:id?offset=n: a chunk at offset n. The bytes are read first (at most
   * UPLOAD_CHUNK_MAX_BYTES), then stored in a short transaction, so a slow client holds no
   * connection. The same chunk sent again (its answer was lost) changes nothing; any other offset
   * than the session's is 409 with the offset it has.
   */
  async put(id: unknown, offsetRaw: unknown, body: Readable, user: SessionUser): Promise<UploadView> {
    const session = await this.own(id, user).catch((err) => {
      body.resume();
      throw err;
    });
    const offset = typeof offsetRaw === "string" && /^\d{1,15}$/.test(offsetRaw) ? Number(offsetRaw) : NaN;
    if (!Number.isSafeInteger(offset)) {
      body.resume();
      throw validationFailed([fieldError("/offset", "format", "请在 ?offset= 中给出这一块的起始字节位置", "give the chunk's starting byte in ?offset=")]);
    }
    const chunk = await readChunk(body);
    if (!chunk.length) throw validationFailed([fieldError("/chunk", "empty", "这一块是空的", "the chunk is empty")]);
    if (offset + chunk.length > Number(session.size)) {
      throw validationFailed([{ ...fieldError("/chunk", "size", "这一块超出了创建上传时给出的文件大小", "the chunk goes past the size given when the upload was created"), size: Number(session.size) }]);
    }
    return this.knex.transaction(async (trx) => {
      const row = (await trx("core_file_uploads").where({ id: session.id }).forUpdate().first()) as UploadRow;
      const received = Number(row.received);
      if (row.state !== "open") throw offsetConflict(row, "该上传已完成，不再接收数据", "This upload is finished: it takes no more bytes");
      // sent again after its answer was lost: already stored, nothing to do
      if (offset < received && offset + chunk.length <= received) return viewOf(row);
      if (offset !== received) throw offsetConflict(row, `服务器已收到 ${received} 字节，请从该位置继续上传`, `The server has ${received} bytes: go on from there`);
      await trx("core_file_upload_parts").insert({ upload_id: row.id, offset, data: chunk });
      const [updated] = await trx("core_file_uploads").where({ id: row.id }).update({ received: received + chunk.length, updated_at: trx.fn.now() }).returning("*");
      return viewOf(updated as UploadRow);
    });
  }

  /** The session's bytes in order, a few chunks per query. */
  private parts(id: string): AsyncGenerator<Buffer> {
    const knex = this.knex;
    return (async function* () {
      let from = -1;
      for (;;) {
        const rows = (await knex("core_file_upload_parts").where({ upload_id: id }).where("offset", ">", from).orderBy("offset").limit(PARTS_PER_READ).select("offset", "data")) as Array<{ offset: string; data: Buffer }>;
        if (!rows.length) return;
        for (const r of rows) yield r.data;
        from = Number(rows[rows.length - 1].offset);
      }
    })();
  }

  /**
   * POST /api/files/uploads/:id/finish: every byte in and the announced SHA-256 holds → the upload
   * (201 `{ id, sha256, size, type, name }`, as POST /api/files answers). Asked again, the same file.
   * A hash that does not hold, or a type refused, ends the session: nothing is kept.
   */
  async finish(id: unknown, user: SessionUser, ctx: PlatformContext): Promise<{ file: FileView; again: boolean }> {
    const session = await this.own(id, user);
    const claimed = (await this.knex("core_file_uploads")
      .where({ id: session.id, state: "open" })
      .whereRaw("received = size")
      .update({ state: "finishing", updated_at: this.knex.fn.now() })
      .returning("*")) as UploadRow[];
    if (!claimed.length) {
      const now = (await this.knex("core_file_uploads").where({ id: session.id }).first()) as UploadRow | undefined;
      if (!now) throw notFound(UPLOAD);
      if (now.state === "done" && now.file_id) return { file: await this.files.info(now.file_id, user, abilityOf(ctx)), again: true };
      if (now.state === "finishing") throw offsetConflict(now, "该上传正在完成中", "This upload is being finished");
      throw offsetConflict(now, `文件尚未传完：已收到 ${now.received} / ${now.size} 字节`, `The file is not all here yet: ${now.received} of ${now.size} bytes received`);
    }
    const row = claimed[0];
    const drop = () => this.knex("core_file_uploads").where({ id: row.id }).delete();
    try {
      const hash = createHash("sha256");
      for await (const part of this.parts(row.id)) hash.update(part);
      const actual = hash.digest("hex");
      if (actual !== row.sha256) {
        throw validationFailed(
          [{ ...fieldError("/sha256", "sha256", "收到的内容与创建上传时给出的 SHA-256 不符，请重新上传", "the bytes received do not match the SHA-256 given when the upload was created; upload the file again"), expected: row.sha256, actual }],
          { "zh-CN": "文件内容校验失败，未保存", en: "The file failed its hash check and was not kept" },
        );
      }
      const file = await this.files.upload(Readable.from(this.parts(row.id)), { name: row.name, user, encrypted: row.encrypted });
      await this.knex.transaction(async (trx) => {
        await trx("core_file_upload_parts").where({ upload_id: row.id }).delete();
        await trx("core_file_uploads").where({ id: row.id }).update({ state: "done", file_id: file.id, updated_at: trx.fn.now() });
        await writeAudit(trx, { actor: actorOf(user), tenantCode: user.tenantCode, action: "files.upload.resumable", object: file.id, after: { upload: row.id, sha256: file.sha256, size: file.size } });
      });
      return { file, again: false };
    } catch (err) {
      // bytes that are wrong (hash, type) are dropped; a failure of ours leaves the session to be finished again
      if ((err as { type?: string }).type === "VALIDATION_FAILED") await drop().catch(() => {});
      else await this.knex("core_file_uploads").where({ id: row.id, state: "finishing" }).update({ state: "open" }).catch(() => {});
      throw err;
    }
  }

  /** DELETE /api/files/uploads/:id: the client gives up; its chunks go at once. */
  async cancel(id: unknown, user: SessionUser): Promise<void> {
    const row = await this.own(id, user);
    if (row.state === "finishing") throw offsetConflict(row, "该上传正在完成中，不能取消", "This upload is being finished: it cannot be cancelled");
    await this.knex("core_file_uploads").where({ id: row.id }).delete();
  }

  /**
   * A service keeps uploads of its caller's past the clean-up (`files.uploads.hold`, broker only):
   * each must be a finished upload of the caller's with the hash the service was given. One not
   * finished yet, or not the caller's, is refused at `pointer/<i>`; nothing is held unless all are.
   */
  async hold(holder: string, key: string, files: Array<{ id: unknown; sha256: unknown }>, pointer: string, user: SessionUser): Promise<void> {
    const ids = files.map((f) => f.id).filter(isUuid);
    const mine = new Map(
      ((await this.knex("core_files").whereIn("id", ids).where({ uploaded_by: user.id }).select("id", "sha256")) as Array<{ id: string; sha256: string }>).map((r) => [r.id, r.sha256]),
    );
    const unfinished = new Set((await this.knex("core_file_uploads").whereIn("id", ids).where({ uploaded_by: user.id }).whereNot({ state: "done" }).pluck("id")) as string[]);
    const problems = files.flatMap((f, i) => {
      const at = `${pointer}/${i}`;
      if (typeof f.id === "string" && unfinished.has(f.id)) return [fieldError(at, "unfinished", "该文件尚未上传完成，请先完成上传", "this file has not finished uploading: finish it first")];
      if (typeof f.id !== "string" || !mine.has(f.id)) return [fieldError(at, "attachment", "找不到该文件，或它不是您上传的，请重新上传", "no such file among your uploads; upload it again")];
      if (mine.get(f.id) !== f.sha256) return [fieldError(at, "sha256", "文件的 SHA-256 与上传的内容不符", "the file's SHA-256 does not match what was uploaded")];
      return [];
    });
    if (problems.length) throw validationFailed(problems);
    if (!ids.length) return;
    await this.knex("core_file_holds").insert(ids.map((file_id) => ({ file_id, holder, key }))).onConflict(["file_id", "holder", "key"]).ignore();
  }

  /** The bytes of an upload this holder holds under this key (`files.uploads.held`): the holder decides who may have them. */
  async held(holder: string, key: string, id: unknown): Promise<{ size: number; bytes: Readable }> {
    const row = isUuid(id)
      ? await this.knex("core_file_holds as h").join("core_files as f", "f.id", "h.file_id").join("core_file_blobs as b", "b.sha256", "f.sha256").where({ "h.file_id": id, "h.holder": holder, "h.key": key }).first("b.location", "b.size")
      : undefined;
    if (!row) throw notFound({ "zh-CN": "文件", en: "file" });
    return { size: Number(row.size), bytes: this.files.read(row, 0, Number(row.size) - 1) };
  }

  /** Sessions idle longer than `idleMs`, with their chunks (a finished one's file stays: Files' own clean-up decides on it). */
  async cleanup(idleMs = UPLOAD_IDLE_TTL_MS): Promise<number> {
    return (await this.knex("core_file_uploads").where("updated_at", "<", this.knex.raw("now() - make_interval(secs => ?)", [idleMs / 1000])).delete()) as number;
  }

  /** As Files.startCleanup: one job queued at a time across the cluster, each run queuing the next. */
  async startCleanup(boss: PgBoss): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(?)", [QUEUE_SETUP_LOCK_KEY]);
      await boss.createQueue(CLEANUP_QUEUE, { name: CLEANUP_QUEUE, policy: "stately", retryLimit: 3, retryDelay: 60 });
    });
    await boss.work(CLEANUP_QUEUE, async () => {
      try {
        const n = await this.cleanup();
        if (n) this.files.o.log?.(`[files] removed ${n} abandoned resumable upload(s)`);
      } finally {
        await boss.send(CLEANUP_QUEUE, {}, { startAfter: CLEANUP_EVERY_S });
      }
    });
    await boss.send(CLEANUP_QUEUE, {}, { startAfter: 60 });
  }
}

/** The service that holds: another service calling through the broker, never a request from outside. */
function holderOf(ctx: PlatformContext): string {
  if (!ctx.caller || ctx.caller === "gateway") throw notFound();
  return ctx.caller;
}

/** The HTTP API of resumable uploads, beside filesService's. */
export function uploadsService(uploads: Uploads): PlatformServiceSchema {
  return {
    name: "files.uploads",
    actions: {
      create: {
        rest: "POST /files/uploads",
        kind: "create",
        permission: "authenticated",
        async handler(ctx: PlatformContext<Record<string, unknown>>) {
          const view = await uploads.create(ctx.params ?? {}, ctx.meta.user!);
          ctx.meta.$statusCode = 201;
          return view;
        },
      },
      status: {
        rest: "GET /files/uploads/:id",
        kind: "read",
        permission: "authenticated",
        handler(ctx: PlatformContext<{ id: string }>) {
          return uploads.status(ctx.params.id, ctx.meta.user!);
        },
      },
      put: {
        rest: "PUT /files/uploads/:id",
        stream: true,
        kind: "continue",
        permission: "authenticated",
        // The body is the chunk (ctx.stream); :id and ?offset= are in ctx.params.
        handler(ctx: PlatformContext<{ id: string; offset?: unknown }>) {
          return uploads.put(ctx.params.id, ctx.params.offset, ctx.stream as Readable, ctx.meta.user!);
        },
      },
      finish: {
        rest: "POST /files/uploads/:id/finish",
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ id: string }>) {
          const { file, again } = await uploads.finish(ctx.params.id, ctx.meta.user!, ctx);
          ctx.meta.$statusCode = again ? 200 : 201;
          return file;
        },
      },
      // Broker only (no route): the holder is the calling service, as Moleculer names it in ctx.caller.
      hold: {
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ key: string; files: Array<{ id: unknown; sha256: unknown }>; pointer?: string }>) {
          await uploads.hold(holderOf(ctx), String(ctx.params.key), Array.isArray(ctx.params.files) ? ctx.params.files : [], ctx.params.pointer ?? "/files", ctx.meta.user!);
          return { held: ctx.params.files.length };
        },
      },
      held: {
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ key: string; id: string }>) {
          return (await uploads.held(holderOf(ctx), String(ctx.params.key), ctx.params.id)).bytes;
        },
      },
      cancel: {
        rest: "DELETE /files/uploads/:id",
        kind: "continue",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ id: string }>) {
          await uploads.cancel(ctx.params.id, ctx.meta.user!);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },
    },
  };
}

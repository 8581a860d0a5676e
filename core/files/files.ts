import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { Readable } from "node:stream";
import type { Knex } from "knex";
import type PgBoss from "pg-boss";
import { fromBuffer } from "file-type";
import { fieldError, notFound, PlatformError, validationFailed, type ErrorDetail, type Localized } from "../errors";
import { actorOf, writeAudit } from "../audit/log";
import { isUuid } from "../db";
import { uploadLimit } from "../gateway/upload";
import { QUEUE_SETUP_LOCK_KEY } from "../events/queue";
import { acceptsType, type AttachmentLimits } from "../forms/formats";
import { sharedSecret } from "../identity/keys";
import type { FormRef } from "../forms/registry";
import type { AppAbility, SessionUser } from "../plugins/types";
import { instanceSubject, type InstanceRow } from "../workflow/engine";
import { CHUNK_BYTES, type BlobStore } from "./store";
import { attachmentValues, hasAttachments } from "./fields";

/** What the API shows of an upload. */
export interface FileView {
  id: string;
  sha256: string;
  size: number;
  type: string;
  name: string;
}

interface FileRow {
  id: string;
  sha256: string;
  name: string;
  uploaded_by: string;
  tenant_code: string;
  created_at: Date;
  size: string | number;
  type: string;
  store: string;
  location: string;
}

/** An attachment a submission names, checked and ready to be recorded with the step. */
export interface Attached {
  id: string;
  sha256: string;
  pointer: string;
}

export const FILE: Localized = { "zh-CN": "文件", en: "file" };
const NAME_MAX = 255;
/** How long an upload no submitted form names is kept. */
export const UNREFERENCED_TTL_MS = 86_400_000;
const CLEANUP_QUEUE = "core-files-cleanup";
const CLEANUP_EVERY_S = 3600;

const viewOf = (row: Pick<FileRow, "id" | "sha256" | "size" | "type" | "name">): FileView => ({ id: row.id, sha256: row.sha256, size: Number(row.size), type: row.type, name: row.name });

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/** A field's refusals, the same at upload (`?form=&field=`) as when the form is submitted. */
const typeRefusal = (pointer: string, accept: string[], type: string): ErrorDetail => ({
  ...fieldError(pointer, "attachmentType", `此处只接受 ${accept.join("、")}（该文件按内容是 ${type}）`, `only ${accept.join(", ")} here (this file is ${type} by its content)`),
  accept,
});
const sizeRefusal = (pointer: string, maxBytes: number): ErrorDetail => ({
  ...fieldError(pointer, "attachmentSize", `文件不能超过 ${sizeText(maxBytes)}`, `the file may be at most ${sizeText(maxBytes)}`),
  maxBytes,
});

/** How long a download link works: enough to start a download, too short to be worth passing on. */
export const LINK_TTL_MS = 5 * 60_000;
/** What a download link carries besides the file's id (GET /api/files/:id/content). */
export interface LinkParams {
  u?: unknown;
  exp?: unknown;
  sig?: unknown;
}

/** A file name as the uploader's system gave it: its last path segment, NFC, no control characters. */
export function fileName(raw: unknown): string {
  const name = typeof raw === "string" ? raw.split(/[\\/]/).pop()!.normalize("NFC").trim() : "";
  if (!name || name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
    throw validationFailed([fieldError("/name", "name", `请提供文件名（1–${NAME_MAX} 个字符，不含控制字符）`, `give the file's name (1–${NAME_MAX} characters, no control characters)`)]);
  }
  return name;
}

/** Text has no magic number: bytes with no NUL that decode as UTF-8 (the sample may end inside a character). */
function looksLikeText(sample: Buffer): boolean {
  if (sample.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** `Content-Disposition` for a download: an ASCII stand-in for old clients, the UTF-8 name (RFC 6266, 5987) for the rest. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/**
 * One `Range: bytes=` range of a file of `size` bytes (RFC 9110 §14): null to answer the whole file
 * (no range, a malformed one, or several: a server may ignore Range), "unsatisfiable" for 416.
 */
export function rangeOf(header: unknown, size: number): { start: number; end: number } | null | "unsatisfiable" {
  if (typeof header !== "string") return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  if (end < start) return null;
  return { start, end };
}

export interface FilesOptions {
  knex: Knex;
  store: BlobStore;
  /** the largest upload (FILES_MAX_BYTES) */
  maxBytes: number;
  /** the types an upload may be at all (FILES_TYPES) */
  types: string[];
  /** the schema a submission was checked under */
  formOf(ref: FormRef): Promise<{ schema: Record<string, unknown> }>;
  log?: (line: string) => void;
}

/**
 * Attachments (core/files/README.md): uploads stored once per content, read back by range, and
 * claimed by the workflow steps whose forms name them.
 */
export class Files {
  private readonly schemas = new Map<string, Promise<Record<string, unknown> | null>>();
  private linkKey?: Promise<Buffer>;

  constructor(readonly o: FilesOptions) {}

  /**
   * Stores an upload as it arrives: hashed, its type read from its first bytes, written in pieces in
   * one transaction with its row and audit entry (a refusal or a broken connection leaves nothing).
   * The same bytes stored before are not stored again.
   */
  async upload(body: Readable, meta: { name: unknown; user: SessionUser; field?: { pointer: string; limits: AttachmentLimits }; encrypted?: boolean }): Promise<FileView> {
    const name = fileName(meta.name);
    const location = randomUUID();
    const hash = createHash("sha256");
    const limited = body.pipe(uploadLimit(this.o.maxBytes));
    // A client gone half way is no server error: it is told nothing, and nothing is kept.
    const interrupted = () => validationFailed([fieldError("/file", "incomplete", "上传中断，文件未保存", "the upload was interrupted; nothing was kept")]);
    body.once("error", () => limited.destroy(interrupted()));
    body.once("aborted", () => limited.destroy(interrupted()));
    body.once("close", () => {
      if (!body.readableEnded) limited.destroy(interrupted());
    });
    const trx = await this.o.knex.transaction();
    const writer = this.o.store.writer(trx, location);
    let size = 0;
    let type: string | undefined;
    const field = meta.field;
    const put = async (piece: Buffer) => {
      if (type === undefined) {
        // ciphertext has no type to read (core/files/uploads.ts): it is opaque bytes, opened elsewhere
        type = meta.encrypted ? "application/octet-stream" : await this.typeOf(piece);
        if (field && !acceptsType(field.limits.accept, type)) throw validationFailed([typeRefusal(field.pointer, field.limits.accept!, type)]);
      }
      hash.update(piece);
      size += piece.length;
      await writer.write(piece);
    };
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of limited as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        // the field's own limit: refused as soon as the bytes pass it, not after all have come
        if (field?.limits.maxBytes !== undefined && size + pendingBytes > field.limits.maxBytes) throw validationFailed([sizeRefusal(field.pointer, field.limits.maxBytes)]);
        while (pendingBytes >= CHUNK_BYTES) {
          const all = Buffer.concat(pending);
          await put(all.subarray(0, CHUNK_BYTES));
          pending = [all.subarray(CHUNK_BYTES)];
          pendingBytes = all.length - CHUNK_BYTES;
        }
      }
      if (pendingBytes) await put(Buffer.concat(pending));
      if (!size) throw validationFailed([fieldError("/file", "empty", "文件是空的", "the file is empty")]);
      await writer.finish();
      const sha256 = hash.digest("hex");
      // Against the clean-up, which removes a blob no upload names under the same lock.
      await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`core_files:${sha256}`]);
      const existing = await trx("core_file_blobs").where({ sha256 }).first();
      if (existing) await writer.discard();
      else await trx("core_file_blobs").insert({ sha256, size, type, store: this.o.store.kind, location });
      const [row] = await trx("core_files").insert({ sha256, name, uploaded_by: meta.user.id, tenant_code: meta.user.tenantCode }).returning("*");
      const view = viewOf({ ...row, size, type: existing?.type ?? type! });
      await writeAudit(trx, { actor: actorOf(meta.user), tenantCode: meta.user.tenantCode, action: "files.upload", object: row.id, after: { sha256, size, type: view.type, name, stored: existing ? "deduplicated" : "new" } });
      await trx.commit();
      return view;
    } catch (err) {
      await trx.rollback().catch(() => {});
      // the database's pieces went with the rollback; an object store's must be removed
      if (this.o.store.kind !== "pg") await writer.discard().catch(() => {});
      limited.destroy();
      body.resume();
      throw err;
    }
  }

  /** The type of the bytes by their magic numbers (file-type), refused unless FILES_TYPES allows it. */
  private async typeOf(sample: Buffer): Promise<string> {
    const found = await fromBuffer(sample);
    const type = found?.mime ?? (looksLikeText(sample) ? "text/plain" : "application/octet-stream");
    if (!acceptsType(this.o.types, type)) {
      throw validationFailed(
        [{ ...fieldError("/file", "type", `不接受此类文件（按内容识别为 ${type}）`, `files of this type are not accepted (by its content it is ${type})`), type }],
        { "zh-CN": "不接受此类文件", en: "Files of this type are not accepted" },
      );
    }
    return type;
  }

  private async rowOf(id: string): Promise<FileRow | undefined> {
    return (await this.o.knex("core_files as f").join("core_file_blobs as b", "b.sha256", "f.sha256").where("f.id", id).first("f.*", "b.size", "b.type", "b.store", "b.location")) as FileRow | undefined;
  }

  /**
   * An upload the caller may read: their own, or one an instance they may read names. Anything
   * else is 404, as for an id that does not exist: ids of others' files cannot be probed.
   */
  async readable(id: unknown, user: SessionUser, ability: AppAbility): Promise<FileRow> {
    if (!isUuid(id)) throw notFound(FILE);
    const row = await this.rowOf(id);
    if (!row) throw notFound(FILE);
    if (row.uploaded_by === user.id) return row;
    const instances = (await this.o.knex("core_file_refs as r").join("core_workflow_instances as i", "i.id", "r.instance_id").where("r.file_id", id).select("i.*")) as InstanceRow[];
    if (instances.some((i) => ability.can("read", instanceSubject(i)))) return row;
    throw notFound(FILE);
  }

  async info(id: unknown, user: SessionUser, ability: AppAbility): Promise<FileView> {
    return viewOf(await this.readable(id, user, ability));
  }

  /** The MAC of a link: HMAC-SHA256 under a key kept in the shared database, as the refresh tokens' is. */
  private async mac(id: string, userId: string, exp: number): Promise<Buffer> {
    if (!this.linkKey) {
      this.linkKey = sharedSecret(this.o.knex, "files.link-key");
      this.linkKey.catch(() => (this.linkKey = undefined));
    }
    return createHmac("sha256", await this.linkKey).update(`${id}\n${userId}\n${exp}`).digest();
  }

  /**
   * A download link a browser can follow without a token (an `<a href>` sends none): the caller's
   * read right is checked now, and the link names them and ends at `expiresMs`.
   */
  async link(id: unknown, user: SessionUser, ability: AppAbility, expiresMs = Date.now() + LINK_TTL_MS): Promise<{ url: string; expiresAt: string }> {
    const row = await this.readable(id, user, ability);
    return this.signedLink(row.id, user.id, expiresMs);
  }

  /** A link for a read already checked (or, in tests, one already past its end). */
  async signedLink(id: string, userId: string, expiresMs: number): Promise<{ url: string; expiresAt: string }> {
    const exp = Math.floor(expiresMs);
    const sig = (await this.mac(id, userId, exp)).toString("base64url");
    const query = new URLSearchParams({ u: userId, exp: String(exp), sig });
    return { url: `/api/files/${id}/content?${query}`, expiresAt: new Date(exp).toISOString() };
  }

  /**
   * The file a link names, if its MAC holds, it has not ended, and a caller who sends a token too is
   * the one it was made for. A forged or altered link is 404 as a file one may not read is; an
   * ended one says so, so that a person knows to ask for the download again.
   */
  async byLink(id: unknown, link: LinkParams, caller: SessionUser | undefined, nowMs = Date.now()): Promise<FileRow> {
    const invalid = () => new PlatformError("NOT_FOUND", { "zh-CN": "下载链接无效", en: "This download link is not valid" });
    const exp = Number(link.exp);
    if (!isUuid(id) || !isUuid(link.u) || typeof link.exp !== "string" || !Number.isSafeInteger(exp) || typeof link.sig !== "string") throw invalid();
    // compared as the text it was sent as: base64url decoding forgives stray characters
    const given = Buffer.from(link.sig);
    const expected = Buffer.from((await this.mac(id, link.u, exp)).toString("base64url"));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    if (caller && caller.id !== link.u) throw invalid();
    if (exp <= nowMs) {
      throw new PlatformError("NOT_FOUND", { "zh-CN": "下载链接已过期，请回到页面重新下载", en: "This download link has expired; download the file again from its page" }, { expired: true });
    }
    const row = await this.rowOf(id);
    if (!row) throw notFound(FILE);
    return row;
  }

  /** The bytes of a stored file from `start` to `end`, inclusive. */
  read(row: Pick<FileRow, "location">, start: number, end: number): Readable {
    return this.o.store.read(row.location, start, end);
  }

  private schemaOf(ref: FormRef): Promise<Record<string, unknown> | null> {
    const key = JSON.stringify(ref);
    let found = this.schemas.get(key);
    if (!found) {
      // a form version with its overlays never changes: its answer is kept
      found = this.o.formOf(ref).then(({ schema }) => (hasAttachments(schema) ? schema : null));
      found.catch(() => this.schemas.delete(key));
      this.schemas.set(key, found);
    }
    return found;
  }

  /**
   * Before a workflow step's transaction: every attachment the submitted data names must be an
   * upload of the caller's, or one already attached to this instance, and of a type and size its
   * field takes. Throws VALIDATION_FAILED with a detail per field otherwise.
   */
  async check(formRef: unknown, data: Record<string, unknown>, user: SessionUser, instanceId: string | null): Promise<Attached[]> {
    if (!formRef) return [];
    const schema = await this.schemaOf(formRef as FormRef);
    if (!schema) return [];
    const values = attachmentValues(schema, data);
    if (!values.length) return [];
    const ids = [...new Set(values.map((v) => v.id))];
    const rows = (await this.o.knex("core_files as f").join("core_file_blobs as b", "b.sha256", "f.sha256").whereIn("f.id", ids).select("f.id", "f.sha256", "f.uploaded_by", "b.size", "b.type")) as FileRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const here = new Set(
      instanceId ? ((await this.o.knex("core_file_refs").where({ instance_id: instanceId }).whereIn("file_id", ids).pluck("file_id")) as string[]) : [],
    );
    const problems = [];
    const attached: Attached[] = [];
    for (const v of values) {
      const row = byId.get(v.id);
      if (!row || (row.uploaded_by !== user.id && !here.has(v.id))) {
        problems.push(fieldError(v.pointer, "attachment", "找不到该文件，或它不是您上传的，请重新上传", "no such file among your uploads; upload it again"));
      } else if (!acceptsType(v.limits.accept, row.type)) {
        problems.push(typeRefusal(v.pointer, v.limits.accept!, row.type));
      } else if (v.limits.maxBytes !== undefined && Number(row.size) > v.limits.maxBytes) {
        problems.push(sizeRefusal(v.pointer, v.limits.maxBytes));
      } else {
        attached.push({ id: v.id, sha256: row.sha256, pointer: v.pointer });
      }
    }
    if (problems.length) throw validationFailed(problems);
    return attached;
  }

  /**
   * In the step's transaction: records that the instance names these uploads (from now on its
   * readers may read them, and the clean-up keeps them). An upload removed meanwhile by the
   * clean-up fails the step (and with it everything it wrote).
   */
  async attach(trx: Knex.Transaction, attached: Attached[], instanceId: string): Promise<Array<{ id: string; sha256: string; pointer: string }>> {
    if (!attached.length) return [];
    const ids = [...new Set(attached.map((a) => a.id))];
    const still = (await trx("core_files").whereIn("id", ids).forKeyShare().pluck("id")) as string[];
    const gone = attached.filter((a) => !still.includes(a.id));
    if (gone.length) throw validationFailed(gone.map((a) => fieldError(a.pointer, "attachment", "该文件已过期被清理，请重新上传", "this upload has expired and was removed; upload it again")));
    await trx("core_file_refs").insert(ids.map((file_id) => ({ file_id, instance_id: instanceId }))).onConflict(["file_id", "instance_id"]).ignore();
    return attached.map(({ id, sha256, pointer }) => ({ id, sha256, pointer }));
  }

  /**
   * Removes uploads that no instance names and that are older than `olderThanMs`, then the bytes
   * no upload names any more. Uploads being attached right now (row locked) are skipped.
   */
  async cleanup(olderThanMs = UNREFERENCED_TTL_MS): Promise<{ files: number; blobs: number }> {
    const later: string[] = [];
    const result = await this.o.knex.transaction(async (trx) => {
      const removed = (
        await trx.raw(
          `delete from core_files where id in (
             select f.id from core_files f
              where f.created_at < now() - make_interval(secs => ?)
                and not exists (select 1 from core_file_refs r where r.file_id = f.id)
                and not exists (select 1 from core_file_holds h where h.file_id = f.id)
              order by f.created_at limit 1000 for update skip locked)
           returning sha256`,
          [olderThanMs / 1000],
        )
      ).rows as Array<{ sha256: string }>;
      let blobs = 0;
      for (const sha256 of [...new Set(removed.map((r) => r.sha256))].sort()) {
        await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`core_files:${sha256}`]);
        const gone = (await trx.raw(`delete from core_file_blobs b where b.sha256 = ? and not exists (select 1 from core_files f where f.sha256 = b.sha256) returning store, location`, [sha256]))
          .rows as Array<{ store: string; location: string }>;
        for (const g of gone) {
          blobs++;
          if (g.store === "pg") await trx("core_file_chunks").where({ location: g.location }).delete();
          else later.push(g.location);
        }
      }
      return { files: removed.length, blobs };
    });
    // An object store is not in the transaction: its objects go once the rows that named them are gone.
    for (const location of later) await this.o.store.remove(this.o.knex, location).catch((err: Error) => this.o.log?.(`[files] removing ${location}: ${err.message}`));
    return result;
  }

  /**
   * The clean-up as a job on the event queue (pg-boss): one queued at a time across the cluster
   * (policy "stately"), each run queuing the next an hour on.
   */
  async startCleanup(boss: PgBoss): Promise<void> {
    // Nodes starting together would create the queue at once, which deadlocks in PostgreSQL: in
    // turn, under the event queue's own set-up lock.
    await this.o.knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(?)", [QUEUE_SETUP_LOCK_KEY]);
      await boss.createQueue(CLEANUP_QUEUE, { name: CLEANUP_QUEUE, policy: "stately", retryLimit: 3, retryDelay: 60 });
    });
    await boss.work(CLEANUP_QUEUE, async () => {
      try {
        const { files, blobs } = await this.cleanup();
        if (files) this.o.log?.(`[files] removed ${files} unattached upload(s), ${blobs} stored file(s)`);
      } finally {
        await boss.send(CLEANUP_QUEUE, {}, { startAfter: CLEANUP_EVERY_S });
      }
    });
    await boss.send(CLEANUP_QUEUE, {}, { startAfter: 60 });
  }
}

import { Readable } from "node:stream";
import type { Knex } from "knex";
import * as Minio from "minio";

/** The size of one piece of an upload on the database: a seek reads from the piece it falls in. */
export const CHUNK_BYTES = 256 * 1024;
/** An S3 multipart upload's part (S3's least is 5 MiB): what an upload to a bucket holds in memory. */
const PART_BYTES = 8 * 1024 * 1024;
/** Pieces read per query when streaming from the database: four round trips a megabyte, one piece's worth of memory at a time per reader. */
const CHUNKS_PER_READ = 4;

/** Where an upload's bytes go while they arrive: in order, in pieces of CHUNK_BYTES (the last one shorter). */
export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** all bytes were written */
  finish(): Promise<void>;
  /** the upload failed, or its bytes are already stored under another location: forget what was written */
  discard(): Promise<void>;
}

export interface BlobStore {
  readonly kind: "pg" | "s3";
  /** Starts an upload under a new location; on the database, in the upload's own transaction. */
  writer(trx: Knex.Transaction, location: string): BlobWriter;
  /** The bytes from `start` to `end` (inclusive) of a stored blob, streamed. */
  read(location: string, start: number, end: number): Readable;
  /** Removes a blob that nothing names any more; on the database, in the caller's transaction. */
  remove(db: Knex | Knex.Transaction, location: string): Promise<void>;
}

/**
 * Bytes in PostgreSQL (the default: the embedded database needs nothing else), as `bytea` rows of
 * CHUNK_BYTES keyed by (location, seq). Large objects would do too, but they live outside the
 * tables (no foreign keys, no cascade, vacuumlo for the leftovers) and need their own permission
 * on a managed database; plain rows go wherever the rest of the data goes (backups, replicas).
 */
export class PgBlobStore implements BlobStore {
  readonly kind = "pg" as const;
  constructor(private readonly knex: Knex) {}

  writer(trx: Knex.Transaction, location: string): BlobWriter {
    let seq = 0;
    return {
      write: async (chunk) => {
        await trx("core_file_chunks").insert({ location, seq: seq++, data: chunk });
      },
      finish: async () => {},
      discard: async () => {
        await trx("core_file_chunks").where({ location }).delete();
      },
    };
  }

  read(location: string, start: number, end: number): Readable {
    const knex = this.knex;
    async function* pieces() {
      const first = Math.floor(start / CHUNK_BYTES);
      const last = Math.floor(end / CHUNK_BYTES);
      for (let from = first; from <= last; from += CHUNKS_PER_READ) {
        const rows = (await knex("core_file_chunks")
          .where({ location })
          .whereBetween("seq", [from, Math.min(last, from + CHUNKS_PER_READ - 1)])
          .orderBy("seq")
          .select("seq", "data")) as Array<{ seq: number; data: Buffer }>;
        for (const row of rows) {
          const offset = row.seq * CHUNK_BYTES;
          yield row.data.subarray(Math.max(0, start - offset), Math.min(row.data.length, end - offset + 1));
        }
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  }

  async remove(db: Knex | Knex.Transaction, location: string): Promise<void> {
    await db("core_file_chunks").where({ location }).delete();
  }
}

export interface S3Settings {
  /** http(s)://host:port of the S3-compatible service (MinIO, a cloud's object storage) */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/**
 * Bytes in an S3-compatible bucket (FILES_STORE=s3), one object per distinct content, named by its
 * location. The database keeps only the rows that say which object holds which hash.
 */
/** A client of the bucket FILES_S3_* name (also the backup's: core/db/backup.ts). */
export function s3Client(s: S3Settings): Minio.Client {
  const url = new URL(s.endpoint);
  const useSSL = url.protocol === "https:";
  return new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
    pathStyle: true,
  });
}

export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  private readonly client: Minio.Client;

  constructor(private readonly s: S3Settings) {
    this.client = s3Client(s);
  }

  private key(location: string) {
    return `blobs/${location}`;
  }

  /**
   * A multipart upload of PART_BYTES parts, made by hand rather than by the client's putObject: that
   * one first lists the bucket's unfinished uploads to resume one, which not every S3-compatible
   * service offers; and a part at a time is all an upload holds in memory.
   */
  writer(_trx: Knex.Transaction, location: string): BlobWriter {
    const { bucket } = this.s;
    const key = this.key(location);
    let part: Buffer[] = [];
    let partBytes = 0;
    let uploadId: string | undefined;
    const etags: Array<{ part: number; etag: string }> = [];
    const send = async () => {
      uploadId ??= await this.client.initiateNewMultipartUpload(bucket, key, {});
      const partNumber = etags.length + 1;
      const { etag } = await this.client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} }, Buffer.concat(part));
      etags.push({ part: partNumber, etag });
      part = [];
      partBytes = 0;
    };
    return {
      write: async (chunk) => {
        part.push(chunk);
        partBytes += chunk.length;
        if (partBytes >= PART_BYTES) await send();
      },
      finish: async () => {
        if (!uploadId) {
          await this.client.putObject(bucket, key, Buffer.concat(part));
          return;
        }
        if (partBytes) await send();
        await this.client.completeMultipartUpload(bucket, key, uploadId, etags);
      },
      discard: async () => {
        part = [];
        // Parts of an upload never completed are invisible but billed: a bucket lifecycle rule
        // (AbortIncompleteMultipartUpload) is the backstop where aborting fails.
        if (uploadId) await this.client.abortMultipartUpload(bucket, key, uploadId).catch(() => {});
        await this.client.removeObject(bucket, key).catch(() => {});
      },
    };
  }

  read(location: string, start: number, end: number): Readable {
    const client = this.client;
    const { bucket } = this.s;
    const key = this.key(location);
    async function* pieces() {
      const stream = await client.getPartialObject(bucket, key, start, end - start + 1);
      for await (const chunk of stream) yield chunk as Buffer;
    }
    return Readable.from(pieces(), { objectMode: false });
  }

  async remove(_db: Knex | Knex.Transaction, location: string): Promise<void> {
    await this.client.removeObject(this.s.bucket, this.key(location));
  }
}

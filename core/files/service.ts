import type { Readable } from "node:stream";
import { abilityOf } from "../access/ability";
import { pickLang } from "../errors";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { contentDisposition, rangeOf, type Files } from "./files";

/** What the gateway hands a download of its request's headers (core/gateway/index.ts, `authenticate`). */
export interface DownloadHeaders {
  range?: string;
  ifRange?: string;
  acceptLanguage?: string;
}

/** The HTTP API of attachments: upload, what an upload is, download by range. */
export function filesService(files: Files): PlatformServiceSchema {
  return {
    name: "files",
    actions: {
      upload: {
        rest: "POST /files",
        stream: true,
        kind: "create",
        permission: "authenticated",
        async handler(ctx: PlatformContext<Readable>) {
          const query = (ctx.meta.$params ?? {}) as Record<string, unknown>;
          const view = await files.upload(ctx.params, { name: query.name, user: ctx.meta.user! });
          ctx.meta.$statusCode = 201;
          return view;
        },
      },

      info: {
        rest: "GET /files/:id/info",
        kind: "read",
        permission: "authenticated",
        handler(ctx: PlatformContext<{ id: string }>) {
          return files.info(ctx.params.id, ctx.meta.user!, abilityOf(ctx));
        },
      },

      download: {
        rest: "GET /files/:id",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ id: string; lang?: unknown }>) {
          const row = await files.readable(ctx.params.id, ctx.meta.user!, abilityOf(ctx));
          const size = Number(row.size);
          // the content's hash is the strongest validator there is: same tag, same bytes
          const etag = `"${row.sha256}"`;
          const asked = (ctx.meta.download ?? {}) as DownloadHeaders;
          const headers: Record<string, string> = {
            ETag: etag,
            "Accept-Ranges": "bytes",
            "Content-Disposition": contentDisposition(row.name),
            "Cache-Control": "private, no-cache",
          };
          // a client holding another version of the file asks for all of it (If-Range)
          const range = asked.ifRange !== undefined && asked.ifRange !== etag ? null : rangeOf(asked.range, size);
          if (range === "unsatisfiable") {
            const lang = pickLang(asked.acceptLanguage, ctx.params.lang);
            ctx.meta.$statusCode = 416;
            ctx.meta.$responseHeaders = { ...headers, "Content-Range": `bytes */${size}` };
            return {
              error: {
                code: "RANGE_NOT_SATISFIABLE",
                message: lang === "en" ? `The requested range is outside the file (${size} bytes)` : `请求的范围超出文件大小（${size} 字节）`,
                details: { size },
              },
            };
          }
          const { start, end } = range ?? { start: 0, end: size - 1 };
          if (range) {
            ctx.meta.$statusCode = 206;
            headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
          }
          headers["Content-Length"] = String(end - start + 1);
          ctx.meta.$responseType = row.type;
          ctx.meta.$responseHeaders = headers;
          return files.read(row, start, end);
        },
      },
    },
  };
}

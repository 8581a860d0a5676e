import type { Readable } from "node:stream";
import { abilityOf } from "../access/ability";
import { fieldError, pickLang, validationFailed } from "../errors";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import type { AttachmentLimits } from "../forms/formats";
import { fieldLimits } from "./fields";
import { contentDisposition, rangeOf, type Files, type LinkParams } from "./files";

/** What the gateway hands a download of its request's headers (core/gateway/index.ts, `authenticate`). */
export interface DownloadHeaders {
  range?: string;
  ifRange?: string;
  acceptLanguage?: string;
}

type StoredFile = Awaited<ReturnType<Files["readable"]>>;

/** A stored file as the answer: whole, or the one range asked for (206), or 416 past its end. */
function send(files: Files, ctx: PlatformContext<{ lang?: unknown }>, row: StoredFile) {
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
}

/**
 * The field an upload is for (`?form=<form id>&field=<JSON pointer>`), with its limits in the
 * caller's tenant's form, so that a file it refuses is refused at upload rather than at submission.
 */
async function fieldOf(ctx: PlatformContext<unknown>, form: unknown, pointer: unknown): Promise<{ pointer: string; limits: AttachmentLimits }> {
  const wrong = () =>
    validationFailed([fieldError("/field", "attachmentField", "form 与 field 须同时给出，且 field 须是该表单中附件字段的 JSON 指针", "give form and field together, field being the JSON pointer of an attachment field of that form")]);
  if (typeof form !== "string" || !form || typeof pointer !== "string") throw wrong();
  let schema: Record<string, unknown>;
  try {
    ({ schema } = await ctx.call<{ schema: Record<string, unknown> }, { id: string }>("forms.get", { id: form }));
  } catch (err) {
    if ((err as { type?: string }).type === "NOT_FOUND") throw validationFailed([fieldError("/form", "form", "没有这个表单", "no such form")]);
    throw err;
  }
  const limits = fieldLimits(schema, pointer);
  if (!limits) throw wrong();
  return { pointer, limits };
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
        // The body is the file (ctx.stream); ?name=, ?form= and ?field= are in ctx.params.
        async handler(ctx: PlatformContext<Record<string, unknown>>) {
          const query = ctx.params ?? {};
          const field = query.form === undefined && query.field === undefined ? undefined : await fieldOf(ctx, query.form, query.field);
          const view = await files.upload(ctx.stream as Readable, { name: query.name, user: ctx.meta.user!, field });
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

      link: {
        rest: "GET /files/:id/link",
        kind: "read",
        permission: "authenticated",
        handler(ctx: PlatformContext<{ id: string }>) {
          return files.link(ctx.params.id, ctx.meta.user!, abilityOf(ctx));
        },
      },

      // What a link from `link` opens: no token needed (a browser's <a href> sends none); the link is the right.
      content: {
        rest: "GET /files/:id/content",
        kind: "read",
        permission: "public",
        async handler(ctx: PlatformContext<LinkParams & { id: string; lang?: unknown }>) {
          return send(files, ctx, await files.byLink(ctx.params.id, ctx.params, ctx.meta.user ?? undefined));
        },
      },

      download: {
        rest: "GET /files/:id",
        kind: "read",
        permission: "authenticated",
        async handler(ctx: PlatformContext<{ id: string; lang?: unknown }>) {
          return send(files, ctx, await files.readable(ctx.params.id, ctx.meta.user!, abilityOf(ctx)));
        },
      },
    },
  };
}

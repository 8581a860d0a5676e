import fs from "node:fs";
import path from "node:path";
import type { Service } from "moleculer";
import type { Knex } from "knex";
import {
  fieldError,
  forbidden,
  isUuid,
  notFound,
  searchTerms,
  tenantTree,
  validationFailed,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
  type StepContext,
  type WorkflowHooks,
} from "../../../core/sdk";

export const GUIDES = "helpdesk_guides";
const VERSIONS = "helpdesk_guide_versions";
const GUIDE = { "zh-CN": "操作指南", en: "guide" };
const KINDS = ["manual", "video", "notice"];
const PAGE = /^\/[^\s]{0,200}$/;
/** The subsystem of a page by its first path segment (/etrading/tenders → etrading); others are "general". */
const SUBSYSTEMS = ["supervision", "etrading", "emall", "finance", "credit", "analytics", "portal", "helpdesk"];

type This = Service & PluginServiceThis;

interface GuideRow {
  id: string;
  kind: string;
  tenant_code: string;
  roles: string[];
  subsystem: string;
  pages: string[];
  title: string;
  title_en: string | null;
  body: string;
  video_file: string | null;
  poster_file: string | null;
  chapters: { at: number; title: string }[];
  version: number;
  published: boolean;
  updated_at: Date;
}

const brief = (g: GuideRow) => ({
  id: g.id,
  kind: g.kind,
  tenantCode: g.tenant_code,
  roles: g.roles,
  subsystem: g.subsystem,
  pages: g.pages,
  title: g.title,
  titleEn: g.title_en,
  version: g.version,
  hasVideo: !!g.video_file,
  updatedAt: new Date(g.updated_at).toISOString(),
});

/**
 * Publishing or revising writes the guide's current text for the portal and keeps it as a version
 * (a printed manual names its version); the instance's history keeps who changed what.
 */
async function publish(step: StepContext) {
  const d = step.result as {
    kind: string; title: string; titleEn?: string; roles: string[]; subsystem: string; pages?: string[]; body: string;
    video?: string; poster?: string; chapters?: { at: number; title: string }[];
  };
  if (d.kind === "video" && !d.video) throw validationFailed([fieldError("/video", "required", "视频类指南需上传视频", "a video guide needs its video")]);
  const before = await step.trx<GuideRow>(GUIDES).where({ id: step.instanceId }).forUpdate().first();
  // republishing a withdrawn guide unchanged is not a new version
  const changed = !before || step.transition === "revise";
  const version = before ? before.version + (changed ? 1 : 0) : 1;
  const row = {
    kind: d.kind,
    tenant_code: step.tenantCode,
    roles: JSON.stringify(d.roles),
    subsystem: d.subsystem,
    pages: JSON.stringify(d.pages ?? []),
    title: d.title,
    title_en: d.titleEn ?? null,
    body: d.body,
    video_file: d.video ?? null,
    poster_file: d.poster ?? null,
    chapters: JSON.stringify([...(d.chapters ?? [])].sort((a, b) => a.at - b.at)),
    version,
    published: true,
    updated_by: step.user?.id ?? null,
    updated_at: step.now,
  };
  if (before) await step.trx(GUIDES).where({ id: step.instanceId }).update(row);
  else await step.trx(GUIDES).insert({ id: step.instanceId, ...row });
  if (changed) await step.trx(VERSIONS).insert({ guide_id: step.instanceId, version, title: d.title, body: d.body, updated_by: step.user?.id ?? null, updated_at: step.now });
  return { data: { version } };
}

export const guideHooks: WorkflowHooks = {
  transitions: {
    publish,
    revise: publish,
    withdraw: async (step) => {
      await step.trx(GUIDES).where({ id: step.instanceId }).update({ published: false, updated_at: step.now });
    },
  },
};

/** The tenants whose guides a caller sees: their own and those above it (a visitor: the province's). */
function lineage(ctx: PlatformContext): string[] {
  const tree = tenantTree();
  const out: string[] = [];
  for (let t = ctx.meta.user ? tree.get(ctx.meta.user.tenantCode) : tree.root(); t; t = t.parent ? tree.get(t.parent) : undefined) out.push(t.code);
  return out.length ? out : [tree.root().code];
}

/** The roles a caller reads guides for: theirs that guides name, and "public" (everyone's). */
const rolesOf = (ctx: PlatformContext) => [...(ctx.meta.user?.roles ?? []), "public"];

function visible(db: Knex, ctx: PlatformContext) {
  const roles = rolesOf(ctx);
  return db<GuideRow>(GUIDES)
    .where({ published: true })
    .whereIn("tenant_code", lineage(ctx))
    .andWhere((q) => {
      // administrators see every role's guides; others those of their roles
      if (!ctx.meta.user?.roles.some((r) => r === "tenant-admin" || r === "platform-admin")) q.whereRaw("roles \\?| ?::text[]", [roles]);
    });
}

export const guidesService: PlatformServiceSchema = {
  name: "helpdesk.guides",
  actions: {
    /**
     * No route: the demo's video and poster (plugins/helpdesk/demo, a few seconds of WebM recorded
     * from a canvas, 12 KB) uploaded through core/files as the calling administrator. A demo's tools
     * call actions with parameters only, and an upload is a stream.
     */
    uploadDemoMedia: {
      kind: "create",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext) {
        if (!ctx.meta.user!.roles.some((r) => r === "tenant-admin" || r === "platform-admin")) throw forbidden();
        const put = (name: string, file: string) =>
          ctx.call<{ id: string }, Record<string, unknown>>("files.upload", { name }, { stream: fs.createReadStream(path.join(__dirname, "..", "demo", file)), meta: ctx.meta } as never);
        const [video, poster] = [await put("投标操作演示.webm", "guide.webm"), await put("投标操作演示封面.png", "poster.png")];
        return { video: video.id, poster: poster.id };
      },
    },

    /** GET /api/helpdesk/guides?kind=&subsystem=&role=&q=: the published guides the caller may read, newest first. */
    list: {
      rest: "GET /guides",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ kind?: unknown; subsystem?: unknown; role?: unknown; q?: unknown }>) {
        const p = ctx.params;
        const problems = [];
        if (p.kind !== undefined && !KINDS.includes(p.kind as string)) problems.push(fieldError("/kind", "enum", "类型应为 manual、video 或 notice", "kind is manual, video or notice"));
        if (p.subsystem !== undefined && !["general", ...SUBSYSTEMS].includes(p.subsystem as string)) problems.push(fieldError("/subsystem", "enum", "没有这个子系统", "no such subsystem"));
        if (p.role !== undefined && (typeof p.role !== "string" || !/^[a-z-]{1,40}$/.test(p.role))) problems.push(fieldError("/role", "pattern", "角色名不正确", "not a role name"));
        if (p.q !== undefined && (typeof p.q !== "string" || p.q.length > 100)) problems.push(fieldError("/q", "maxLength", "搜索词不超过 100 个字", "q is at most 100 characters"));
        if (problems.length) throw validationFailed(problems);
        let q = visible(this.db, ctx).orderBy("updated_at", "desc").limit(200);
        if (p.kind) q = q.where({ kind: p.kind as string });
        if (p.subsystem) q = q.where({ subsystem: p.subsystem as string });
        if (p.role) q = q.whereRaw("roles \\? ?", [p.role as string]);
        // a handful of guides per tenant: every word as a substring of the title or the text
        for (const term of searchTerms((p.q as string | undefined) ?? "")) q = q.whereRaw("strpos(lower(title || ' ' || coalesce(title_en, '') || ' ' || body), ?) > 0", [term]);
        return { items: (await q).map(brief) };
      },
    },

    /** GET /api/helpdesk/guides/for-page?path=: the guide for a page of the web app (its help link), or null. */
    forPage: {
      rest: "GET /guides/for-page",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ path?: unknown }>) {
        const path = ctx.params.path;
        if (typeof path !== "string" || !PAGE.test(path)) throw validationFailed([fieldError("/path", "pattern", "页面应为以 / 开头的路径", "path must start with /")]);
        const rows = await visible(this.db, ctx).whereNot({ kind: "notice" });
        const segment = path.split("/")[1] ?? "";
        const subsystem = SUBSYSTEMS.includes(segment) ? segment : "general";
        // the longest page prefix wins; then a manual of the page's subsystem; then a general one
        const byPage = rows
          .flatMap((g) => g.pages.filter((pg) => path === pg || path.startsWith(pg.endsWith("/") ? pg : `${pg}/`)).map((pg) => ({ g, n: pg.length })))
          .sort((a, b) => b.n - a.n)[0]?.g;
        const pick = byPage ?? rows.find((g) => g.subsystem === subsystem && g.kind === "manual") ?? rows.find((g) => g.subsystem === subsystem) ?? rows.find((g) => g.subsystem === "general");
        return { path, subsystem, guide: pick ? brief(pick) : null };
      },
    },

    /** GET /api/helpdesk/guides/:id[?version=n]: a guide's text (a past version for a printed copy), video, poster and chapters. */
    get: {
      rest: "GET /guides/:id",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string; version?: unknown }>) {
        if (!isUuid(ctx.params.id)) throw notFound(GUIDE);
        const g = await visible(this.db, ctx).where({ id: ctx.params.id }).first();
        if (!g) throw notFound(GUIDE);
        const versions = await this.db(VERSIONS).where({ guide_id: g.id }).orderBy("version", "desc").select("version", "title", "updated_at");
        let shown = { version: g.version, title: g.title, body: g.body };
        if (ctx.params.version !== undefined) {
          const n = Number(ctx.params.version);
          const old = Number.isInteger(n) ? await this.db(VERSIONS).where({ guide_id: g.id, version: n }).first() : null;
          if (!old) throw validationFailed([fieldError("/version", "exists", "没有这个版本", "no such version")]);
          shown = { version: old.version, title: old.title, body: old.body };
        }
        return {
          ...brief(g),
          ...shown,
          currentVersion: g.version,
          // the files are attachments of the guide's instance: whoever may read it streams them (core/files, Range)
          video: g.video_file ? { fileId: g.video_file, posterFileId: g.poster_file, chapters: g.chapters } : null,
          versions: versions.map((v) => ({ version: v.version, title: v.title, updatedAt: new Date(v.updated_at).toISOString() })),
        };
      },
    },
  },
};

import type { Knex } from "knex";
import fs from "node:fs";
import path from "node:path";
import type { Service } from "moleculer";
import {
  decodeCursor,
  type ErrorDetail,
  fieldError,
  isDate,
  isUuid,
  localDate,
  onceHandler,
  type PlatformContext,
  PlatformError,
  type PlatformServiceSchema,
  type PluginServiceThis,
  platformNow,
  single,
  tenantTree,
  validationFailed,
  wholeParam,
} from "../../../core/sdk";
import { readOcdsConfig, type OcdsConfig } from "../ocds-config";
import { compile, type Release } from "./ocds-builder";
import { applyFact, bulkDay, factOf, listReleases, RELEASE_ORDER, releasesOf } from "./ocds-store";

/** The receipts' consumer: each fact is applied once, however often it is delivered. */
const CONSUMER = "analytics.ocds";

export const OCDS_VERSION = "1.1";
const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** The first day a release can have: the platform's data begins in 2020 (the old system's projects). */
const EARLIEST_DAY = "2000-01-01";
/** Public, the same for everyone: a CDN may keep it this long. */
const CACHE_CONTROL = "public, max-age=60";

const EXTENSION_DIR = path.resolve(__dirname, "../ocds-extension");
const EXTENSION_FILES = ["extension.json", "release-schema.json"];

type This = Service & PluginServiceThis & { ocds: OcdsConfig };

const dayAfter = (day: string, n = 1) => {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};
/** A platform day's first moment (UTC+8), as ISO. */
const dayStart = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();

/** A day parameter: a real YYYY-MM-DD, not before 2000 nor beyond tomorrow; or a problem at `/<name>`. */
export function dayParam(name: string, raw: unknown, problems: ErrorDetail[]): string | undefined {
  const v = single(raw);
  if (v === undefined || v === "") return undefined;
  const day = v === null ? "" : v.trim();
  if (!isDate(day)) {
    problems.push(fieldError(`/${name}`, "format", "日期应为 YYYY-MM-DD 格式的有效日期", "must be a valid date as YYYY-MM-DD"));
    return undefined;
  }
  const latest = dayAfter(localDate(platformNow()));
  if (day < EARLIEST_DAY || day > latest) {
    problems.push({ ...fieldError(`/${name}`, "range", `日期应在 ${EARLIEST_DAY} 至 ${latest} 之间`, `the date must be between ${EARLIEST_DAY} and ${latest}`), min: EARLIEST_DAY, max: latest });
    return undefined;
  }
  return day;
}

function cacheable(ctx: PlatformContext<unknown>): void {
  ctx.meta.$responseHeaders = { "Cache-Control": CACHE_CONTROL };
}

function packageHead(cfg: OcdsConfig, uri: string) {
  return {
    uri,
    version: OCDS_VERSION,
    publishedDate: platformNow().toISOString(),
    publisher: { name: cfg.publisherName, uri: cfg.baseUrl },
    extensions: [`${cfg.baseUrl}/api/analytics/ocds/extension/extension.json`],
  };
}

const query = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : "";
};

interface ReleasesParams {
  from?: unknown;
  to?: unknown;
  region?: unknown;
  cursor?: unknown;
  pageSize?: unknown;
}

/**
 * The OCDS feed (README.md, "OCDS"): releases built from the modules' facts, stored once each, read
 * by anybody as release packages, record packages and daily bulk files.
 */
export const ocdsService: PlatformServiceSchema = {
  name: "analytics.ocds",
  created(this: This) {
    this.ocds = readOcdsConfig();
  },
  events: {
    "analytics.fact": onceHandler(CONSUMER, (svc) => (svc as This).db, async function (this: Service, ctx, trx) {
      const fact = factOf(ctx.params);
      if (typeof fact === "string") {
        // delivering it again would not make it valid: said once, receipt kept
        this.logger.warn(`analytics.fact ${ctx.params?.eventId} ignored: ${fact}`);
        return;
      }
      if (!(await applyFact(trx, (this as This).ocds.ocidPrefix, fact))) this.logger.debug(`analytics.fact ${ctx.params.eventId}: release already published`);
    }),
  },
  actions: {
    releases: {
      rest: "GET /ocds/releases",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<ReleasesParams>) {
        const p = ctx.params;
        const problems: ErrorDetail[] = [];
        const from = dayParam("from", p.from, problems);
        const to = dayParam("to", p.to, problems);
        if (from && to && from > to) problems.push(fieldError("/to", "range", `结束日期 ${to} 早于开始日期 ${from}`, `to (${to}) is before from (${from})`));
        let tenantCodes: string[] | undefined;
        const region = single(p.region);
        if (region !== undefined && region !== "") {
          const tenant = region === null ? undefined : tenantTree().get(region.trim());
          if (!tenant) problems.push(fieldError("/region", "tenant", `区划「${String(region)}」不在本平台`, `${JSON.stringify(region)} is not a region of this platform`));
          else tenantCodes = tenantTree().subtree(tenant.code);
        }
        const pageSize = wholeParam("pageSize", p.pageSize, 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, problems);
        const after = decodeCursor(RELEASE_ORDER, p.cursor, problems);
        if (problems.length) throw validationFailed(problems);

        const { releases, nextCursor } = await listReleases(this.db, {
          tenantCodes,
          since: from ? dayStart(from) : undefined,
          until: to ? dayStart(dayAfter(to)) : undefined,
          page: 1,
          pageSize,
          after,
        });
        const base = `${this.ocds.baseUrl}/api/analytics/ocds/releases`;
        const filters = { from, to, region: tenantCodes?.[0], pageSize: p.pageSize === undefined ? undefined : String(pageSize) };
        cacheable(ctx);
        return {
          ...packageHead(this.ocds, `${base}${query({ ...filters, cursor: single(p.cursor) ?? undefined })}`),
          releases,
          links: nextCursor ? { next: `${base}${query({ ...filters, cursor: nextCursor })}` } : {},
          nextCursor,
        };
      },
    },

    record: {
      rest: "GET /ocds/records/:ocid",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ ocid: string }>) {
        const ocid = ocidParam(ctx.params.ocid, this.ocds.ocidPrefix);
        const releases = await publishedReleases(this.db, ocid, this.ocds.ocidPrefix);
        cacheable(ctx);
        return {
          ...packageHead(this.ocds, `${this.ocds.baseUrl}/api/analytics/ocds/records/${ocid}`),
          records: [recordOf(ocid, releases)],
        };
      },
    },

    bulk: {
      rest: "GET /ocds/bulk/:file",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ file: string }>) {
        const m = /^(\d{4}-\d{2}-\d{2})\.jsonl\.gz$/.exec(String(ctx.params.file ?? ""));
        const problems: ErrorDetail[] = [];
        if (!m) problems.push(fieldError("/date", "format", "文件名应为 YYYY-MM-DD.jsonl.gz", "the file name must be YYYY-MM-DD.jsonl.gz"));
        const day = m ? dayParam("date", m[1], problems) : undefined;
        if (problems.length || !day) throw validationFailed(problems);
        ctx.meta.$responseType = "application/gzip";
        ctx.meta.$responseHeaders = { "Cache-Control": CACHE_CONTROL, "Content-Disposition": `attachment; filename="ocds-${day}.jsonl.gz"` };
        return bulkDay(this.db, dayStart(day), dayStart(dayAfter(day)));
      },
    },

    extension: {
      rest: "GET /ocds/extension/:file",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ file: string }>) {
        const file = String(ctx.params.file ?? "");
        if (!EXTENSION_FILES.includes(file)) throw new PlatformError("NOT_FOUND", { "zh-CN": "扩展中没有该文件", en: "The extension has no such file" }, { files: EXTENSION_FILES });
        cacheable(ctx);
        return JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, file), "utf8"));
      },
    },
  },
};

/** An ocid asked for: an ocid at all (or 400), and one of this platform's prefix (or 404, saying whose it is). */
export function ocidParam(raw: unknown, prefix: string): string {
  const ocid = String(raw ?? "");
  if (!/^ocds-[a-z0-9]{6}/.test(ocid)) {
    throw validationFailed([fieldError("/ocid", "format", `「${ocid.slice(0, 80)}」不是 OCDS 开放合同编号（ocid 以 ocds- 开头）`, `${JSON.stringify(ocid.slice(0, 80))} is not an OCDS ocid (an ocid begins with "ocds-")`)]);
  }
  if (!ocid.startsWith(`${prefix}-`)) {
    throw new PlatformError(
      "NOT_FOUND",
      { "zh-CN": `该 ocid 不是本平台发布的：本平台的前缀为 ${prefix}`, en: `This ocid was not published by this platform: its prefix is ${prefix}` },
      { reason: "other-publisher", prefix },
    );
  }
  return ocid;
}

/** A contracting process's releases, oldest first; 404 when this platform published none. */
export async function publishedReleases(db: Knex, ocid: string, prefix: string): Promise<Release[]> {
  const releases = isUuid(ocid.slice(prefix.length + 1)) ? await releasesOf(db, ocid) : [];
  if (!releases.length) throw new PlatformError("NOT_FOUND", { "zh-CN": "未找到该开放合同记录", en: "No record with this ocid" }, { reason: "unknown-ocid" });
  return releases;
}

/** A record: every release embedded, oldest first, and the compiled release. */
export function recordOf(ocid: string, releases: Release[]) {
  return { ocid, releases, compiledRelease: compile(releases) };
}

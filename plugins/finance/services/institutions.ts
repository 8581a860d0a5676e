import { generateKeyPairSync } from "node:crypto";
import type { Knex } from "knex";
import {
  actorOf, fieldError, isUnifiedSocialCreditCode, type PlatformContext, type PlatformServiceSchema, platformNow, PlatformError, type PluginServiceThis,
  tenantTree, type UnitInfo, validationFailed, writeAudit,
} from "../../../core/sdk";
import { covers, INSTITUTION, isInstitution, isProvinceRegulator, iso, missing } from "./shared";

export const KINDS = {
  bank: { "zh-CN": "银行", en: "bank" },
  insurer: { "zh-CN": "保险机构", en: "insurer" },
  guarantor: { "zh-CN": "担保机构", en: "guarantee company" },
} as const;

export interface InstitutionRow {
  code: string;
  name: string;
  kind: keyof typeof KINDS;
  regions: string[];
  collection_account: string | null;
  public_key: string;
  private_key: string;
  admitted_by: string;
  admitted_at: Date;
}

export const institutionView = (r: InstitutionRow, own = false) => ({
  code: r.code, name: r.name, kind: r.kind, kindTitle: KINDS[r.kind], regions: r.regions, admittedAt: iso(r.admitted_at),
  ...(own ? { collectionAccount: r.collection_account, publicKey: r.public_key } : {}),
});

export async function institutionOf(db: Knex, code: string): Promise<InstitutionRow | undefined> {
  return db<InstitutionRow>("finance_institutions").where({ code }).first();
}

/** The admitted institutions by code (a few dozen rows), for the names a list shows. */
export async function institutionsByCode(db: Knex, codes?: string[]): Promise<Map<string, InstitutionRow>> {
  const q = db<InstitutionRow>("finance_institutions").select("code", "name", "kind");
  if (codes) q.whereIn("code", [...new Set(codes)]);
  return new Map((await q).map((i) => [i.code, i as InstitutionRow]));
}

/** The signed-in institution's own record; an account of an institution not (or no longer) registered acts as nothing. */
export async function myInstitution(db: Knex, ctx: PlatformContext): Promise<InstitutionRow> {
  const u = ctx.meta.user!;
  const row = isInstitution(u) ? await institutionOf(db, u.unitCode!) : undefined;
  if (!row) throw new PlatformError("FORBIDDEN", { "zh-CN": "仅限已准入的金融机构", en: "Admitted financial institutions only" });
  return row;
}

/** The institution may act on business of this tenant only where the province admitted it. */
export function assertAdmitted(inst: InstitutionRow, tenantCode: string): void {
  if (!covers(inst.regions, tenantCode)) {
    throw new PlatformError("FORBIDDEN", { "zh-CN": `本机构未获准在该地区（${tenantCode}）开展业务`, en: `This institution is not admitted in that region (${tenantCode})` }, { tenantCode, regions: inst.regions });
  }
}

function parseRegions(raw: unknown): string[] {
  const tree = tenantTree();
  if (!Array.isArray(raw) || !raw.length) throw validationFailed([fieldError("/regions", "minItems", "请至少准入一个地区", "Admit it in one region at least")]);
  const bad = raw.findIndex((r) => typeof r !== "string" || !tree.get(r));
  if (bad >= 0) throw validationFailed([fieldError(`/regions/${bad}`, "tenant", "不是平台的地区", "not a region of the platform")]);
  return [...new Set(raw as string[])].sort();
}

type This = PluginServiceThis;

export const institutionsService: PlatformServiceSchema = {
  name: "finance.institutions",
  actions: {
    /** POST /api/finance/institutions: the province's regulator registers an institution and admits it in regions. */
    register: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /institutions",
      params: { code: { type: "any", optional: true }, name: { type: "any", optional: true }, kind: { type: "any", optional: true }, regions: { type: "any", optional: true }, collectionAccount: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<Record<string, unknown>>) {
        const u = ctx.meta.user!;
        if (!isProvinceRegulator(u)) throw new PlatformError("FORBIDDEN", { "zh-CN": "金融机构由省级监管部门准入", en: "Institutions are admitted by the province's regulator" });
        const p = ctx.params;
        const problems = [];
        const code = typeof p.code === "string" ? p.code.trim().toUpperCase() : "";
        if (!isUnifiedSocialCreditCode(code)) problems.push(fieldError("/code", "uscc", "不是有效的统一社会信用代码", "not a valid unified social credit code"));
        if (typeof p.name !== "string" || !p.name.trim() || p.name.length > 200) problems.push(fieldError("/name", "required", "请填写机构名称", "Give the institution's name"));
        if (typeof p.kind !== "string" || !(p.kind in KINDS)) problems.push(fieldError("/kind", "enum", "机构类别应为银行、保险机构或担保机构", "The kind is bank, insurer or guarantor"));
        if (p.collectionAccount !== undefined && (typeof p.collectionAccount !== "string" || !/^\d{8,32}$/.test(p.collectionAccount))) problems.push(fieldError("/collectionAccount", "pattern", "回款账号应为 8 至 32 位数字", "A collection account is 8 to 32 digits"));
        if (problems.length) throw validationFailed(problems);
        const regions = parseRegions(p.regions);
        const { publicKey, privateKey } = generateKeyPairSync("ed25519");
        const row = {
          code, name: (p.name as string).trim(), kind: p.kind as keyof typeof KINDS, regions, collection_account: (p.collectionAccount as string | undefined) ?? null,
          public_key: publicKey.export({ type: "spki", format: "pem" }).toString(), private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          admitted_by: u.id, admitted_at: platformNow(),
        };
        return this.db.transaction(async (trx) => {
          const made = await trx("finance_institutions").insert(row).onConflict("code").ignore().returning("code");
          if (!made.length) throw new PlatformError("CONFLICT", { "zh-CN": "该机构已登记", en: "This institution is registered already" });
          await writeAudit(trx, { actor: actorOf(u), tenantCode: u.tenantCode, action: "finance.institution.admit", object: code, after: { name: row.name, kind: row.kind, regions } });
          ctx.meta.$statusCode = 201;
          return institutionView(row as InstitutionRow, true);
        });
      },
    },

    /** PUT /api/finance/institutions/:code/regions { regions }: the province's regulator widens or narrows an admission. */
    admit: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /institutions/:code/regions",
      params: { code: "string", regions: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ code: string; regions?: unknown }>) {
        const u = ctx.meta.user!;
        if (!isProvinceRegulator(u)) throw new PlatformError("FORBIDDEN", { "zh-CN": "金融机构由省级监管部门准入", en: "Institutions are admitted by the province's regulator" });
        const regions = parseRegions(ctx.params.regions);
        return this.db.transaction(async (trx) => {
          const before = await trx<InstitutionRow>("finance_institutions").where({ code: ctx.params.code }).forUpdate().first();
          if (!before) throw missing(INSTITUTION);
          await trx("finance_institutions").where({ code: before.code }).update({ regions });
          await writeAudit(trx, { actor: actorOf(u), tenantCode: u.tenantCode, action: "finance.institution.regions", object: before.code, before: { regions: before.regions }, after: { regions } });
          return institutionView({ ...before, regions });
        });
      },
    },

    /** GET /api/finance/institutions?region=&kind=: the institutions admitted where a tender is, for a supplier to choose from. */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /institutions",
      params: { region: { type: "string", optional: true }, kind: { type: "string", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ region?: string; kind?: string }>) {
        const rows = await this.db<InstitutionRow>("finance_institutions").orderBy("name");
        const items = rows
          .filter((r) => !ctx.params.region || covers(r.regions, ctx.params.region))
          .filter((r) => !ctx.params.kind || r.kind === ctx.params.kind)
          .map((r) => institutionView(r));
        return { items };
      },
    },

    /** GET /api/finance/institutions/mine: the signed-in institution's own record. */
    mine: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /institutions/mine",
      async handler(this: This, ctx: PlatformContext) {
        return institutionView(await myInstitution(this.db, ctx), true);
      },
    },

    /** The kernel's unit lookup (core.units): institutions are the units of their accounts. */
    resolve: {
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ codes?: unknown }>): Promise<UnitInfo[]> {
        const codes = Array.isArray(ctx.params.codes) ? ctx.params.codes.filter((c): c is string => typeof c === "string" && c.length > 0 && c.length <= 64) : [];
        if (!codes.length) return [];
        const rows = await this.db<InstitutionRow>("finance_institutions").whereIn("code", codes.map((c) => c.toUpperCase()));
        return rows.map((r) => ({ code: r.code, tenantCode: tenantTree().root().code, name: r.name, active: true }));
      },
    },
  },
};

import { Model, snakeCaseMappers, type QueryBuilder, type Transaction } from "objection";
import { type ErrorDetail, fieldError, isUuid } from "../../../core/sdk";
import { listFilters, type CodedRegistry } from "./coded-registry";
import { columnsOf, readColumns, type CsvLayout, type SecondaryKey } from "./coded-import";
import { tenantProblemAt } from "./registry-rules";

/** A purchasing unit (采购人): a budget unit that buys under the procurement law. */
export class Purchaser extends Model {
  static override tableName = "registries_purchasers";
  static override columnNameMappers = snakeCaseMappers();

  id!: string;
  tenantCode!: string;
  name!: string;
  creditCode!: string | null;
  budgetCode!: string;
  unitType!: string;
  contactName!: string | null;
  contactPhone!: string | null;
  contactEmail!: string | null;
  address!: string | null;
  status!: string;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

/** The fields a caller may write, as the form names them. */
export const purchaserFields = [
  "name",
  "creditCode",
  "budgetCode",
  "tenantCode",
  "unitType",
  "contactName",
  "contactPhone",
  "contactEmail",
  "address",
  "status",
] as const;

/** What anybody who may read a unit at all sees of it. */
export const PUBLIC_PURCHASER_FIELDS = ["id", "name", "creditCode", "tenantCode", "unitType", "status"] as const;

/**
 * What the purchasing units and agencies of a region see of its units: everything but the budget
 * code, which is the first password of the unit's accounts (only the unit itself and those who
 * oversee the region see it).
 */
export const REGIONAL_PURCHASER_FIELDS = [...PUBLIC_PURCHASER_FIELDS, "contactName", "contactPhone", "contactEmail", "address", "version", "createdAt", "updatedAt"] as const;

const CONTACT_FIELDS = ["contactName", "contactPhone", "contactEmail", "address"] as const;

const creditCodeTaken = () => fieldError("/creditCode", "unique", "该统一社会信用代码已被其他单位使用", "another unit already has this credit code");

/** CSV columns (snake_case, as spreadsheets exported from the old system name them) → form fields. */
const PURCHASER_COLUMNS = columnsOf(purchaserFields);

export const PURCHASER_CSV: CsvLayout = {
  columns: Object.keys(PURCHASER_COLUMNS),
  required: ["name", "budget_code", "tenant_code", "unit_type"],
  read: (values) => readColumns(values, PURCHASER_COLUMNS, ["creditCode", ...CONTACT_FIELDS]),
};

/** A unit's credit code, when it has one, is its own: two rows, or a row and another unit, may not share one. */
const CREDIT_CODE_KEY: SecondaryKey = {
  of: (data) => (typeof data.creditCode === "string" ? data.creditCode : null),
  async holders(trx: Transaction, keys: string[]) {
    const rows = await Purchaser.query(trx).select("credit_code", "budget_code").whereIn("credit_code", keys);
    return new Map(rows.map((p) => [p.creditCode!, p.budgetCode]));
  },
  taken: creditCodeTaken,
  repeated: (first) => fieldError("/creditCode", "unique", `与第 ${first} 行的统一社会信用代码重复`, `same credit code as line ${first}`),
};

const STATUSES = ["active", "inactive"] as const;

/**
 * The purchasing units (采购人): a unit's route key is an id, since its budget code may be corrected;
 * the budget code is its accounts' unit code (and first password), so a search matches it only on
 * units whose budget code the caller may read.
 */
export const PURCHASERS: CodedRegistry<Purchaser> = {
  service: "registries.purchasers",
  path: "purchasers",
  subject: "Purchaser",
  model: Purchaser,
  id: { param: "id", field: "id", column: "id", kind: "uuid", parse: (v) => (isUuid(v) ? (v as string) : null) },
  code: { field: "budgetCode", column: "budget_code", label: { "zh-CN": "预算单位编码", en: "budget code" } },
  tenant: { field: "tenantCode", column: "tenant_code" },
  closed: "inactive",
  form: "registries.purchaser",
  what: { "zh-CN": "采购人", en: "purchasing unit" },
  audit: "registries.purchaser",
  fields: purchaserFields,

  view: (p) => ({
    id: p.id,
    name: p.name,
    creditCode: p.creditCode,
    budgetCode: p.budgetCode,
    tenantCode: p.tenantCode,
    unitType: p.unitType,
    contactName: p.contactName,
    contactPhone: p.contactPhone,
    contactEmail: p.contactEmail,
    address: p.address,
    status: p.status,
    version: p.version,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  }),
  check(data): ErrorDetail[] {
    const problem = typeof data.tenantCode === "string" ? tenantProblemAt("/tenantCode", data.tenantCode) : null;
    return problem ? [problem] : [];
  },
  unique: (constraint) =>
    constraint.includes("credit_code") ? creditCodeTaken() : fieldError("/budgetCode", "unique", "该预算单位编码已存在", "a unit with this budget code already exists"),
  search: [
    { column: "budget_code", pattern: /^[0-9][0-9.]{0,39}$/, match: "prefix", hiddenField: "budgetCode" },
    { column: "credit_code", pattern: /^[0-9A-HJ-NPQRTUWXY]{18}$/, match: "exact", upper: true },
  ],
  filters(params) {
    const { tenants, values } = listFilters(params, { status: STATUSES }, "tenantCode");
    return {
      narrow(query: QueryBuilder<Purchaser, Purchaser[]>) {
        if (tenants) query.whereIn("tenant_code", tenants);
        if (values.status) query.where("status", values.status);
      },
      mergeBy: tenants && { column: "tenant_code", values: tenants },
    };
  },
  csv: PURCHASER_CSV,
  keys: [CREDIT_CODE_KEY],
};

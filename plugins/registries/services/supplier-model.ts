import { Model, snakeCaseMappers } from "objection";
import { type ErrorDetail, fieldError } from "../../../core/sdk";
import type { RegistriesSupplier } from "../../../forms/types";
import { creditCodeKeyed, listFilters, type CodedRegistry } from "./coded-registry";
import { columnsOf, readColumns, type CsvLayout } from "./coded-import";
import { tenantProblemAt } from "./registry-rules";

export type SizeClass = RegistriesSupplier["sizeClass"];

/** A supplier (供应商): an enterprise, individual business or other entity that sells to purchasers. */
export class Supplier extends Model {
  static override tableName = "registries_suppliers";
  static override idColumn = "credit_code";
  static override columnNameMappers = snakeCaseMappers();

  creditCode!: string;
  name!: string;
  sizeClass!: SizeClass;
  region!: string;
  contactName!: string | null;
  contactPhone!: string | null;
  contactEmail!: string | null;
  address!: string | null;
  status!: string;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

/** The form's fields, in its order. */
export const SUPPLIER_FIELDS = ["name", "creditCode", "sizeClass", "region", "contactName", "contactPhone", "contactEmail", "address", "status"] as const;

/** How to reach the supplier: what its overseers and the supplier itself see, and what it may keep current itself. */
export const SUPPLIER_CONTACT_FIELDS = ["contactName", "contactPhone", "contactEmail", "address"] as const;

/** What everybody signed in sees of a supplier: award notices name it, and SME rules turn on its size. */
export const PUBLIC_SUPPLIER_FIELDS = ["creditCode", "name", "sizeClass", "sme", "region", "status"] as const;

/** Small and micro enterprises are the ones the SME policies of government procurement favour. */
export const isSme = (sizeClass: string): boolean => sizeClass === "small" || sizeClass === "micro";

const SIZE_CLASSES = ["large", "medium", "small", "micro"] as const;
const STATUSES = ["active", "suspended", "deregistered"] as const;

/** CSV columns → form fields. */
const SUPPLIER_COLUMNS = columnsOf(SUPPLIER_FIELDS);

export const SUPPLIER_CSV: CsvLayout = {
  columns: Object.keys(SUPPLIER_COLUMNS),
  required: ["name", "credit_code", "size_class", "region"],
  read: (values) => readColumns(values, SUPPLIER_COLUMNS, SUPPLIER_CONTACT_FIELDS),
};

/** The suppliers registry (供应商库), keyed by credit code: `/api/registries/suppliers[/:code]`. */
export const SUPPLIERS: CodedRegistry<Supplier> = {
  service: "registries.suppliers",
  path: "suppliers",
  subject: "Supplier",
  model: Supplier,
  ...creditCodeKeyed("region"),
  form: "registries.supplier",
  what: { "zh-CN": "供应商", en: "supplier" },
  audit: "registries.suppliers",
  fields: SUPPLIER_FIELDS,

  view(s) {
    return {
      creditCode: s.creditCode,
      name: s.name,
      sizeClass: s.sizeClass,
      sme: isSme(s.sizeClass),
      region: s.region,
      contactName: s.contactName,
      contactPhone: s.contactPhone,
      contactEmail: s.contactEmail,
      address: s.address,
      status: s.status,
      version: s.version,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  },
  check(data): ErrorDetail[] {
    const problem = typeof data.region === "string" ? tenantProblemAt("/region", data.region) : null;
    return problem ? [problem] : [];
  },
  unique: () => fieldError("/creditCode", "unique", "该统一社会信用代码的供应商已登记", "a supplier with this credit code is already registered"),
  filters(params) {
    const { tenants, values } = listFilters(params, { sizeClass: SIZE_CLASSES, status: STATUSES, sme: ["true", "false"] });
    return {
      narrow(query) {
        if (tenants) query.whereIn("region", tenants);
        if (values.sizeClass) query.where("size_class", values.sizeClass);
        if (values.status) query.where("status", values.status);
        if (values.sme) query.whereIn("size_class", values.sme === "true" ? ["small", "micro"] : ["large", "medium"]);
      },
      mergeBy: tenants && { column: "region", values: tenants },
    };
  },
  csv: SUPPLIER_CSV,
};


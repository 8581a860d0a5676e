import { Model, snakeCaseMappers, type Pojo, type Transaction } from "objection";
import { type ErrorDetail, fieldError } from "../../../core/sdk";
import { creditCodeKeyed, listFilters, nullable, type CodedRegistry, type FormData } from "./coded-registry";
import { columnsOf, readColumns, type CsvLayout, type SecondaryKey } from "./coded-import";
import { tenantProblemAt, todayInChina } from "./registry-rules";

/** A procurement agency (采购代理机构): carries out procurement on purchasers' behalf, where it is listed with a finance department. */
export class Agency extends Model {
  static override tableName = "registries_agencies";
  static override idColumn = "credit_code";
  static override columnNameMappers = snakeCaseMappers();
  // tenants_served is a PostgreSQL text[], not JSON: handed to pg as the array it is.
  static override jsonAttributes: string[] = [];

  creditCode!: string;
  name!: string;
  region!: string;
  tenantsServed!: string[];
  accreditationNumber!: string;
  /** YYYY-MM-DD */
  accreditedOn!: string;
  /** division code of the provincial finance department it is listed with */
  accreditationAuthority!: string;
  contactName!: string | null;
  contactPhone!: string | null;
  contactEmail!: string | null;
  address!: string | null;
  status!: string;
  version!: number;
  createdAt!: Date;
  updatedAt!: Date;

  // pg reads a `date` as a Date at local midnight; the record's date is the calendar day itself.
  override $parseDatabaseJson(json: Pojo): Pojo {
    const out = super.$parseDatabaseJson(json);
    const d = out.accreditedOn;
    if (d instanceof Date) {
      out.accreditedOn = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    }
    return out;
  }
}

/** The form's fields, in its order. */
export const AGENCY_FIELDS = ["name", "creditCode", "region", "tenantsServed", "accreditation", "contactName", "contactPhone", "contactEmail", "address", "status"] as const;

/** How to reach the agency: what its overseers and the agency itself see, and what it may keep current itself. */
export const AGENCY_CONTACT_FIELDS = ["contactName", "contactPhone", "contactEmail", "address"] as const;

/** What everybody signed in sees of an agency: who it is, that it is listed, where it works. */
export const PUBLIC_AGENCY_FIELDS = ["creditCode", "name", "accreditation", "tenantsServed", "status"] as const;

interface Accreditation {
  recordNumber: string;
  registeredOn: string;
  authority: string;
}

/** The tenants served are a set: kept in one order, so that the same tenants in another order are no change. */
const servedSet = (tenants: string[]): string[] => [...tenants].sort();

const STATUSES = ["active", "suspended", "deregistered"] as const;

const recordNumberTaken = () =>
  fieldError("/accreditation/recordNumber", "unique", "该登记机关的这一登记编号已属于另一代理机构", "another agency has this record number from the same department");

/** CSV columns → form fields; the accreditation's three columns and the list of tenants are read apart. */
const AGENCY_COLUMNS = columnsOf(["name", "creditCode", "region", ...AGENCY_CONTACT_FIELDS, "status"]);
const ACCREDITATION_COLUMNS: Record<string, keyof Accreditation> = {
  accreditation_number: "recordNumber",
  accreditation_date: "registeredOn",
  accreditation_authority: "authority",
};

export const AGENCY_CSV: CsvLayout = {
  columns: ["name", "credit_code", "region", "tenants_served", ...Object.keys(ACCREDITATION_COLUMNS), "contact_name", "contact_phone", "contact_email", "address", "status"],
  required: ["name", "credit_code", "region", "tenants_served", ...Object.keys(ACCREDITATION_COLUMNS)],
  read(values) {
    const { data, cleared } = readColumns(values, AGENCY_COLUMNS, AGENCY_CONTACT_FIELDS);
    // Spreadsheets list several tenants in one cell: "441300;441302", "441300、441302", "441300 441302".
    const served = (values.tenants_served ?? "").split(/[;；,，、|\s]+/).filter(Boolean);
    if (served.length) data.tenantsServed = served;
    const accreditation: Record<string, string> = {};
    for (const [column, field] of Object.entries(ACCREDITATION_COLUMNS)) if (values[column]) accreditation[field] = values[column];
    data.accreditation = accreditation;
    return { data, cleared };
  },
};

/** A record number is unique per department: two rows, or a row and another agency, may not share one. */
export const RECORD_NUMBER_KEY: SecondaryKey = {
  of(data) {
    const a = data.accreditation as Partial<Accreditation> | undefined;
    return a?.authority && a.recordNumber ? `${a.authority}/${a.recordNumber}` : null;
  },
  async holders(trx: Transaction, keys: string[]) {
    const pairs = keys.map((k) => [k.slice(0, 6), k.slice(7)]);
    const rows = await Agency.query(trx).select("credit_code", "accreditation_authority", "accreditation_number").whereInComposite(["accreditation_authority", "accreditation_number"], pairs);
    return new Map(rows.map((r) => [`${r.accreditationAuthority}/${r.accreditationNumber}`, r.creditCode]));
  },
  taken: recordNumberTaken,
  repeated: (first) =>
    fieldError("/accreditation/recordNumber", "unique", `与第 ${first} 行的登记编号重复`, `same record number as line ${first}`),
};

/** The agencies registry (代理机构库), keyed by credit code: `/api/registries/agencies[/:code]`. */
export const AGENCIES: CodedRegistry<Agency> = {
  service: "registries.agencies",
  path: "agencies",
  subject: "Agency",
  model: Agency,
  ...creditCodeKeyed("region"),
  form: "registries.agency",
  what: { "zh-CN": "代理机构", en: "agency" },
  audit: "registries.agencies",
  fields: AGENCY_FIELDS,
  toData(row) {
    const data: FormData = {
      name: row.name,
      creditCode: row.creditCode,
      region: row.region,
      tenantsServed: [...row.tenantsServed],
      accreditation: { recordNumber: row.accreditationNumber, registeredOn: row.accreditedOn, authority: row.accreditationAuthority },
      status: row.status,
    };
    for (const f of AGENCY_CONTACT_FIELDS) if (row[f] !== null && row[f] !== undefined) data[f] = row[f];
    return data;
  },
  normalize(data) {
    return Array.isArray(data.tenantsServed) ? { ...data, tenantsServed: servedSet(data.tenantsServed as string[]) } : data;
  },
  toColumns(data) {
    const a = data.accreditation as Accreditation;
    return {
      creditCode: data.creditCode as string,
      name: data.name as string,
      region: data.region as string,
      tenantsServed: servedSet(data.tenantsServed as string[]),
      accreditationNumber: a.recordNumber,
      accreditedOn: a.registeredOn,
      accreditationAuthority: a.authority,
      contactName: nullable(data.contactName),
      contactPhone: nullable(data.contactPhone),
      contactEmail: nullable(data.contactEmail),
      address: nullable(data.address),
      status: (data.status as string | undefined) ?? "active",
    };
  },
  view(a) {
    return {
      creditCode: a.creditCode,
      name: a.name,
      region: a.region,
      tenantsServed: a.tenantsServed,
      accreditation: { recordNumber: a.accreditationNumber, registeredOn: a.accreditedOn, authority: a.accreditationAuthority },
      contactName: a.contactName,
      contactPhone: a.contactPhone,
      contactEmail: a.contactEmail,
      address: a.address,
      status: a.status,
      version: a.version,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    };
  },
  check(data): ErrorDetail[] {
    const problems: ErrorDetail[] = [];
    const region = typeof data.region === "string" ? tenantProblemAt("/region", data.region) : null;
    if (region) problems.push(region);
    if (Array.isArray(data.tenantsServed)) {
      data.tenantsServed.forEach((t, i) => {
        const p = typeof t === "string" ? tenantProblemAt(`/tenantsServed/${i}`, t) : null;
        if (p) problems.push(p);
      });
    }
    const a = (data.accreditation ?? {}) as Partial<Accreditation>;
    // The list of agencies is kept by provincial finance departments (财库〔2018〕2号).
    if (typeof a.authority === "string" && /^[0-9]{2}(?!0000)[0-9]{4}$/.test(a.authority)) {
      problems.push(fieldError("/accreditation/authority", "province", "应为省级财政部门的区划代码（如广东省为 440000）", "must be the division code of a province (440000 for Guangdong)"));
    }
    if (typeof a.registeredOn === "string" && a.registeredOn > todayInChina()) {
      problems.push(fieldError("/accreditation/registeredOn", "past", "登记日期不能晚于今天", "cannot be later than today"));
    }
    return problems;
  },
  unique(constraint) {
    return constraint.includes("accreditation") ? recordNumberTaken() : fieldError("/creditCode", "unique", "该统一社会信用代码的代理机构已登记", "an agency with this credit code is already registered");
  },
  filters(params) {
    const { tenants, values } = listFilters(params, { status: STATUSES });
    return {
      narrow(query) {
        // `tenant`: the agencies that work there, in it or in a tenant below it.
        if (tenants) query.whereRaw("tenants_served && ?::text[]", [tenants]);
        if (values.status) query.where("status", values.status);
      },
    };
  },
  csv: AGENCY_CSV,
  keys: [RECORD_NUMBER_KEY],
};


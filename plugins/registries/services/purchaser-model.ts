import { Model, snakeCaseMappers } from "objection";
import { type AppAbility, visibleFields } from "../../../core/sdk";

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
  createdAt!: string;
  updatedAt!: string;
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

export type PurchaserInput = Partial<Record<(typeof purchaserFields)[number], string>>;

/** What anybody who may read a unit at all sees of it. */
export const PUBLIC_PURCHASER_FIELDS = ["id", "name", "creditCode", "tenantCode", "unitType", "status"] as const;

/**
 * What the purchasing units and agencies of a region see of its units: everything but the budget
 * code, which is the first password of the unit's accounts (only the unit itself and those who
 * oversee the region see it).
 */
export const REGIONAL_PURCHASER_FIELDS = [...PUBLIC_PURCHASER_FIELDS, "contactName", "contactPhone", "contactEmail", "address", "version", "createdAt", "updatedAt"] as const;

export const PURCHASER = { "zh-CN": "采购人", en: "purchasing unit" };

/** A unit as `ability` may see it: fields its rules hide are left out. */
export function toPublic(p: Purchaser, ability: AppAbility) {
  return visibleFields(ability, "read", "Purchaser", p as unknown as Record<string, unknown>, fullView(p));
}

function fullView(p: Purchaser) {
  return {
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
  };
}

import { subject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { buildAbility } from "../../../core/access/ability";
import type { SessionUser } from "../../../core/plugins/types";
import { tenantTree } from "../../../core/tenancy";
import registries from "../../../plugins/registries/plugin";
import { viewFor } from "../../../plugins/registries/services/coded-registry";
import { Supplier, SUPPLIERS, SUPPLIER_FIELDS } from "../../../plugins/registries/services/supplier-model";
import { Agency, AGENCIES, AGENCY_FIELDS } from "../../../plugins/registries/services/agency-model";
import { creditCode } from "../../support/registries";

/**
 * The registries' rules (plugin.ts) for suppliers and agencies, role by role, written out as the
 * specification: who sees which fields of which record, and which fields they may change.
 */
const HUIZHOU_SUPPLIER = creditCode("441302", 1, "91");
const MAOMING_SUPPLIER = creditCode("440902", 2, "91");
const HUIZHOU_ONLY_AGENCY = creditCode("441300", 3, "91");
const TWO_CITIES_AGENCY = creditCode("441300", 4, "91");

const suppliers = {
  huizhou: Supplier.fromJson({ creditCode: HUIZHOU_SUPPLIER, name: "惠州市鹏程办公设备有限公司", sizeClass: "micro", region: "441302", contactName: "黄伟", contactPhone: null, contactEmail: null, address: null, status: "active", version: 1 }),
  maoming: Supplier.fromJson({ creditCode: MAOMING_SUPPLIER, name: "茂名石化配件有限公司", sizeClass: "large", region: "440902", contactName: "李强", contactPhone: null, contactEmail: null, address: null, status: "active", version: 1 }),
};
const agency = (creditCode: string, tenantsServed: string[]) =>
  Agency.fromJson({ creditCode, name: "招标代理有限公司", region: "441300", tenantsServed, accreditationNumber: "粤-1", accreditedOn: "2018-06-01", accreditationAuthority: "440000", contactName: "周敏", contactPhone: null, contactEmail: null, address: null, status: "active", version: 1 });
const agencies = { huizhouOnly: agency(HUIZHOU_ONLY_AGENCY, ["441300"]), twoCities: agency(TWO_CITIES_AGENCY, ["440900", "441300"]) };

const SUPPLIER_PUBLIC = ["creditCode", "name", "region", "sizeClass", "sme", "status"];
const AGENCY_PUBLIC = ["accreditation", "creditCode", "name", "status", "tenantsServed"];
const CONTACTS = ["address", "contactEmail", "contactName", "contactPhone"];

const user = (roles: string[], tenantCode: string, unitCode?: string): SessionUser => ({ id: `u-${roles.join("+")}-${tenantCode}-${unitCode ?? ""}`, username: "u", roles, tenantCode, unitCode });
const abilityOf = (u: SessionUser | null) => buildAbility(u, [registries], tenantTree());

/** "full": every field; "pub": the public fields only. */
type Sight = "full" | "pub";
/** "all": any field; "contacts": the contact fields only; "-": nothing. */
type Change = "all" | "contacts" | "-";

function sight(fields: string[], pub: string[]): Sight {
  const keys = [...fields].sort();
  if (keys.join() === [...pub].sort().join()) return "pub";
  if (CONTACTS.every((f) => keys.includes(f))) return "full";
  throw new Error(`neither public nor full: ${keys.join(",")}`);
}

function change(ability: ReturnType<typeof abilityOf>, type: string, row: object, all: readonly string[]): Change {
  if (!ability.can("update", subject(type, { ...row }))) return "-";
  const fields = permittedFieldsOf(ability, "update", subject(type, { ...row }), { fieldsFrom: (r) => r.fields || [...all] });
  if (all.every((f) => fields.includes(f))) return "all";
  if ([...fields].sort().join() === CONTACTS.join()) return "contacts";
  throw new Error(`unexpected fields: ${fields.join(",")}`);
}

describe("who sees and changes what of suppliers", () => {
  //   caller                                          Huizhou supplier      Maoming supplier
  const TABLE: Array<[string, SessionUser, Sight, Change, Sight, Change]> = [
    ["a purchaser of Huizhou", user(["purchaser"], "441300", "441300001"), "pub", "-", "pub", "-"],
    ["an expert", user(["expert"], "441300"), "pub", "-", "pub", "-"],
    ["a bank", user(["bank"], "440000"), "pub", "-", "pub", "-"],
    ["an agency", user(["agency"], "441300", HUIZHOU_ONLY_AGENCY), "pub", "-", "pub", "-"],
    ["the Huizhou supplier itself", user(["supplier"], "441302", HUIZHOU_SUPPLIER), "full", "contacts", "pub", "-"],
    ["a Huizhou regulator", user(["regulator"], "441300"), "full", "-", "pub", "-"],
    ["a Huicheng (county) regulator", user(["regulator"], "441302"), "full", "-", "pub", "-"],
    ["a Boluo (county) regulator", user(["regulator"], "441322"), "pub", "-", "pub", "-"],
    ["the province's regulator", user(["regulator"], "440000"), "full", "-", "full", "-"],
    ["Huizhou's tenant admin", user(["tenant-admin"], "441300"), "full", "all", "pub", "-"],
    ["Maoming's tenant admin", user(["tenant-admin"], "440900"), "pub", "-", "full", "all"],
    ["a platform admin", user(["platform-admin"], "440000"), "full", "all", "full", "all"],
  ];

  test.each(TABLE)("%s", (_who, u, hSight, hChange, mSight, mChange) => {
    const ability = abilityOf(u);
    const seen = (row: Supplier) => Object.keys(viewFor(SUPPLIERS, row, ability));
    expect([sight(seen(suppliers.huizhou), SUPPLIER_PUBLIC), change(ability, "Supplier", suppliers.huizhou, SUPPLIER_FIELDS)]).toEqual([hSight, hChange]);
    expect([sight(seen(suppliers.maoming), SUPPLIER_PUBLIC), change(ability, "Supplier", suppliers.maoming, SUPPLIER_FIELDS)]).toEqual([mSight, mChange]);
    // Registering and deregistering go with changing everything.
    expect(ability.can("delete", subject("Supplier", { ...suppliers.huizhou }))).toBe(hChange === "all");
    expect(ability.can("create", subject("Supplier", { ...suppliers.maoming }))).toBe(mChange === "all");
  });

  test("a public view says whether the supplier is an SME", () => {
    const view = viewFor(SUPPLIERS, suppliers.huizhou, abilityOf(user(["purchaser"], "441300")));
    expect(view).toEqual({ creditCode: HUIZHOU_SUPPLIER, name: "惠州市鹏程办公设备有限公司", sizeClass: "micro", sme: true, region: "441302", status: "active" });
  });

  test("nobody signed in sees nothing", () => {
    const ability = abilityOf(null);
    expect(ability.can("read", subject("Supplier", { ...suppliers.huizhou }))).toBe(false);
    expect(ability.can("read", subject("Agency", { ...agencies.huizhouOnly }))).toBe(false);
  });

  test("a supplier account's unit code makes nobody but a supplier that supplier", () => {
    const purchaserWithSameCode = abilityOf(user(["purchaser"], "441300", HUIZHOU_SUPPLIER));
    expect(sight(Object.keys(viewFor(SUPPLIERS, suppliers.huizhou, purchaserWithSameCode)), SUPPLIER_PUBLIC)).toBe("pub");
  });
});

describe("who sees and changes what of agencies", () => {
  //   caller                                      Huizhou-only agency   Huizhou agency also serving Maoming
  const TABLE: Array<[string, SessionUser, Sight, Change, Sight, Change]> = [
    ["a purchaser of Maoming", user(["purchaser"], "440900", "440900001"), "pub", "-", "pub", "-"],
    ["a supplier", user(["supplier"], "441302", HUIZHOU_SUPPLIER), "pub", "-", "pub", "-"],
    ["the Huizhou-only agency itself", user(["agency"], "441300", HUIZHOU_ONLY_AGENCY), "full", "contacts", "pub", "-"],
    ["a Huizhou regulator", user(["regulator"], "441300"), "full", "-", "full", "-"],
    ["a Maoming regulator", user(["regulator"], "440900"), "pub", "-", "full", "-"],
    ["Huizhou's tenant admin", user(["tenant-admin"], "441300"), "full", "all", "full", "all"],
    ["Maoming's tenant admin", user(["tenant-admin"], "440900"), "pub", "-", "full", "-"],
    ["the province's tenant admin", user(["tenant-admin"], "440000"), "full", "all", "full", "all"],
  ];

  test.each(TABLE)("%s", (_who, u, aSight, aChange, bSight, bChange) => {
    const ability = abilityOf(u);
    const seen = (row: Agency) => Object.keys(viewFor(AGENCIES, row, ability));
    expect([sight(seen(agencies.huizhouOnly), AGENCY_PUBLIC), change(ability, "Agency", agencies.huizhouOnly, AGENCY_FIELDS)]).toEqual([aSight, aChange]);
    expect([sight(seen(agencies.twoCities), AGENCY_PUBLIC), change(ability, "Agency", agencies.twoCities, AGENCY_FIELDS)]).toEqual([bSight, bChange]);
    expect(ability.can("delete", subject("Agency", { ...agencies.twoCities }))).toBe(bChange === "all");
  });
});

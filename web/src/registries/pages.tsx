/**
 * The base registries (plugins/registries: purchasing units, suppliers, agencies) as one list page,
 * /registries/:registry. The API decides what each caller sees (a purchaser gets suppliers' public
 * fields only): the table shows the columns the answer has, never a column of blanks for hidden ones.
 */
import { useEffect, useState, type FormEvent } from "react";
import { query } from "../api/client";
import type { Page } from "../api/types";
import { useI18n, type MessageKey } from "../i18n";
import { Link, navigate, useRouter, withQuery } from "../router";
import { ListState, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";
import { displayValue } from "../forms/field-catalog";
import { useFormCatalog } from "../forms/form-data";
import { flatten, tenantName, useTenantTree } from "../portal/tenants";

export const REGISTRIES = ["suppliers", "purchasers", "agencies"] as const;
export type RegistryName = (typeof REGISTRIES)[number];

interface RegistryConfig {
  /** the registry's form (its fields' option words) */
  form: string;
  /** the query parameter the API names the tenant filter by */
  tenantParam: string;
  statuses: readonly string[];
  /** every field a list item may have, in the table's order; the ones an answer leaves out are not shown */
  columns: readonly string[];
  /** the registry's own filters beyond q, tenant and status (the API's `listFilters` enums) */
  extra: Record<string, readonly string[]>;
}

// The filters' values are the API's (plugins/registries/services/*-model.ts `filters`): a value it does not know is a 400.
export const REGISTRY_CONFIG: Record<RegistryName, RegistryConfig> = {
  suppliers: {
    form: "registries.supplier",
    tenantParam: "tenant",
    statuses: ["active", "suspended", "deregistered"],
    columns: ["name", "creditCode", "sizeClass", "sme", "region", "contactName", "contactPhone", "contactEmail", "address", "status"],
    extra: { sizeClass: ["large", "medium", "small", "micro"], sme: ["true", "false"] },
  },
  purchasers: {
    form: "registries.purchaser",
    tenantParam: "tenantCode",
    statuses: ["active", "inactive"],
    columns: ["name", "creditCode", "budgetCode", "tenantCode", "unitType", "contactName", "contactPhone", "contactEmail", "address", "status"],
    extra: {},
  },
  agencies: {
    form: "registries.agency",
    tenantParam: "tenant",
    statuses: ["active", "suspended", "deregistered"],
    columns: ["name", "creditCode", "region", "tenantsServed", "accreditation", "contactName", "contactPhone", "contactEmail", "address", "status"],
    extra: {},
  },
};

export const isRegistry = (name: string): name is RegistryName => (REGISTRIES as readonly string[]).includes(name);

/**
 * The filters of the page's address (`q`, `tenant`, `status`, the registry's own) as the API's query:
 * the tenant under the registry's own parameter name, values the registry does not take left out (a
 * supplier filter kept in the address when switching to agencies would otherwise be a 400).
 */
export function registryFilters(registry: RegistryName, address: URLSearchParams): Record<string, string> {
  const config = REGISTRY_CONFIG[registry];
  const out: Record<string, string> = {};
  const q = address.get("q")?.trim();
  if (q) out.q = q;
  const tenant = address.get("tenant");
  if (tenant && /^[0-9]{6}$/.test(tenant)) out[config.tenantParam] = tenant;
  const status = address.get("status");
  if (status && config.statuses.includes(status)) out.status = status;
  for (const [name, allowed] of Object.entries(config.extra)) {
    const v = address.get(name);
    if (v && allowed.includes(v)) out[name] = v;
  }
  return out;
}

/** The list's and the export's paths under /api, with the same filters. */
export function registryPaths(registry: RegistryName, address: URLSearchParams, page: number, pageSize = 20): { list: string; export: string } {
  const filters = registryFilters(registry, address);
  return {
    list: `/registries/${registry}${query({ ...filters, page, pageSize })}`,
    export: `/registries/${registry}/export${query(filters)}`,
  };
}

/** The columns an answer has: a field the caller may not read is absent from every item. */
export function shownColumns(registry: RegistryName, items: Array<Record<string, unknown>>): string[] {
  return REGISTRY_CONFIG[registry].columns.filter((c) => items.some((item) => c in item));
}

type Item = Record<string, unknown>;

export function RegistryPage({ registry }: { registry: string }) {
  const { t } = useI18n();
  if (!isRegistry(registry)) {
    return (
      <div>
        <PageTitle>{t("notFound.title")}</PageTitle>
        <p>
          <Link to="/registries/suppliers">{t("registries.title")}</Link>
        </p>
      </div>
    );
  }
  return <RegistryList key={registry} registry={registry} />;
}

function RegistryList({ registry }: { registry: RegistryName }) {
  const { t, pick, lang } = useI18n();
  const { location } = useRouter();
  const config = REGISTRY_CONFIG[registry];
  const q = location.query.get("q") ?? "";
  const tenant = location.query.get("tenant") ?? "";
  const status = location.query.get("status") ?? "";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const tree = useTenantTree();
  const catalog = useFormCatalog([config.form]);
  const paths = registryPaths(registry, location.query, page);
  const list = useApi<Page<Item>>(paths.list);
  const items = list.data?.items ?? [];
  const columns = shownColumns(registry, items);
  const title = t(`registries.${registry}` as MessageKey);
  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(location, { q: text.trim(), page: null }));
  };
  const filter = (name: string, value: string) => navigate(withQuery(location, { [name]: value, page: null }));
  // the place (region, home region or unit's tenant) and the places served read as the tree names them
  const cell = (field: string, value: unknown): string => {
    if (value === null || value === undefined) return "";
    if (field === "region" || field === "tenantCode") return pick(tenantName(tree.data, String(value)));
    if (field === "tenantsServed" && Array.isArray(value)) return value.map((c) => pick(tenantName(tree.data, String(c)))).join("、");
    if (field === "sme") return t(value ? "common.yes" : "common.no");
    if (field === "accreditation" && typeof value === "object") return accreditationText(value as Item);
    return displayValue(catalog.get(field), value, lang);
  };
  return (
    <div>
      <PageTitle sub={t("registries.sub")}>{title}</PageTitle>
      <nav className="tabs" aria-label={t("registries.title")}>
        {REGISTRIES.map((r) => (
          <Link key={r} to={`/registries/${r}`} aria-current={r === registry ? "page" : undefined}>
            {t(`registries.${r}` as MessageKey)}
          </Link>
        ))}
      </nav>
      <form className="filters" role="search" aria-label={t("registries.filters")} onSubmit={search}>
        <label>
          <span>{t("portal.region")}</span>
          <select value={tenant} onChange={(e) => filter("tenant", e.target.value)}>
            <option value="">{t("portal.allRegions")}</option>
            {flatten(tree.data).map((tn) => (
              <option key={tn.code} value={tn.code}>
                {"\u00a0\u00a0".repeat(tn.depth)}
                {pick(tn.name)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t("registries.status")}</span>
          <select value={status} onChange={(e) => filter("status", e.target.value)}>
            <option value="">{t("registries.allStatuses")}</option>
            {config.statuses.map((s) => (
              <option key={s} value={s}>
                {t(`registries.status.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        {config.extra.sizeClass ? (
          <label>
            <span>{t("registries.col.sizeClass")}</span>
            <select value={location.query.get("sizeClass") ?? ""} onChange={(e) => filter("sizeClass", e.target.value)}>
              <option value="">{t("registries.allSizes")}</option>
              {config.extra.sizeClass.map((s) => (
                <option key={s} value={s}>
                  {t(`registries.size.${s}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {config.extra.sme ? (
          <label>
            <span>{t("registries.col.sme")}</span>
            <select value={location.query.get("sme") ?? ""} onChange={(e) => filter("sme", e.target.value)}>
              <option value="">{t("registries.smeAny")}</option>
              <option value="true">{t("registries.smeOnly")}</option>
              <option value="false">{t("registries.smeNot")}</option>
            </select>
          </label>
        ) : null}
        <label className="grow">
          <span>{t("portal.search")}</span>
          <input type="search" value={text} maxLength={100} onChange={(e) => setText(e.target.value)} placeholder={t(`registries.searchHint.${registry}` as MessageKey)} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("portal.searchButton")}
        </button>
      </form>
      <ExportButtons path={paths.export} fileName={registry} />
      <ListState state={list} empty={t("registries.none")} />
      {items.length ? (
        <>
          <TableWrap label={title}>
            <table className="data-table" data-testid="registry">
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c} scope="col">
                      {t(`registries.col.${c}` as MessageKey)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody aria-busy={list.loading}>
                {items.map((item, i) => (
                  <tr key={String(item.id ?? item.creditCode ?? i)}>
                    {columns.map((c) =>
                      c === "name" ? (
                        <th key={c} scope="row">
                          {cell(c, item[c])}
                        </th>
                      ) : (
                        <td key={c}>{cell(c, item[c])}</td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager page={list.data!.page} pageSize={list.data!.pageSize} total={list.data!.total} totalIsEstimate={list.data!.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
        </>
      ) : null}
    </div>
  );
}

/** An agency's listing with a finance department: its record number and the date it was listed. */
function accreditationText(a: Item): string {
  return [a.recordNumber, a.registeredOn].filter((v) => typeof v === "string" && v).join(" · ");
}

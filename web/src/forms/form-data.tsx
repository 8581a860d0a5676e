/**
 * Submitted data shown as its forms name it (./field-catalog.ts): titles instead of field names,
 * options' words instead of codes, one money format with the amount in words as the form shows it.
 */
import { memo, useMemo, type ReactNode } from "react";
import { api } from "../api/client";
import type { FormDoc, WorkflowDef } from "../api/types";
import { langOfText, useI18n, type MessageKey } from "../i18n";
import { TableWrap } from "../ui/parts";
import { inBatches, useApi } from "../ui/use-api";
import { catalogOf, catalogPath, displayValue, orderedEntries, type Catalog } from "./field-catalog";
import { AttachmentView } from "./file-widget";
import { amountInWords } from "./widgets";

/** Every form a workflow uses: its start form, then its transitions' forms. */
export function workflowForms(wf: WorkflowDef | undefined): string[] {
  if (!wf) return [];
  return [...new Set([wf.start.form, ...wf.transitions.map((t) => t.form)].filter((f): f is string => !!f))];
}

/** The catalog of some forms (GET /api/forms/:id each, public); empty until they are read. */
export function useFormCatalog(formIds: string[]): Catalog {
  const key = formIds.join(",");
  const { data } = useApi<FormDoc[]>(key ? `catalog:${key}` : null, (signal) => inBatches(key.split(","), 4, (id) => api.get<FormDoc>(`/forms/${encodeURIComponent(id)}`, { signal })));
  return useMemo(() => catalogOf(data ?? []), [data]);
}

/** Fields that none of a page's forms has (a hook adds them): the app's own words. */
const OWN_WORDS: Record<string, MessageKey> = {
  projectName: "field.projectName",
  purchaserName: "field.purchaserName",
  supplierName: "field.supplierName",
  publishedAt: "field.publishedAt",
  filedOn: "field.filedOn",
  // the result notice the evaluation publishes (plugins/evaluation: the award)
  winner: "field.winner",
  winningPrice: "field.winningPrice",
  awardedAt: "field.awardedAt",
  // the e-mall's framework notices (plugins/emall: a call-off's award, an open agreement's admission)
  framework: "field.framework",
  unitPrice: "field.unitPrice",
  total: "field.total",
  awardedOn: "field.awardedOn",
  admittedOn: "field.admittedOn",
};

/**
 * Memoized: an instance's data may be a plan of hundreds of lines, and its page re-renders on every
 * choice of a transition; the view changes only with the data, the catalog or the language.
 */
export const FormDataView = memo(function FormDataView({ value, catalog }: { value: Record<string, unknown>; catalog: Catalog }) {
  const { t, lang } = useI18n();
  const label = (segments: string[]) => {
    const path = catalogPath(segments);
    const title = catalog.get(path)?.title;
    const last = segments[segments.length - 1];
    return title ? title[lang] : OWN_WORDS[path] ? t(OWN_WORDS[path]) : last;
  };
  const scalar = (segments: string[], v: unknown, inTable: boolean) => {
    if (v === null || v === undefined || v === "") return <span className="muted">—</span>;
    if (typeof v === "boolean") return <span>{v ? t("common.yes") : t("common.no")}</span>;
    const info = catalog.get(catalogPath(segments));
    // an upload's id means nothing to a reader: its name, type and size, and a link to download it
    if (info?.format === "attachment" && typeof v === "string") return <AttachmentView id={v} />;
    const shown = displayValue(info, v, lang);
    const words = !inTable && typeof v === "string" && info?.format === "money" ? amountInWords(v, lang) : null;
    return (
      <span className={info?.format === "money" ? "money" : undefined} lang={langOfText(lang, shown)}>
        {shown}
        {words && lang === "zh-CN" ? <span className="muted money-words-inline">（{words}）</span> : null}
      </span>
    );
  };
  const render = (segments: string[], v: unknown, inTable = false): ReactNode => {
    if (Array.isArray(v)) {
      if (!v.length) return <span className="muted">—</span>;
      if (v.every((row) => row && typeof row === "object" && !Array.isArray(row))) {
        const at = catalogPath(segments);
        const cols = orderedEntries(catalog, at, Object.fromEntries(v.flatMap((row) => Object.keys(row as object)).map((k) => [k, null]))).map(([k]) => k);
        return (
          <TableWrap label={label(segments)}>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  {cols.map((c) => (
                    <th scope="col" key={c}>
                      {label([...segments, c])}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {v.slice(0, 500).map((row, i) => (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    {cols.map((c) => (
                      <td key={c}>{render([...segments, String(i), c], (row as Record<string, unknown>)[c], true)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        );
      }
      const info = catalog.get(catalogPath(segments));
      return <span>{v.map((x) => (x && typeof x === "object" ? JSON.stringify(x) : displayValue(info, x, lang))).join("、")}</span>;
    }
    if (v && typeof v === "object") {
      return (
        <dl className="data-list">
          {orderedEntries(catalog, catalogPath(segments), v as Record<string, unknown>).map(([k, x]) => (
            <div key={k} className="data-row">
              <dt>{label([...segments, k])}</dt>
              <dd>{render([...segments, k], x)}</dd>
            </div>
          ))}
        </dl>
      );
    }
    return scalar(segments, v, inTable);
  };
  return <>{render([], value)}</>;
});

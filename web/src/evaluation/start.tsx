/**
 * The start of an evaluation (POST /evaluations), for the purchaser or agency that runs an opened tender: the method,
 * the category that bounds the price weight, and a comprehensive method's criteria. The committee is the drawing's.
 */
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { useI18n, type Localized } from "../i18n";
import { navigate } from "../router";
import { ErrorNotice } from "../ui/parts";
import { useApi } from "../ui/use-api";

type Row = { title: string; titleEn: string; max: string };

export function StartEvaluation({ started }: { started: string[] }) {
  const { t, lang } = useI18n();
  const tenders = useApi<{ items: Array<{ id: string; title: string; status: string }> }>("/etrading/tenders?mine=1");
  const [tenderId, setTenderId] = useState("");
  const [method, setMethod] = useState("comprehensive");
  const [category, setCategory] = useState("goods");
  const [priceWeight, setPriceWeight] = useState("30");
  const [criteria, setCriteria] = useState<Row[]>([{ title: "", titleEn: "", max: "" }]);
  const [error, setError] = useState<unknown>(null);
  // an opened tender is evaluated once: the ones already started are not offered again
  const open = tenders.data?.items.filter((x) => x.status === "opened" && !started.includes(x.id)) ?? [];
  const problem = (path: string): Localized | undefined => (error instanceof ApiError ? error.details.find((d) => d.path === path)?.message : undefined);
  const field = (path: string, id: string) => {
    const m = problem(path);
    return {
      attrs: m ? { "aria-invalid": true as const, "aria-describedby": `${id}-problem` } : {},
      note: m ? <span id={`${id}-problem`} className="field-problem">{m[lang]}</span> : null,
    };
  };
  const comprehensive = method === "comprehensive";
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    try {
      const body = {
        tenderId, method, category,
        ...(comprehensive
          ? { priceWeight: Number(priceWeight), criteria: criteria.map((c, i) => ({ id: `c${i + 1}`, title: c.title.trim(), ...(c.titleEn.trim() ? { titleEn: c.titleEn.trim() } : {}), max: Number(c.max) })) }
          : {}),
      };
      const made = await api.post<{ id: string }>("/evaluation/evaluations", body);
      navigate(`/evaluation/evaluations/${made.id}`);
    } catch (err) {
      setError(err);
    }
  };
  if (!tenders.data || !open.length) return null;
  const tender = field("/tenderId", "evaluation-start-tender");
  const weight = field("/priceWeight", "evaluation-start-weight");
  const rows = field("/criteria", "evaluation-start-criteria");
  const categoryField = field("/category", "evaluation-start-category");
  const members = field("/members", "evaluation-start-members");
  return (
    <section className="panel" aria-labelledby="evaluation-start">
      <h2 id="evaluation-start">{t("evaluation.start.title")}</h2>
      <p>{t("evaluation.start.explain")}</p>
      <ErrorNotice error={error} />
      <form onSubmit={(ev) => void submit(ev)}>
        <p>
          <label htmlFor="evaluation-start-tender">{t("evaluation.start.tender")}</label>
          <select id="evaluation-start-tender" value={tenderId} onChange={(ev) => setTenderId(ev.target.value)} required {...tender.attrs}>
            <option value="">{t("evaluation.start.chooseTender")}</option>
            {open.map((x) => <option key={x.id} value={x.id}>{x.title}</option>)}
          </select>
          {tender.note}
          {members.note}
        </p>
        <p>
          <label htmlFor="evaluation-start-method">{t("evaluation.start.method")}</label>
          <select id="evaluation-start-method" value={method} onChange={(ev) => setMethod(ev.target.value)}>
            <option value="comprehensive">{t("evaluation.start.comprehensive")}</option>
            <option value="lowest-price">{t("evaluation.start.lowestPrice")}</option>
          </select>
        </p>
        <p>
          <label htmlFor="evaluation-start-category">{t("evaluation.start.category")}</label>
          <select id="evaluation-start-category" value={category} onChange={(ev) => setCategory(ev.target.value)} {...categoryField.attrs}>
            <option value="goods">{t("evaluation.start.goods")}</option>
            <option value="services">{t("evaluation.start.services")}</option>
          </select>
          {categoryField.note}
        </p>
        {comprehensive ? (
          <>
            <p>
              <label htmlFor="evaluation-start-weight">{t("evaluation.start.priceWeight")}</label>
              <input id="evaluation-start-weight" type="number" min={0} max={100} step={1} inputMode="numeric" value={priceWeight} onChange={(ev) => setPriceWeight(ev.target.value)} required {...weight.attrs} />
              {weight.note}
            </p>
            <fieldset {...rows.attrs}>
              <legend>{t("evaluation.start.criteria")}</legend>
              {rows.note}
              {criteria.map((c, i) => {
                const set = (change: Partial<Row>) => setCriteria(criteria.map((x, k) => (k === i ? { ...x, ...change } : x)));
                return (
                  <p key={i}>
                    <label htmlFor={`evaluation-start-c${i}-title`}>{t("evaluation.start.criterionTitle", { n: i + 1 })}</label>
                    <input id={`evaluation-start-c${i}-title`} value={c.title} maxLength={200} onChange={(ev) => set({ title: ev.target.value })} required />
                    <label htmlFor={`evaluation-start-c${i}-en`}>{t("evaluation.start.criterionTitleEn", { n: i + 1 })}</label>
                    <input id={`evaluation-start-c${i}-en`} value={c.titleEn} maxLength={200} lang="en" onChange={(ev) => set({ titleEn: ev.target.value })} />
                    <label htmlFor={`evaluation-start-c${i}-max`}>{t("evaluation.start.criterionMax", { n: i + 1 })}</label>
                    <input id={`evaluation-start-c${i}-max`} type="number" min={1} max={100} step="0.01" inputMode="decimal" value={c.max} onChange={(ev) => set({ max: ev.target.value })} required />
                    {criteria.length > 1 ? (
                      <button type="button" className="btn" onClick={() => setCriteria(criteria.filter((_, k) => k !== i))}>{t("evaluation.start.removeCriterion", { n: i + 1 })}</button>
                    ) : null}
                  </p>
                );
              })}
              <p><button type="button" className="btn" onClick={() => setCriteria([...criteria, { title: "", titleEn: "", max: "" }])}>{t("evaluation.start.addCriterion")}</button></p>
            </fieldset>
          </>
        ) : null}
        <p><button type="submit" className="btn btn-primary">{t("evaluation.start.submit")}</button></p>
      </form>
    </section>
  );
}

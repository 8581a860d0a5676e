/**
 * The review experts registry (评审专家库): the expert's own profile with calendar, declarations and
 * invitations; the regulator's admission list; the drawings, each with its committed hash, status
 * and counts (names for the regulator only, experts.namesConfidential) and the regulator's
 * recomputation of the draw.
 */
import { useState, type FormEvent } from "react";
import { api, ApiError, query } from "../api/client";
import { chinaDateTime, useI18n, type MessageKey } from "../i18n";
import { Link, useRouter, withQuery } from "../router";
import { Badge, Empty, ErrorNotice, ListState, Loading, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { CursorPager } from "../ui/cursor-pager";
import { ExportButtons } from "../ui/export-button";
import type { Page } from "../api/types";

type L = { "zh-CN": string; en: string };
type Stats = { drawings: number; attendances: number; refusals: number };
interface Invitation { id: string; status: string; tenderId: string; slotDate: string; slot: string; invitedAt: string; replyBy: string; answeredAt: string | null }
interface Me {
  id: string; instanceId: string; name: string; employerName: string; titles: string[]; specialities: string[]; region: string; availability: string;
  status: string; statusText: L; statusReason: string | null; unavailable: string[];
  ties: Array<{ id: string; companyCode: string; companyName: string; kind: string; since: string; until: string | null }>;
  stats: Stats & { year: number }; invitations: Invitation[];
}
interface Listed { id: string; instanceId: string; name: string; employerName: string; specialities: string[]; region: string; status: string; statusText: L; statusReason: string | null; stats: Stats }
interface DrawingListed { id: string; instanceId: string; tenderId: string; experts: number; slotDate: string; slot: string; status: string; seedHash: string; counts: Record<string, number> }
interface Drawing {
  id: string; instanceId: string; tenderId: string; committeeSize: number; experts: number; specialities: string[]; region: string; slotDate: string; slot: string; status: string;
  committedAt: string; drawnAt: string | null; seedHash: string; seed: string | null; entropy: string | null; eligibleHash: string | null; eligibleCount: number | null;
  counts: Record<string, number>; replyMinutes: number;
  seats?: Array<{ status: string; invitedAt: string; replyBy: string }>;
  invitations?: Array<{ id: string; position: number; status: string; name: string; employerName: string; invitedAt: string; replyBy: string; answeredAt: string | null; reason: string | null }>;
}
interface Verification { verified: boolean; checks: Record<string, boolean>; seed: string; entropy: string; eligibleCount: number }

const TONE: Record<string, "neutral" | "info" | "ok" | "warn" | "danger"> = {
  applied: "info", admitted: "ok", suspended: "warn", rejected: "danger", removed: "danger",
  invited: "info", accepted: "ok", declined: "warn", lapsed: "warn", withdrawn: "neutral", skipped: "neutral",
  committed: "info", inviting: "info", complete: "ok", cancelled: "neutral",
};

function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status] ?? "neutral"}>{t(`experts.status.${status}` as MessageKey)}</Badge>;
}

/** /experts/me: the signed-in expert's record; an account that has not applied is shown the way to. */
export function ExpertProfilePage() {
  const { t, pick } = useI18n();
  const me = useApi<Me>("/experts/me");
  const [day, setDay] = useState("");
  const [tie, setTie] = useState({ companyCode: "", companyName: "", kind: "employment", since: "", until: "" });
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");

  async function act(fn: () => Promise<unknown>, message: string) {
    setError(null);
    setDone("");
    try {
      await fn();
      setDone(message);
      me.reload();
    } catch (err) {
      setError(err);
    }
  }

  const notApplied = me.error instanceof ApiError && me.error.status === 404;
  if (notApplied) {
    return (
      <div>
        <PageTitle sub={t("experts.me.sub")}>{t("experts.me.title")}</PageTitle>
        <section className="panel">
          <p>{t("experts.me.notApplied")}</p>
          <Link className="btn btn-primary" to="/start/experts.application">{t("experts.me.apply")}</Link>
        </section>
      </div>
    );
  }
  const m = me.data;
  return (
    <div>
      <PageTitle sub={t("experts.me.sub")}>{t("experts.me.title")}</PageTitle>
      {me.loading && !m ? <Loading /> : null}
      {!notApplied ? <ErrorNotice error={me.error} /> : null}
      <ErrorNotice error={error} />
      {done ? <p className="notice notice-ok" role="status">{done}</p> : null}
      {m ? (
        <>
          <section className="panel" aria-labelledby="experts-me-profile">
            <h2 id="experts-me-profile">{m.name}</h2>
            <dl className="facts">
              <dt>{t("experts.field.status")}</dt>
              <dd><StatusBadge status={m.status} /> {m.statusReason ? <span>（{m.statusReason}）</span> : null}</dd>
              <dt>{t("experts.field.employer")}</dt>
              <dd>{m.employerName}</dd>
              <dt>{t("experts.field.titles")}</dt>
              <dd>{m.titles.join("、")}</dd>
              <dt>{t("experts.field.specialities")}</dt>
              <dd>{m.specialities.join("、")}</dd>
              <dt>{t("experts.field.region")}</dt>
              <dd>{m.region}</dd>
              <dt>{t("experts.stats.title", { year: m.stats.year })}</dt>
              <dd>{t("experts.stats.line", { drawings: m.stats.drawings, attendances: m.stats.attendances, refusals: m.stats.refusals })}</dd>
            </dl>
            <p><Link to={`/instances/${m.instanceId}`}>{t("experts.me.record")}</Link> · <span>{pick(m.statusText)}</span></p>
          </section>

          <section className="panel" aria-labelledby="experts-me-invitations">
            <h2 id="experts-me-invitations">{t("experts.me.invitations")}</h2>
            {m.invitations.length ? (
              <ul className="notice-list">
                {m.invitations.map((i) => (
                  <li key={i.id}>
                    <p>
                      <StatusBadge status={i.status} /> {t("experts.invitation.slot", { date: i.slotDate, slot: t(`experts.slot.${i.slot}` as MessageKey) })}
                      {" · "}{t("experts.invitation.replyBy", { time: chinaDateTime(i.replyBy) })}
                    </p>
                    {i.status === "invited" ? (
                      <form className="filters" onSubmit={(e: FormEvent) => { e.preventDefault(); void act(() => api.post(`/experts/invitations/${i.id}/decline`, { reason: reasons[i.id] ?? "" }), t("experts.invitation.declined")); }}>
                        <button type="button" className="btn btn-primary" onClick={() => void act(() => api.post(`/experts/invitations/${i.id}/accept`), t("experts.invitation.accepted"))}>{t("experts.invitation.accept")}</button>
                        <label>
                          {t("experts.invitation.reason")}
                          <input value={reasons[i.id] ?? ""} onChange={(e) => setReasons({ ...reasons, [i.id]: e.target.value })} />
                        </label>
                        <button type="submit" className="btn">{t("experts.invitation.decline")}</button>
                      </form>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : <Empty>{t("experts.me.noInvitations")}</Empty>}
          </section>

          <section className="panel" aria-labelledby="experts-me-calendar">
            <h2 id="experts-me-calendar">{t("experts.me.calendar")}</h2>
            <p className="hint">{t("experts.me.calendarHint")}</p>
            {m.unavailable.length ? (
              <ul>
                {m.unavailable.map((d) => (
                  <li key={d}>
                    {d}{" "}
                    <button type="button" className="btn" aria-label={t("experts.me.removeDay", { date: d })} onClick={() => void act(() => api.put("/experts/me/unavailable", { days: m.unavailable.filter((x) => x !== d) }), t("experts.me.saved"))}>
                      {t("experts.me.remove")}
                    </button>
                  </li>
                ))}
              </ul>
            ) : <Empty>{t("experts.me.noDays")}</Empty>}
            <form className="filters" onSubmit={(e: FormEvent) => { e.preventDefault(); if (day) void act(() => api.put("/experts/me/unavailable", { days: [...m.unavailable, day] }), t("experts.me.saved")); }}>
              <label>
                {t("experts.me.day")}
                <input type="date" required value={day} onChange={(e) => setDay(e.target.value)} />
              </label>
              <button type="submit" className="btn">{t("experts.me.addDay")}</button>
            </form>
          </section>

          <section className="panel" aria-labelledby="experts-me-ties">
            <h2 id="experts-me-ties">{t("experts.me.ties")}</h2>
            <p className="hint">{t("experts.me.tiesHint")}</p>
            {m.ties.length ? (
              <TableWrap label={t("experts.me.ties")}>
                <table>
                  <caption>{t("experts.me.ties")}</caption>
                  <thead><tr><th scope="col">{t("experts.tie.company")}</th><th scope="col">{t("experts.tie.kind")}</th><th scope="col">{t("experts.tie.period")}</th></tr></thead>
                  <tbody>
                    {m.ties.map((x) => (
                      <tr key={x.id}><td>{x.companyName}（{x.companyCode}）</td><td>{t(`experts.tie.kind.${x.kind}` as MessageKey)}</td><td>{x.since} – {x.until ?? t("experts.tie.ongoing")}</td></tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            ) : <Empty>{t("experts.me.noTies")}</Empty>}
            <form onSubmit={(e: FormEvent) => { e.preventDefault(); void act(() => api.post("/experts/me/ties", { ...tie, until: tie.until || undefined }), t("experts.me.saved")); }}>
              <label>
                {t("experts.tie.companyCode")}
                <input required value={tie.companyCode} onChange={(e) => setTie({ ...tie, companyCode: e.target.value })} />
              </label>
              <label>
                {t("experts.tie.companyName")}
                <input required value={tie.companyName} onChange={(e) => setTie({ ...tie, companyName: e.target.value })} />
              </label>
              <label>
                {t("experts.tie.kind")}
                <select value={tie.kind} onChange={(e) => setTie({ ...tie, kind: e.target.value })}>
                  {["employment", "shareholding", "management", "other"].map((k) => <option key={k} value={k}>{t(`experts.tie.kind.${k}` as MessageKey)}</option>)}
                </select>
              </label>
              <label>
                {t("experts.tie.since")}
                <input type="date" required value={tie.since} onChange={(e) => setTie({ ...tie, since: e.target.value })} />
              </label>
              <label>
                {t("experts.tie.until")}
                <input type="date" value={tie.until} onChange={(e) => setTie({ ...tie, until: e.target.value })} />
              </label>
              <button type="submit" className="btn">{t("experts.tie.declare")}</button>
            </form>
          </section>
        </>
      ) : null}
    </div>
  );
}

const STATUSES = ["applied", "admitted", "suspended", "rejected", "removed"];

/** /experts/admission: the regulator's list of its region's experts, by status, with the year's figures. */
export function ExpertAdmissionPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const status = location.query.get("status") ?? "applied";
  const cursor = location.query.get("cursor") ?? "";
  const list = useApi<Page<Listed> & { year: number }>(`/experts/list${query({ status, cursor })}`);
  return (
    <div>
      <PageTitle sub={t("experts.admission.sub")}>{t("experts.admission.title")}</PageTitle>
      <nav className="filters" aria-label={t("experts.admission.filter")}>
        {STATUSES.map((s) => (
          <Link key={s} to={withQuery(location, { status: s, cursor: null })} aria-current={s === status ? "page" : undefined} className="btn">{t(`experts.status.${s}` as MessageKey)}</Link>
        ))}
      </nav>
      <ExportButtons path={`/experts/list/export${query({ status })}`} fileName="experts" />
      <ListState state={list} empty={t("experts.admission.empty")} />
      {list.data?.items.length ? (
        <TableWrap label={t("experts.admission.title")}>
          <table>
            <caption>{t("experts.admission.caption", { year: list.data.year })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("experts.field.name")}</th><th scope="col">{t("experts.field.employer")}</th><th scope="col">{t("experts.field.specialities")}</th>
                <th scope="col">{t("experts.field.status")}</th><th scope="col">{t("experts.stats.short")}</th><th scope="col">{t("experts.admission.act")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.id}>
                  <th scope="row">{e.name}</th>
                  <td>{e.employerName}</td>
                  <td>{e.specialities.join("、")}</td>
                  <td><StatusBadge status={e.status} />{e.statusReason ? <span>（{e.statusReason}）</span> : null}</td>
                  <td>{t("experts.stats.line", { drawings: e.stats.drawings, attendances: e.stats.attendances, refusals: e.stats.refusals })}</td>
                  <td><Link to={`/instances/${e.instanceId}`} aria-label={t("experts.admission.openFor", { name: e.name })}>{t("experts.admission.open")}</Link></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {list.data?.items.length ? <CursorPager total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} nextCursor={list.data.nextCursor} /> : null}
    </div>
  );
}

/** /experts/drawings: the unit's drawings (agency, purchaser) or the region's (regulator). */
export function DrawingsPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const cursor = location.query.get("cursor") ?? "";
  const list = useApi<Page<DrawingListed>>(`/experts/drawings${query({ cursor })}`);
  return (
    <div>
      <PageTitle sub={t("experts.drawings.sub")}>{t("experts.drawings.title")}</PageTitle>
      <p><Link className="btn btn-primary" to="/start/experts.drawing">{t("experts.drawings.new")}</Link></p>
      <ExportButtons path="/experts/drawings/export" fileName="expert-drawings" />
      <ListState state={list} empty={t("experts.drawings.empty")} />
      {list.data?.items.length ? (
        <ul className="notice-list">
          {list.data.items.map((d) => (
            <li key={d.id}>
              <Link to={`/experts/drawings/${d.id}`}>{t("experts.drawing.heading", { date: d.slotDate, slot: t(`experts.slot.${d.slot}` as MessageKey), n: d.experts })}</Link>{" "}
              <StatusBadge status={d.status} />{" "}
              <span>{t("experts.drawing.countsLine", { accepted: d.counts.accepted ?? 0, invited: d.counts.invited ?? 0 })}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {list.data?.items.length ? <CursorPager total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} nextCursor={list.data.nextCursor} /> : null}
    </div>
  );
}

/** /experts/drawings/:id: the commitment, the status and counts; names and the recomputation for the regulator. */
export function DrawingPage({ id }: { id: string }) {
  const { t } = useI18n();
  const d = useApi<Drawing>(`/experts/drawings/${encodeURIComponent(id)}`);
  const [check, setCheck] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function verify() {
    setError(null);
    try {
      setCheck(await api.post<Verification>(`/experts/drawings/${encodeURIComponent(id)}/verify`));
    } catch (err) {
      setError(err);
    }
  }
  const v = d.data;
  return (
    <div>
      <PageTitle sub={t("experts.drawing.sub")}>{v ? t("experts.drawing.heading", { date: v.slotDate, slot: t(`experts.slot.${v.slot}` as MessageKey), n: v.experts }) : t("experts.drawings.title")}</PageTitle>
      {d.loading && !v ? <Loading /> : null}
      <ErrorNotice error={d.error} />
      {v ? (
        <>
          <section className="panel" aria-labelledby="drawing-commitment">
            <h2 id="drawing-commitment">{t("experts.drawing.commitment")}</h2>
            <dl className="facts">
              <dt>{t("experts.field.status")}</dt>
              <dd><StatusBadge status={v.status} /></dd>
              <dt>{t("experts.drawing.committee")}</dt>
              <dd>{t("experts.drawing.committeeLine", { size: v.committeeSize, experts: v.experts })}</dd>
              <dt>{t("experts.drawing.seedHash")}</dt>
              <dd><code className="hash">{v.seedHash}</code></dd>
              <dt>{t("experts.drawing.committedAt")}</dt>
              <dd>{chinaDateTime(v.committedAt)}</dd>
              <dt>{t("experts.drawing.seed")}</dt>
              <dd>{v.seed ? <code className="hash">{v.seed}</code> : t("experts.drawing.seedHidden")}</dd>
              <dt>{t("experts.drawing.entropy")}</dt>
              <dd>{v.entropy ? <code className="hash">{v.entropy}</code> : "—"}</dd>
              <dt>{t("experts.drawing.eligible")}</dt>
              <dd>{v.eligibleCount ?? "—"}{v.eligibleHash ? <> · <code className="hash">{v.eligibleHash}</code></> : null}</dd>
            </dl>
            <p>{v.status === "committed" || v.status === "inviting" ? <Link to={`/instances/${v.instanceId}`}>{t("experts.drawing.steps")}</Link> : null}</p>
          </section>

          <section className="panel" aria-labelledby="drawing-counts">
            <h2 id="drawing-counts">{t("experts.drawing.counts")}</h2>
            <p>{t("experts.drawing.countsFull", { invited: v.counts.invited ?? 0, accepted: v.counts.accepted ?? 0, declined: v.counts.declined ?? 0, lapsed: v.counts.lapsed ?? 0, minutes: v.replyMinutes })}</p>
            {v.invitations ? (
              <TableWrap label={t("experts.drawing.names")}>
                <table>
                  <caption>{t("experts.drawing.names")}</caption>
                  <thead><tr><th scope="col">{t("experts.drawing.position")}</th><th scope="col">{t("experts.field.name")}</th><th scope="col">{t("experts.field.employer")}</th><th scope="col">{t("experts.field.status")}</th><th scope="col">{t("experts.invitation.reason")}</th></tr></thead>
                  <tbody>
                    {v.invitations.map((i) => (
                      <tr key={i.id}><td>{i.position + 1}</td><th scope="row">{i.name}</th><td>{i.employerName}</td><td><StatusBadge status={i.status} /></td><td>{i.reason ?? ""}</td></tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            ) : v.seats?.length ? (
              <ul>
                {v.seats.map((s, k) => <li key={k}>{t("experts.drawing.seat", { n: k + 1 })} <StatusBadge status={s.status} /></li>)}
              </ul>
            ) : <Empty>{t("experts.drawing.noSeats")}</Empty>}
            {v.seats ? <p className="hint">{t("experts.drawing.confidential")}</p> : null}
          </section>

          {v.invitations ? (
            <section className="panel" aria-labelledby="drawing-verify">
              <h2 id="drawing-verify">{t("experts.verify.title")}</h2>
              <p className="hint">{t("experts.verify.hint")}</p>
              <button type="button" className="btn btn-primary" onClick={() => void verify()} disabled={!v.drawnAt}>{t("experts.verify.button")}</button>
              <ErrorNotice error={error} />
              {check ? (
                <div role="status" aria-live="polite">
                  <p><Badge tone={check.verified ? "ok" : "danger"}>{t(check.verified ? "experts.verify.ok" : "experts.verify.failed")}</Badge></p>
                  <ul>
                    {Object.entries(check.checks).map(([k, ok]) => <li key={k}>{ok ? "✔" : "✘"} {t(`experts.verify.check.${k}` as MessageKey)}</li>)}
                  </ul>
                </div>
              ) : null}
            </section>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import type { Page } from "../api/types";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Link, useRouter, withQuery } from "../router";
import { Badge, ErrorNotice, Loading, PageTitle, TableWrap } from "../ui/parts";
import { CursorPager } from "../ui/cursor-pager";
import { ExportButtons } from "../ui/export-button";

interface Ticket {
  id: string;
  subject: string;
  category: string;
  priority: string;
  state: string;
  firstResponseDue: string;
  resolutionDue: string;
  firstResponseAt: string | null;
  escalatedAt: string | null;
  rating: number | null;
  as?: "user" | "agent";
  messages?: { id: number; author: string; text: string; at: string }[];
}

const stateKey = (s: string) => `helpdesk.tickets.state.${s}` as MessageKey;
const when = (iso: string) => new Date(iso).toLocaleString();

/** /helpdesk/tickets: the user's tickets (staff: ?scope=region, their region's). */
export function TicketsPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const scope = location.query.get("scope") === "region" ? "region" : "mine";
  const cursor = location.query.get("cursor") ?? "";
  const [list, setList] = useState<Page<Ticket> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setList(null);
    api.get<Page<Ticket>>(`/helpdesk/tickets${query({ scope, cursor })}`).then(setList, setError);
  }, [scope, cursor]);
  const items = list?.items ?? null;
  const staff = snap.state?.user.roles.some((r) => r === "helpdesk-agent" || r === "tenant-admin");
  return (
    <div>
      <PageTitle>{scope === "region" ? t("helpdesk.tickets.region") : t("helpdesk.tickets.title")}</PageTitle>
      {staff ? (
        <p>
          <Link to={withQuery(location, { scope: scope === "region" ? null : "region", cursor: null })}>{scope === "region" ? t("helpdesk.tickets.title") : t("helpdesk.tickets.region")}</Link>
        </p>
      ) : null}
      <ExportButtons path={`/helpdesk/tickets/export${query({ scope })}`} fileName="tickets" />
      {error ? <ErrorNotice error={error} /> : null}
      {!items && !error ? <Loading /> : null}
      {items && !items.length ? <p role="status">{t("helpdesk.tickets.none")}</p> : null}
      {items?.length ? (
        <TableWrap label={t("helpdesk.tickets.title")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("helpdesk.tickets.subject")}</th>
                <th scope="col">{t("helpdesk.tickets.category")}</th>
                <th scope="col">{t("helpdesk.tickets.state")}</th>
                <th scope="col">{t("helpdesk.tickets.firstDue")}</th>
                <th scope="col">{t("helpdesk.tickets.resolutionDue")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={x.id}>
                  <td>
                    <Link to={`/helpdesk/tickets/${x.id}`}>{x.subject}</Link>
                  </td>
                  <td>{x.category}</td>
                  <td>
                    <StateBadge state={x.state} />
                  </td>
                  <td>{when(x.firstResponseDue)}</td>
                  <td>{when(x.resolutionDue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {list?.items.length ? <CursorPager total={list.total} totalIsEstimate={list.totalIsEstimate} nextCursor={list.nextCursor} /> : null}
    </div>
  );
}

function StateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  return <Badge tone={state === "escalated" || state === "overdue" ? "danger" : state === "resolved" ? "ok" : state === "answered" ? "info" : "warn"}>{t(stateKey(state))}</Badge>;
}

/** /helpdesk/tickets/:id: the ticket and its conversation; the requester adds to it and rates it. */
export function TicketPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [text, setText] = useState("");
  const textId = useId();
  const reload = useCallback(() => api.get<Ticket>(`/helpdesk/tickets/${id}`).then(setTicket, setError), [id]);
  useEffect(() => void reload(), [reload]);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post(`/helpdesk/tickets/${id}/messages`, { text });
      setText("");
      setError(null);
      await reload();
    } catch (err) {
      setError(err);
    }
  };
  if (!ticket) return error ? <ErrorNotice error={error} /> : <Loading />;
  return (
    <div>
      <PageTitle sub={<StateBadge state={ticket.state} />}>{ticket.subject}</PageTitle>
      <dl className="meta-list">
        <dt>{t("helpdesk.tickets.category")}</dt>
        <dd>{ticket.category}</dd>
        <dt>{t("helpdesk.tickets.firstDue")}</dt>
        <dd>{when(ticket.firstResponseDue)}</dd>
        <dt>{t("helpdesk.tickets.resolutionDue")}</dt>
        <dd>{when(ticket.resolutionDue)}</dd>
        {ticket.escalatedAt ? (
          <>
            <dt>{t("helpdesk.tickets.escalated")}</dt>
            <dd>{when(ticket.escalatedAt)}</dd>
          </>
        ) : null}
      </dl>
      {ticket.as === "agent" ? (
        <p>
          <Link to={`/instances/${id}`}>{t("helpdesk.tickets.handle")}</Link>
        </p>
      ) : null}
      <h2>{t("helpdesk.tickets.conversation")}</h2>
      <ul className="helpdesk-messages">
        {ticket.messages?.map((m) => (
          <li key={m.id} className={`helpdesk-msg helpdesk-msg-${m.author}`}>
            <strong>{m.author === "agent" ? `${t("helpdesk.live.agent")}：` : t("helpdesk.you")}</strong> <span className="helpdesk-text">{m.text}</span> <small>{when(m.at)}</small>
          </li>
        ))}
      </ul>
      {error ? <ErrorNotice error={error} /> : null}
      {ticket.as === "user" && ticket.state !== "resolved" ? (
        <form onSubmit={(e) => void add(e)} className="helpdesk-form">
          <label htmlFor={textId}>{t("helpdesk.tickets.add")}</label>
          <textarea id={textId} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="btn">
            {t("helpdesk.tickets.send")}
          </button>
        </form>
      ) : null}
      {ticket.as === "user" && ticket.state === "resolved" ? (
        ticket.rating ? (
          <p role="status">{t("helpdesk.live.rated")}</p>
        ) : (
          <fieldset className="helpdesk-rating">
            <legend>{t("helpdesk.live.rate")}</legend>
            {[1, 2, 3, 4, 5].map((n) => (
              <button key={n} type="button" onClick={() => void api.post(`/helpdesk/tickets/${id}/rating`, { rating: n }).then(reload, setError)}>
                {t("helpdesk.live.stars", { n })}
              </button>
            ))}
          </fieldset>
        )
      ) : null}
    </div>
  );
}

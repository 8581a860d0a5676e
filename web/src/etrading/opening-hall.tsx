/**
 * The live remote opening hall (远程开标) of one tender (plugins/etrading/README.md, "Opening hall"):
 * who is present, the bidder list with deposits, the decryption window, each share handed in and
 * bid opened, the record and what it leaves the tender with. The page reads the hall's state by GET
 * and joins its socket room (core/gateway README, "Plugin rooms") for what comes next; each
 * announcement is read out through a polite live region. A bidder whose tender has the bidder-key
 * option opens its own bid here, in this browser.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { io } from "socket.io-client";
import { unwrapBidderKey, type WrappedKey } from "../../../plugins/etrading/sealed";
import { bidderKeyName } from "./bidder-key";
import { api, ApiError } from "../api/client";
import { session } from "../auth/session";
import { chinaDateTime, currentLang, Data, useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Badge, ErrorNotice, Loading, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { Link } from "../router";

type Localized = { "zh-CN": string; en: string };

interface HallEvent {
  id: number;
  kind: string;
  data: Record<string, unknown>;
  at: string;
}

interface Present {
  accountId: string;
  role: string;
  name: string;
}

interface RecordBid {
  bidId: string;
  supplierCode: string;
  supplierName: string;
  receivedAt: string;
  outcome: string;
  outcomeText: Localized;
  price: string | null;
  tampered: boolean;
}

interface Outcome {
  state: string;
  rule: string;
  validBids: number;
  method: string | null;
  text: Localized;
}

interface Hall {
  tenderId: string;
  title: string | null;
  deadline: string;
  serverTime: string;
  me: { roles: string[]; custodians: string[]; supplierCode: string | null; bidId: string | null; outcome: string | null };
  selfDecryption: boolean;
  window: { startsAt: string; endsAt: string; closedAt: string | null } | null;
  present: Present[];
  record: { closed: boolean; bids: RecordBid[]; validBids: number; minBidders: number };
  outcome: Outcome | null;
  events: HallEvent[];
}

interface BidderRow {
  supplierCode: string;
  supplierName: string;
  security: { handled: boolean; kind?: string; status?: string; amount?: string | null };
}

const ROLE_KEY: Record<string, MessageKey> = { host: "hall.role.host", custodian: "hall.role.custodian", regulator: "hall.role.regulator", bidder: "hall.role.bidder" };
const SECURITY_KEY: Record<string, MessageKey> = { received: "hall.security.received", missing: "hall.security.missing", invalid: "hall.security.invalid" };


export function OpeningHallPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const path = `/etrading/tenders/${encodeURIComponent(id)}`;
  const hall = useApi<Hall>(`${path}/hall`);
  const [events, setEvents] = useState<HallEvent[]>([]);
  const [present, setPresent] = useState<Present[]>([]);
  const [announced, setAnnounced] = useState("");
  const [connected, setConnected] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [minutes, setMinutes] = useState("30");
  const [privateKey, setPrivateKey] = useState(() => localStorage.getItem(bidderKeyName(id)) ?? "");
  const [reason, setReason] = useState("");
  const reload = useRef(hall.reload);
  reload.current = hall.reload;
  const say = useRef<(e: HallEvent) => string>(() => "");

  // what the GET answered is the base; live events after it are added, each once
  useEffect(() => {
    if (!hall.data) return;
    setEvents((live) => {
      const byId = new Map(hall.data!.events.map((e) => [e.id, e]));
      for (const e of live) byId.set(e.id, e);
      return [...byId.values()].sort((a, b) => a.id - b.id);
    });
    setPresent(hall.data.present);
  }, [hall.data]);

  useEffect(() => {
    const socket = io({
      path: "/socket.io/",
      transports: ["websocket", "polling"],
      forceNew: true,
      auth: (cb) => void session.token().then((token) => cb({ token, lang: currentLang() })),
    });
    socket.on("connect", () => {
      setConnected(true);
      socket.emit("join", { action: "etrading.hall.join", params: { id } }, (answer: { error?: { code: string; message: string } }) => {
        // the GET already says why a stranger or an early visitor cannot enter; this is for a refusal only the socket meets
        if (answer?.error) setFailure(new ApiError(403, answer.error.code, answer.error.message));
        // a reconnection may have missed announcements: read the state again
        else reload.current();
      });
    });
    socket.on("disconnect", () => setConnected(false));
    // changes only: who came, who went (the GET gives the whole list)
    socket.on("presence", (p: { joined: Present[]; left: string[] }) =>
      setPresent((list) => {
        const gone = new Set([...p.left, ...p.joined.map((j) => j.accountId)]);
        return [...list.filter((x) => !gone.has(x.accountId)), ...p.joined];
      }),
    );
    socket.on("hall", (e: HallEvent) => {
      setEvents((list) => (list.some((x) => x.id === e.id) ? list : [...list, e]));
      setAnnounced(say.current(e));
      if (["opened", "tampered", "record", "outcome", "window", "window-closed"].includes(e.kind)) reload.current();
    });
    return () => {
      socket.close();
    };
  }, [id]);

  const data = hall.data;
  const nameOf = (code: unknown) => data?.record.bids.find((b) => b.supplierCode === code)?.supplierName ?? String(code ?? "");
  const describe = (e: HallEvent): string => {
    switch (e.kind) {
      case "bidders":
        return t("hall.event.bidders", { n: (e.data.bidders as unknown[]).length });
      case "shares":
        return t("hall.event.shares", { custodian: String(e.data.custodian), n: Number(e.data.handedIn) });
      case "opened":
        return e.data.outcome === "opened" ? t("hall.event.opened", { bidder: nameOf(e.data.supplierCode), price: String(e.data.price) }) : t("hall.event.notOpened", { bidder: nameOf(e.data.supplierCode), outcome: String(e.data.outcome) });
      case "tampered":
        return t("hall.event.tampered", { bidder: nameOf(e.data.supplierCode) });
      case "window":
        return t("hall.event.window", { start: chinaDateTime(String(e.data.startsAt)), end: chinaDateTime(String(e.data.endsAt)) });
      case "window-closed":
        return t("hall.event.windowClosed");
      case "record":
        return t("hall.event.record");
      case "outcome":
        return (e.data.outcome as Outcome | null)?.text?.[lang] ?? t("hall.event.record");
      default:
        return e.kind;
    }
  };
  say.current = describe;

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    try {
      await fn();
      hall.reload();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const publishBidders = () => run(async () => void (await api.post(`${path}/hall/bidders`, {})));
  const setWindow = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const now = Date.parse(data!.serverTime);
      const start = new Date(Math.max(now, Date.parse(data!.deadline)));
      const end = new Date(start.getTime() + Math.max(1, Number(minutes) || 0) * 60_000);
      await api.put(`${path}/hall/window`, { startsAt: start.toISOString(), endsAt: end.toISOString() });
    });
  };
  const selfDecrypt = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const mine = await api.get<{ bidderKey: WrappedKey }>(`${path}/hall/my-key`);
      // unwrapped here: only the bid's data key leaves this browser, never the private key
      const dataKey = unwrapBidderKey({ tenderId: id, bidderKey: mine.bidderKey }, privateKey.trim().toLowerCase());
      await api.post(`${path}/hall/decryption`, { dataKey });
    });
  };
  const decide = (approve: boolean) => run(async () => void (await api.post(`${path}/hall/method-change`, { approve, reason: reason.trim() || undefined })));

  const latestBidders = [...events].reverse().find((e) => e.kind === "bidders")?.data.bidders as BidderRow[] | undefined;
  const roles = data?.me.roles ?? [];

  return (
    <div>
      <PageTitle sub={data?.title ? <Data>{data.title}</Data> : undefined}>{t("hall.title")}</PageTitle>
      <p className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="hall-announcer">
        {announced}
      </p>
      {hall.loading && !data ? <Loading /> : null}
      <ErrorNotice error={hall.error ?? failure} />
      {data ? (
        <>
          <section className="panel" aria-labelledby="hall-status">
            <h2 id="hall-status">{t("hall.status")}</h2>
            <dl className="facts">
              <dt>{t("etrading.field.deadline")}</dt>
              <dd>{chinaDateTime(data.deadline)}</dd>
              <dt>{t("hall.connection")}</dt>
              <dd>{connected ? <Badge tone="ok">{t("hall.connected")}</Badge> : <Badge tone="warn">{t("hall.disconnected")}</Badge>}</dd>
              <dt>{t("hall.myRoles")}</dt>
              <dd>{roles.map((r) => t(ROLE_KEY[r])).join("、")}</dd>
              <dt>{t("hall.window")}</dt>
              <dd>
                {data.window ? t("hall.window.value", { start: chinaDateTime(data.window.startsAt), end: chinaDateTime(data.window.endsAt) }) : t("hall.window.none")}
                {data.window?.closedAt ? ` · ${t("hall.window.closed")}` : ""}
              </dd>
              {data.outcome ? (
                <>
                  <dt>{t("hall.outcome")}</dt>
                  <dd data-testid="hall-outcome">
                    {data.outcome.text[lang]} <code>{data.outcome.rule}</code>
                  </dd>
                </>
              ) : null}
            </dl>
          </section>

          <section className="panel" aria-labelledby="hall-present">
            <h2 id="hall-present">{t("hall.present", { n: present.length })}</h2>
            <ul>
              {present.map((p) => (
                <li key={p.accountId}>
                  <Data>{p.name}</Data> · {t(ROLE_KEY[p.role] ?? "hall.role.bidder")}
                </li>
              ))}
            </ul>
          </section>

          {roles.includes("host") ? (
            <section className="panel" aria-labelledby="hall-host">
              <h2 id="hall-host">{t("hall.host")}</h2>
              <div className="form-actions">
                <button type="button" className="btn btn-primary" onClick={() => void publishBidders()} disabled={busy}>
                  {t("hall.host.publishBidders")}
                </button>
              </div>
              <form className="schema-form" onSubmit={setWindow}>
                <div className="form-group">
                  <label className="control-label" htmlFor="hall-minutes">
                    {t("hall.host.minutes")}
                  </label>
                  <input id="hall-minutes" className="form-control" type="number" min={1} max={1440} inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} />
                </div>
                <button type="submit" className="btn" disabled={busy || !!data.record.closed}>
                  {t("hall.host.setWindow")}
                </button>
              </form>
            </section>
          ) : null}

          {roles.includes("custodian") ? (
            <p>
              {data.me.custodians.map((c) => (
                <a key={c} className="btn" href={`/etrading/tenders/${encodeURIComponent(id)}/custodians/${encodeURIComponent(c)}`}>
                  {t("hall.custodian.go", { custodian: c })}
                </a>
              ))}
            </p>
          ) : null}

          {roles.includes("bidder") && data.selfDecryption ? (
            <section className="panel" aria-labelledby="hall-self">
              <h2 id="hall-self">{t("hall.self.title")}</h2>
              <p>{t("hall.self.help")}</p>
              <form className="schema-form" onSubmit={selfDecrypt}>
                <div className="form-group">
                  <label className="control-label" htmlFor="hall-private-key">
                    {t("hall.self.key")}
                  </label>
                  <input id="hall-private-key" className="form-control" autoComplete="off" value={privateKey} onChange={(e) => setPrivateKey(e.target.value)} />
                </div>
                <button type="submit" className="btn btn-primary" disabled={busy || !/^[0-9a-fA-F]{64}$/.test(privateKey.trim()) || data.me.outcome !== "pending"}>
                  {t("hall.self.button")}
                </button>
              </form>
            </section>
          ) : null}

          {roles.includes("regulator") && data.outcome?.state === "awaiting-approval" ? (
            <section className="panel" aria-labelledby="hall-approve">
              <h2 id="hall-approve">{t("hall.approve.title")}</h2>
              <p>{data.outcome.text[lang]}</p>
              <div className="form-group">
                <label className="control-label" htmlFor="hall-reason">
                  {t("hall.approve.reason")}
                </label>
                <textarea id="hall-reason" className="form-control" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
              </div>
              <div className="form-actions">
                <button type="button" className="btn btn-primary" onClick={() => void decide(true)} disabled={busy}>
                  {t("hall.approve.yes")}
                </button>
                <button type="button" className="btn" onClick={() => void decide(false)} disabled={busy}>
                  {t("hall.approve.no")}
                </button>
              </div>
            </section>
          ) : null}

          {latestBidders ? (
            <section aria-labelledby="hall-bidders">
              <h2 id="hall-bidders">{t("hall.bidders")}</h2>
              <TableWrap label={t("hall.bidders")}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("custodian.record.bidder")}</th>
                      <th scope="col">{t("hall.security")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {latestBidders.map((b) => (
                      <tr key={b.supplierCode}>
                        <td>
                          <Data>{b.supplierName}</Data>
                        </td>
                        <td>
                          {t(SECURITY_KEY[b.security.status ?? "missing"] ?? "hall.security.missing")}
                          {b.security.amount ? ` · ${b.security.amount}` : ""}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </section>
          ) : null}

          <section aria-labelledby="hall-record">
            <h2 id="hall-record">{t("custodian.record")}</h2>
            <p>{t("custodian.record.valid", { valid: data.record.validBids, min: data.record.minBidders })}</p>
            {data.record.closed ? (
              <p>
                <Link to={`/etrading/tenders/${id}/opening-record`}>{t("opening.print.link")}</Link>
              </p>
            ) : null}
            <TableWrap label={t("custodian.record")}>
              <table data-testid="hall-record">
                <thead>
                  <tr>
                    <th scope="col">{t("custodian.record.bidder")}</th>
                    <th scope="col">{t("bid.receivedAt")}</th>
                    <th scope="col">{t("custodian.record.price")}</th>
                    <th scope="col">{t("custodian.record.outcome")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.record.bids.map((b) => (
                    <tr key={b.bidId}>
                      <td>
                        <Data>{b.supplierName}</Data>
                      </td>
                      <td>{chinaDateTime(b.receivedAt)}</td>
                      <td>{b.price ?? "—"}</td>
                      <td>
                        {b.outcomeText[lang]}
                        {b.tampered ? ` · ${t("custodian.record.tampered")}` : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </section>

          <section aria-labelledby="hall-log">
            <h2 id="hall-log">{t("hall.log")}</h2>
            <ol data-testid="hall-log">
              {events.map((e) => (
                <li key={e.id}>
                  <time dateTime={e.at}>{chinaDateTime(e.at)}</time> {describe(e)}
                </li>
              ))}
            </ol>
          </section>
        </>
      ) : null}
    </div>
  );
}

/**
 * The e-mall's live reverse auctions (电子反拍 / 网上竞价, plugins/emall/README.md "Reverse auction"):
 * the list, and one auction's page where suppliers quote and everybody watches the lowest price
 * fall. The GET is the base (a reload, a late joiner); the auction's socket room brings each new
 * lowest price, told once through a polite live region. Server time decides the end: the page
 * counts down from the server's clock, never the browser's.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { io } from "socket.io-client";
import { api, ApiError } from "../api/client";
import { session, useSession } from "../auth/session";
import { chinaDateTime, currentLang, Data, useI18n } from "../i18n";
import { Link } from "../router";
import { Badge, Empty, ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";

interface AuctionItem { id: string; title: string; categoryCode: string; quantity: number; maxUnitPrice: string; unitName: string; endsAt: string; status: string }
interface Lowest { unitPrice: string; bidder: string; at?: string | null }
interface Auction extends AuctionItem {
  requirements: string; serverTime: string; bidders: number; lowest: Lowest | null;
  me: { bidder: string; unitPrice: string; rank: number } | null;
  ranking: Array<{ rank: number; bidder: string; supplierName: string; unitPrice: string; at: string }> | null;
  winner: { unitPrice: string; bidder: string; supplierCode?: string; supplierName?: string } | null;
}
interface Offer { id: string; productName: string; brand: string; model: string | null; supplier: { code: string } }

export function AuctionsPage() {
  const { t } = useI18n();
  const snap = useSession();
  const purchaser = !!snap.state?.user.roles.includes("purchaser");
  const list = useApi<{ items: AuctionItem[] }>("/emall/auctions");
  return (
    <div>
      <PageTitle sub={t("auction.listSub")}>{t("auction.list")}</PageTitle>
      {purchaser ? (
        <p>
          <Link to="/start/emall.auction" className="btn btn-primary">{t("auction.create")}</Link>
        </p>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorNotice error={list.error} />
      {list.data && list.data.items.length === 0 ? <Empty>{t("auction.none")}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <TableWrap label={t("auction.list")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("auction.field.title")}</th>
                <th scope="col">{t("auction.field.purchaser")}</th>
                <th scope="col">{t("auction.field.quantity")}</th>
                <th scope="col">{t("auction.field.max")}</th>
                <th scope="col">{t("auction.field.endsAt")}</th>
                <th scope="col">{t("emall.field.status")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((a) => (
                <tr key={a.id}>
                  <td><Link to={`/mall/auctions/${a.id}`}><Data>{a.title}</Data></Link></td>
                  <td><Data>{a.unitName}</Data></td>
                  <td>{a.quantity}</td>
                  <td><Money value={a.maxUnitPrice} /></td>
                  <td>{chinaDateTime(a.endsAt)}</td>
                  <td><Badge tone={a.status === "bidding" ? "info" : "neutral"}>{t(a.status === "bidding" ? "auction.bidding" : "auction.closed")}</Badge></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </div>
  );
}

/** Seconds left by the server's clock: the offset between the two clocks is taken at each load. */
function useSecondsLeft(endsAt: string | undefined, serverTime: string | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  const offset = useRef(0);
  useEffect(() => {
    if (serverTime) offset.current = Date.parse(serverTime) - Date.now();
  }, [serverTime]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!endsAt) return null;
  return Math.max(0, Math.ceil((Date.parse(endsAt) - (now + offset.current)) / 1000));
}

export function AuctionPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const snap = useSession();
  const me = snap.state?.user;
  const supplier = !!me?.roles.includes("supplier");
  const [reload, setReload] = useState(0);
  const auction = useApi<Auction>(`/emall/auctions/${id}?r=${reload}`.replace("?r=0", ""));
  const data = auction.data;
  // the newest push wins, whichever order they arrive in (each carries the order the server took it in)
  const [live, setLive] = useState<(Lowest & { seq: number; bidders: number }) | null>(null);
  const [announced, setAnnounced] = useState("");
  const [connected, setConnected] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [price, setPrice] = useState("");
  const [offerId, setOfferId] = useState("");
  const [offers, setOffers] = useState<Offer[]>([]);
  const [sent, setSent] = useState("");
  const left = useSecondsLeft(data?.endsAt, data?.serverTime);
  const tRef = useRef(t);
  tRef.current = t;

  useEffect(() => {
    const socket = io({
      path: "/socket.io/",
      transports: ["websocket", "polling"],
      forceNew: true,
      auth: (cb) => void session.token().then((token) => cb({ token, lang: currentLang() })),
    });
    socket.on("connect", () => {
      setConnected(true);
      socket.emit("join", { action: "emall.auctions.join", params: { id } }, (answer: { error?: { code: string; message: string } }) => {
        if (answer?.error) setFailure(new ApiError(403, answer.error.code, answer.error.message));
        // a reconnection may have missed prices: read the state again
        else setReload((n) => n + 1);
      });
    });
    socket.on("disconnect", () => setConnected(false));
    // a late quote moved the end (the auction's own extension rule): read the state, with its new end
    socket.on("extended", (m: { endsAt: string }) => {
      setAnnounced(tRef.current("auction.extended", { at: chinaDateTime(m.endsAt) }));
      setReload((n) => n + 1);
    });
    socket.on("lowest", (m: Lowest & { seq: number; bidders: number }) => {
      setLive((prev) => {
        if (prev && prev.seq >= m.seq) return prev;
        if (!prev || prev.unitPrice !== m.unitPrice) setAnnounced(tRef.current("auction.newLowest", { price: m.unitPrice, bidder: m.bidder }));
        return m;
      });
    });
    return () => {
      socket.close();
    };
  }, [id]);

  // a supplier quotes with one of its own offers in the auction's category
  useEffect(() => {
    if (!supplier || !data || !me?.unitCode) return;
    api.get<{ items: Offer[] }>(`/commodities/offers?category=${encodeURIComponent(data.categoryCode)}&pageSize=100&facets=0`).then((r) => {
      const mine = r.items.filter((o) => o.supplier.code === me.unitCode);
      setOffers(mine);
      setOfferId((cur) => cur || mine[0]?.id || "");
    }).catch(setFailure);
  }, [supplier, data?.categoryCode, me?.unitCode]);

  const lowest = live ?? data?.lowest ?? null;
  // a refused quote says why beside the field it is about
  const problem = failure instanceof ApiError ? failure.details.find((d) => d.path === "/unitPrice" || d.path === "/offerId")?.message : undefined;
  const bidding = data?.status === "bidding" && left !== 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setSent("");
    try {
      const r = await api.post<{ unitPrice: string; rank: number; bidder: string }>(`/emall/auctions/${id}/quotes`, { unitPrice: price.trim(), offerId });
      setSent(t("auction.quoted", { price: r.unitPrice, rank: r.rank, bidder: r.bidder }));
      setPrice("");
    } catch (err) {
      setFailure(err);
    }
  };
  const confirm = async () => {
    setFailure(null);
    try {
      await api.post(`/instances/${id}/transitions/confirm`, {});
      setSent(t("auction.confirmed"));
    } catch (err) {
      setFailure(err);
    }
  };

  return (
    <div>
      <PageTitle sub={data ? <Data>{data.unitName}</Data> : undefined}>{data ? data.title : t("auction.title")}</PageTitle>
      <p className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="auction-announcer">
        {announced}
      </p>
      {auction.loading && !data ? <Loading /> : null}
      <ErrorNotice error={auction.error} />
      {data ? (
        <>
          <section className="panel" aria-labelledby="auction-now">
            <h2 id="auction-now">{t("auction.now")}</h2>
            <p>
              <Badge tone={bidding ? "info" : "neutral"}>{t(bidding ? "auction.bidding" : "auction.closed")}</Badge>{" "}
              <Badge tone={connected ? "ok" : "warn"}>{t(connected ? "hall.connected" : "auction.offline")}</Badge>
            </p>
            <dl>
              <dt>{t("auction.lowest")}</dt>
              <dd data-testid="auction-lowest">{lowest ? <><Money value={lowest.unitPrice} /> （{t("auction.bidder", { letter: lowest.bidder })}）</> : t("auction.noQuote")}</dd>
              <dt>{t("auction.field.max")}</dt>
              <dd><Money value={data.maxUnitPrice} /></dd>
              <dt>{t("auction.field.quantity")}</dt>
              <dd>{data.quantity}</dd>
              <dt>{t("auction.field.endsAt")}</dt>
              <dd>{chinaDateTime(data.endsAt)}{bidding && left !== null ? <> · {t("auction.left", { s: left })}</> : null}</dd>
              <dt>{t("auction.bidders")}</dt>
              <dd>{live?.bidders ?? data.bidders}</dd>
            </dl>
            <p><Data>{data.requirements}</Data></p>
          </section>
          {supplier && bidding ? (
            <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="auction-quote">
              <h2 id="auction-quote">{t("auction.quote")}</h2>
              {data.me ? <p>{t("auction.mine", { bidder: data.me.bidder, price: data.me.unitPrice, rank: data.me.rank })}</p> : null}
              <label htmlFor="auction-offer">{t("auction.offer")}</label>
              <select id="auction-offer" required value={offerId} onChange={(e) => setOfferId(e.target.value)}>
                {offers.map((o) => <option key={o.id} value={o.id}>{`${o.brand} ${o.model ?? ""} ${o.productName}`}</option>)}
              </select>
              <label htmlFor="auction-price">{t("auction.price")}</label>
              <input id="auction-price" required inputMode="decimal" pattern="[0-9]+(\.[0-9]{1,2})?" aria-invalid={problem ? true : undefined} aria-describedby={problem ? "auction-price-hint auction-price-problem" : "auction-price-hint"} value={price} onChange={(e) => setPrice(e.target.value)} />
              <p id="auction-price-hint" className="hint">{t("auction.priceHint", { max: data.maxUnitPrice })}</p>
              {problem ? <p id="auction-price-problem" className="notice-detail">{problem[lang]}</p> : null}
              <button type="submit" className="btn btn-primary">{t("auction.submit")}</button>
            </form>
          ) : null}
          {sent ? <p role="status">{sent}</p> : null}
          <ErrorNotice error={failure} />
          {!bidding && data.winner ? (
            <section className="panel" aria-labelledby="auction-result">
              <h2 id="auction-result">{t("auction.result")}</h2>
              <p>{t("auction.won", { bidder: data.winner.bidder, price: data.winner.unitPrice })}{data.winner.supplierName ? <> · <Data>{data.winner.supplierName}</Data></> : null}</p>
              {supplier && data.winner.supplierCode === me?.unitCode ? (
                <p>
                  {t("auction.confirmHint")}{" "}
                  <button type="button" className="btn btn-primary" onClick={() => void confirm()}>{t("auction.confirm")}</button>{" "}
                  <Link to={`/instances/${id}`}>{t("auction.instance")}</Link>
                </p>
              ) : null}
            </section>
          ) : null}
          {data.ranking ? (
            <TableWrap label={t("auction.ranking")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("auction.rank")}</th>
                    <th scope="col">{t("auction.field.supplier")}</th>
                    <th scope="col">{t("auction.price")}</th>
                    <th scope="col">{t("auction.at")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.ranking.map((r) => (
                    <tr key={r.bidder}>
                      <td>{r.rank}</td>
                      <td><Data>{`${t("auction.bidder", { letter: r.bidder })} ${r.supplierName}`}</Data></td>
                      <td><Money value={r.unitPrice} /></td>
                      <td>{chinaDateTime(r.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

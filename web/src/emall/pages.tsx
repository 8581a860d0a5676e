/**
 * The e-mall (plugins/emall, plugins/commodities): the catalogue with search and facets, a product's
 * page with its suppliers' offers, the cart and the direct order against a filed plan line, and the
 * orders (a unit's, or a supplier's inbox to confirm). What a unit may do follows the e-mall's module
 * state where it is (GET /api/emall/access): open, read-only, or sent to the old execution platform.
 */
import { useEffect, useState, type FormEvent } from "react";
import { api, query } from "../api/client";
import { useSession } from "../auth/session";
import { chinaDate, chinaDateTime, Data, useI18n } from "../i18n";
import type { Page } from "../api/types";
import { Link, navigate, useRouter, withQuery } from "../router";
import { Badge, Empty, ErrorNotice, Loading, Money, PageTitle, Pager, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { ExportButtons } from "../ui/export-button";

interface Offer {
  id: string;
  productId: string;
  productName?: string;
  model?: string;
  brand: string;
  categoryCode: string;
  supplier: { code: string; name: string; region: string };
  price: string;
  stock: number;
  regions: string[];
  deliveryDays: number;
  warrantyMonths: number;
  flagged: boolean;
}
interface Facet { value: string; count: number }
interface SearchResult { items: Offer[]; total: number; totalIsEstimate: boolean; nextCursor: string | null; facets: Record<"category" | "brand" | "region" | "price", Facet[]> | null }
interface Access { state: string; create: boolean; continue: boolean; read: boolean; mode: "open" | "read-only" | "legacy"; legacy: { state: string; open: boolean }; opensAt: string | null }
interface CartLine { offerId: string; quantity: number; productName: string; brand: string; price: string; supplierCode: string; supplierName: string }

const CART = "emall.cart";
const readCart = (): CartLine[] => {
  try {
    return JSON.parse(localStorage.getItem(CART) ?? "[]") as CartLine[];
  } catch {
    return [];
  }
};
const writeCart = (lines: CartLine[]) => localStorage.setItem(CART, JSON.stringify(lines));

function addToCart(o: Offer) {
  const lines = readCart();
  const found = lines.find((l) => l.offerId === o.id);
  if (found) found.quantity += 1;
  else lines.push({ offerId: o.id, quantity: 1, productName: o.productName ?? o.model ?? o.brand, brand: o.brand, price: o.price, supplierCode: o.supplier.code, supplierName: o.supplier.name });
  writeCart(lines);
}

/** Where the unit stands: the e-mall open, read-only, or the old platform to use instead. */
function AccessBanner() {
  const { t } = useI18n();
  const snap = useSession();
  const signedIn = !!snap.state;
  const access = useApi<Access>(signedIn ? "/emall/access" : null);
  if (!signedIn || access.loading) return null;
  if (access.error) return <p className="notice notice-warn" role="status">{t("emall.access.closed")}</p>;
  if (!access.data || access.data.mode === "open") return null;
  return (
    <p className="notice notice-warn" role="status">
      {access.data.mode === "legacy" ? t("emall.access.legacy") : t("emall.access.readOnly")}
      {access.data.opensAt ? ` ${t("emall.access.opensAt", { date: chinaDate(access.data.opensAt) })}` : ""}
    </p>
  );
}

function FacetList({ title, facets, label, onPick, active }: { title: string; facets: Facet[]; label?: (v: string) => string; onPick(v: string | null): void; active: string | null }) {
  const { t } = useI18n();
  if (!facets.length) return null;
  return (
    <fieldset>
      <legend>{title}</legend>
      <ul>
        {facets.slice(0, 12).map((f) => (
          <li key={f.value}>
            <button type="button" className="btn btn-plain" aria-pressed={active === f.value} onClick={() => onPick(active === f.value ? null : f.value)}>
              {label ? label(f.value) : f.value} ({f.count})
            </button>
          </li>
        ))}
      </ul>
      {active ? (
        <button type="button" className="btn btn-plain" onClick={() => onPick(null)}>
          {t("emall.facet.clear")}
        </button>
      ) : null}
    </fieldset>
  );
}

export function MallPage() {
  const { t, lang } = useI18n();
  const [q, setQ] = useState("");
  const [filters, setFilters] = useState<{ q: string; category: string | null; brand: string | null; region: string | null; price: string | null; pavilion: string | null }>({ q: "", category: null, brand: null, region: null, price: null, pavilion: null });
  const [added, setAdded] = useState<string | null>(null);
  const pavilions = useApi<{ items: Array<{ key: string; title: string; titleEn: string }> }>("/commodities/pavilions/441300");
  const categories = useApi<{ items: Array<{ code: string; name: string; nameEn: string }> }>("/commodities/categories");
  const categoryName = (code: string) => {
    const c = categories.data?.items.find((x) => x.code === code);
    return c ? `${lang === "en" ? c.nameEn : c.name} ${code}` : code;
  };
  const [priceMin, priceMax] = filters.price ? filters.price.split("-") : [undefined, undefined];
  const path = `/commodities/offers${query({ q: filters.q, category: filters.category, brand: filters.brand, region: filters.region, priceMin, priceMax, pavilion: filters.pavilion, tenantCode: filters.pavilion ? "441300" : undefined })}`;
  const result = useApi<SearchResult>(path);
  const set = (k: keyof typeof filters) => (v: string | null) => setFilters((f) => ({ ...f, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilters((f) => ({ ...f, q: q.trim() }));
  };
  return (
    <div>
      <PageTitle sub={t("emall.mall.sub")}>{t("emall.mall.title")}</PageTitle>
      <AccessBanner />
      <p>
        <Link to="/mall/cart">{t("emall.cart.link")}</Link> · <Link to="/mall/orders">{t("emall.orders.link")}</Link> · <Link to="/mall/auctions">{t("nav.auctions")}</Link>
      </p>
      {pavilions.data && pavilions.data.items.length ? (
        <nav aria-label={t("emall.pavilions")} className="filters">
          {pavilions.data.items.map((p) => (
            <button key={p.key} type="button" className="btn btn-small" aria-pressed={filters.pavilion === p.key} onClick={() => set("pavilion")(filters.pavilion === p.key ? null : p.key)}>
              {lang === "en" ? p.titleEn : p.title}
            </button>
          ))}
        </nav>
      ) : null}
      <form role="search" onSubmit={submit} className="filters">
        <label htmlFor="mall-q">{t("emall.mall.search")}</label>
        <input id="mall-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="btn">{t("emall.mall.searchButton")}</button>
      </form>
      <div style={{ display: "flex", gap: "1.5rem", flexWrap: "wrap", alignItems: "flex-start" }}>
        {result.data?.facets ? (
          <aside aria-label={t("emall.facets")}>
            <FacetList title={t("emall.facet.category")} facets={result.data.facets.category} onPick={set("category")} active={filters.category} label={categoryName} />
            <FacetList title={t("emall.facet.brand")} facets={result.data.facets.brand} onPick={set("brand")} active={filters.brand} />
            <FacetList title={t("emall.facet.price")} facets={result.data.facets.price} onPick={set("price")} active={filters.price} label={(v) => `¥${v.replace(/-$/, "+")}`} />
            <FacetList title={t("emall.facet.region")} facets={result.data.facets.region} onPick={set("region")} active={filters.region} />
          </aside>
        ) : null}
        <section aria-label={t("emall.mall.results")} style={{ flex: "1 1 30rem", minWidth: 0 }}>
          {result.loading && !result.data ? <Loading /> : null}
          {result.error ? <ErrorNotice error={result.error} /> : null}
          {result.data && result.data.items.length === 0 ? <Empty>{t("emall.mall.empty")}</Empty> : null}
          {added ? <p role="status">{t("emall.cart.added", { name: added })}</p> : null}
          {result.data && result.data.items.length > 0 ? (
            <TableWrap label={t("emall.mall.results")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("emall.field.product")}</th>
                    <th scope="col">{t("emall.field.supplier")}</th>
                    <th scope="col">{t("emall.field.price")}</th>
                    <th scope="col">{t("emall.field.delivery")}</th>
                    <th scope="col">{t("emall.field.action")}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.data.items.map((o) => (
                    <tr key={o.id}>
                      <td>
                        <Link to={`/mall/products/${o.productId}`}>
                          <Data>{`${o.brand} ${o.model ?? ""} ${o.productName ?? ""}`}</Data>
                        </Link>
                        {o.flagged ? <> <Badge tone="warn">{t("emall.flagged")}</Badge></> : null}
                      </td>
                      <td>
                        <Data>{o.supplier.name}</Data>
                      </td>
                      <td>
                        <Money value={o.price} />
                      </td>
                      <td>{t("emall.days", { n: o.deliveryDays })}</td>
                      <td>
                        <button type="button" className="btn btn-small" onClick={() => { addToCart(o); setAdded(`${o.brand} ${o.model ?? ""}`); }} aria-label={t("emall.cart.addNamed", { name: `${o.brand} ${o.model ?? ""}` })}>
                          {t("emall.cart.add")}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
          {result.data ? <p>{t("emall.mall.total", { n: result.data.total })}</p> : null}
        </section>
      </div>
    </div>
  );
}

interface Product {
  id: string;
  brand: string;
  model: string;
  name: string;
  attributes: Record<string, unknown>;
  specifications: string;
  image: string;
  category: { code: string; name: string; nameEn: string; attributes: { properties: Record<string, { title: string; titleEn?: string }> } };
  offers: Offer[];
}

export function ProductPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const product = useApi<Product>(`/commodities/products/${encodeURIComponent(id)}`);
  const [added, setAdded] = useState(false);
  if (product.loading && !product.data) return <Loading />;
  if (product.error) return <ErrorNotice error={product.error} />;
  const p = product.data!;
  const props = p.category.attributes.properties;
  return (
    <div>
      <PageTitle sub={lang === "en" ? p.category.nameEn : p.category.name}>
        <Data>{`${p.brand} ${p.model}`}</Data>
      </PageTitle>
      <img src={p.image} alt={`${p.brand} ${p.model}`} width={320} height={240} />
      <h2>{t("emall.product.attributes")}</h2>
      <dl>
        {Object.entries(p.attributes).map(([k, v]) => (
          <div key={k}>
            <dt>{lang === "en" ? (props[k]?.titleEn ?? k) : (props[k]?.title ?? k)}</dt>
            <dd>
              <Data>{typeof v === "boolean" ? (v ? t("emall.yes") : t("emall.no")) : String(v)}</Data>
            </dd>
          </div>
        ))}
      </dl>
      <p>
        <Data>{p.specifications}</Data>
      </p>
      <h2>{t("emall.product.offers")}</h2>
      {added ? <p role="status">{t("emall.cart.added", { name: `${p.brand} ${p.model}` })}</p> : null}
      {p.offers.length === 0 ? <Empty>{t("emall.mall.empty")}</Empty> : (
        <TableWrap label={t("emall.product.offers")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("emall.field.supplier")}</th>
                <th scope="col">{t("emall.field.price")}</th>
                <th scope="col">{t("emall.field.stock")}</th>
                <th scope="col">{t("emall.field.delivery")}</th>
                <th scope="col">{t("emall.field.warranty")}</th>
                <th scope="col">{t("emall.field.action")}</th>
              </tr>
            </thead>
            <tbody>
              {p.offers.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Data>{o.supplier.name}</Data>
                  </td>
                  <td>
                    <Money value={o.price} />
                  </td>
                  <td>{o.stock}</td>
                  <td>{t("emall.days", { n: o.deliveryDays })}</td>
                  <td>{t("emall.months", { n: o.warrantyMonths })}</td>
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => { addToCart({ ...o, productName: p.name, model: p.model }); setAdded(true); }} aria-label={t("emall.cart.addNamed", { name: o.supplier.name })}>
                      {t("emall.cart.add")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  );
}

interface ProjectItem { id: string; name: string; channel: string | null; stage: string }
interface Budget { projectId: string; open: boolean; lines: Array<{ line: number; name: string; amount: string; spent: string; remaining: string }> }

export function CartPage() {
  const { t } = useI18n();
  const [lines, setLines] = useState<CartLine[]>(readCart);
  const projects = useApi<{ items: ProjectItem[] }>("/supervision/projects?stage=execution&pageSize=100");
  const [projectId, setProjectId] = useState("");
  const [budget, setBudget] = useState<Budget | null>(null);
  const [planLine, setPlanLine] = useState("0");
  const [consignee, setConsignee] = useState({ name: "", phone: "", address: "" });
  const [invoice, setInvoice] = useState({ kind: "normal", title: "", taxId: "" });
  const [failure, setFailure] = useState<unknown>(null);
  const [placed, setPlaced] = useState<string | null>(null);
  useEffect(() => writeCart(lines), [lines]);
  useEffect(() => {
    setBudget(null);
    if (projectId) void api.get<Budget>(`/emall/budget/${projectId}`).then(setBudget, setFailure);
  }, [projectId]);
  const suppliers = [...new Set(lines.map((l) => l.supplierCode))];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    try {
      // one order per supplier (the e-mall's rule): the first supplier's lines now, the rest stay in the cart
      const mine = lines.filter((l) => l.supplierCode === suppliers[0]);
      const r = await api.post<{ id: string }>("/workflows/emall.order/instances", {
        data: { projectId, planLine: Number(planLine), lines: mine.map((l) => ({ offerId: l.offerId, quantity: l.quantity })), consignee, invoice },
      });
      setPlaced(r.id);
      setLines(lines.filter((l) => l.supplierCode !== suppliers[0]));
    } catch (err) {
      setFailure(err);
    }
  };
  const emallProjects = (projects.data?.items ?? []).filter((p) => p.channel === "emall");
  return (
    <div>
      <PageTitle sub={t("emall.cart.sub")}>{t("emall.cart.title")}</PageTitle>
      <AccessBanner />
      {placed ? (
        <p role="status">
          {t("emall.order.placed")} <Link to={`/instances/${placed}`}>{t("emall.order.open")}</Link>
        </p>
      ) : null}
      {lines.length === 0 ? <Empty>{t("emall.cart.empty")}</Empty> : (
        <form onSubmit={submit}>
          <TableWrap label={t("emall.cart.title")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("emall.field.product")}</th>
                  <th scope="col">{t("emall.field.supplier")}</th>
                  <th scope="col">{t("emall.field.price")}</th>
                  <th scope="col">{t("emall.field.quantity")}</th>
                  <th scope="col">{t("emall.field.action")}</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((l, i) => (
                  <tr key={l.offerId}>
                    <td>
                      <Data>{`${l.brand} ${l.productName}`}</Data>
                    </td>
                    <td>
                      <Data>{l.supplierName}</Data>
                    </td>
                    <td>
                      <Money value={l.price} />
                    </td>
                    <td>
                      <input type="number" min={1} max={100000} value={l.quantity} aria-label={t("emall.field.quantityOf", { name: l.productName })} onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, quantity: Math.max(1, Number(e.target.value) || 1) } : x)))} />
                    </td>
                    <td>
                      <button type="button" className="btn btn-small" onClick={() => setLines(lines.filter((_, j) => j !== i))} aria-label={t("emall.cart.removeNamed", { name: l.productName })}>
                        {t("emall.cart.remove")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {suppliers.length > 1 ? <p className="notice notice-info">{t("emall.cart.split", { n: suppliers.length })}</p> : null}
          <div style={{ display: "grid", gridTemplateColumns: "minmax(8rem, max-content) minmax(12rem, 28rem)", gap: "0.5rem 1rem", alignItems: "center", margin: "1rem 0" }}>
            <label htmlFor="order-project">{t("emall.order.project")}</label>
            <select id="order-project" required value={projectId} onChange={(e) => setProjectId(e.target.value)}>
              <option value="">{t("emall.order.chooseProject")}</option>
              {emallProjects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
            <label htmlFor="order-line">{t("emall.order.planLine")}</label>
            <select id="order-line" required value={planLine} onChange={(e) => setPlanLine(e.target.value)}>
              {(budget?.lines ?? []).map((l) => (
                <option key={l.line} value={String(l.line)}>
                  {t("emall.order.lineOption", { name: l.name, remaining: l.remaining })}
                </option>
              ))}
            </select>
            <label htmlFor="order-name">{t("emall.order.consignee")}</label>
            <input id="order-name" required autoComplete="name" value={consignee.name} onChange={(e) => setConsignee({ ...consignee, name: e.target.value })} />
            <label htmlFor="order-phone">{t("emall.order.phone")}</label>
            <input id="order-phone" required autoComplete="tel" value={consignee.phone} onChange={(e) => setConsignee({ ...consignee, phone: e.target.value })} />
            <label htmlFor="order-address">{t("emall.order.address")}</label>
            <input id="order-address" required autoComplete="street-address" value={consignee.address} onChange={(e) => setConsignee({ ...consignee, address: e.target.value })} />
            <label htmlFor="order-invoice-kind">{t("emall.order.invoiceKind")}</label>
            <select id="order-invoice-kind" value={invoice.kind} onChange={(e) => setInvoice({ ...invoice, kind: e.target.value })}>
              <option value="normal">{t("emall.order.invoiceNormal")}</option>
              <option value="special">{t("emall.order.invoiceSpecial")}</option>
            </select>
            <label htmlFor="order-invoice-title">{t("emall.order.invoiceTitle")}</label>
            <input id="order-invoice-title" required value={invoice.title} onChange={(e) => setInvoice({ ...invoice, title: e.target.value })} />
            <label htmlFor="order-invoice-tax">{t("emall.order.taxId")}</label>
            <input id="order-invoice-tax" required value={invoice.taxId} onChange={(e) => setInvoice({ ...invoice, taxId: e.target.value })} />
          </div>
          {failure ? <ErrorNotice error={failure} /> : null}
          <button type="submit" className="btn btn-primary">{t("emall.order.submit")}</button>
        </form>
      )}
    </div>
  );
}

interface Order { id: string; unitName: string; supplier: { code: string; name: string }; total: string; status: string; confirmBy: string; paymentDue: string | null; createdAt: string }
const TONE: Record<string, "info" | "ok" | "warn" | "neutral" | "danger"> = { placed: "info", confirmed: "ok", accepted: "warn", paid: "ok", lapsed: "danger", cancelled: "neutral" };
const ORDER_STATUSES = Object.keys(TONE);

export function OrdersPage() {
  const { t } = useI18n();
  const snap = useSession();
  const { location } = useRouter();
  const supplier = !!snap.state?.user.roles.includes("supplier");
  const q = location.query.get("q") ?? "";
  const status = location.query.get("status") ?? "";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const [text, setText] = useState(q);
  const [reload, setReload] = useState(0);
  const orders = useApi<Page<Order>>(`/emall/orders${query({ q, status, page, pageSize: 20, r: reload || null })}`);
  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(location, { q: text.trim(), page: null }));
  };
  const [failure, setFailure] = useState<unknown>(null);
  const take = async (id: string, transition: "confirm" | "accept" | "pay") => {
    setFailure(null);
    try {
      await api.post(`/instances/${id}/transitions/${transition}`, {});
      setReload((n) => n + 1);
    } catch (err) {
      setFailure(err);
    }
  };
  return (
    <div>
      <PageTitle sub={supplier ? t("emall.orders.subSupplier") : t("emall.orders.sub")}>{supplier ? t("emall.orders.inbox") : t("emall.orders.title")}</PageTitle>
      <form className="filters" role="search" onSubmit={search}>
        <label>
          <span>{t("emall.field.status")}</span>
          <select value={status} onChange={(e) => navigate(withQuery(location, { status: e.target.value, page: null }))}>
            <option value="">{t("emall.orders.allStatuses")}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`emall.status.${s}` as "emall.status.placed")}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span>{t("portal.search")}</span>
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("emall.orders.searchHint")} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("portal.searchButton")}
        </button>
      </form>
      <ExportButtons path={`/emall/orders/export${query({ q, status })}`} fileName="emall-orders" />
      {failure ? <ErrorNotice error={failure} /> : null}
      {orders.loading && !orders.data ? <Loading /> : null}
      {orders.error ? <ErrorNotice error={orders.error} /> : null}
      {orders.data && orders.data.items.length === 0 ? <Empty>{t("emall.orders.empty")}</Empty> : null}
      {orders.data && orders.data.items.length > 0 ? (
        <TableWrap label={supplier ? t("emall.orders.inbox") : t("emall.orders.title")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("emall.field.placedAt")}</th>
                <th scope="col">{supplier ? t("emall.field.purchaser") : t("emall.field.supplier")}</th>
                <th scope="col">{t("emall.field.total")}</th>
                <th scope="col">{t("emall.field.status")}</th>
                <th scope="col">{t("emall.field.action")}</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link to={`/instances/${o.id}`}>{chinaDateTime(o.createdAt)}</Link>
                  </td>
                  <td>
                    <Data>{supplier ? o.unitName : o.supplier.name}</Data>
                  </td>
                  <td>
                    <Money value={o.total} />
                  </td>
                  <td>
                    <Badge tone={TONE[o.status] ?? "neutral"}>{t(`emall.status.${o.status}` as "emall.status.placed")}</Badge>
                    {o.status === "placed" ? <> {t("emall.orders.confirmBy", { at: chinaDateTime(o.confirmBy) })}</> : null}
                    {o.paymentDue && o.status === "accepted" ? <> {t("emall.orders.paymentDue", { date: o.paymentDue })}</> : null}
                  </td>
                  <td>
                    {supplier && o.status === "placed" ? (
                      <button type="button" className="btn" onClick={() => void take(o.id, "confirm")} aria-label={t("emall.orders.confirmNamed", { name: o.unitName })}>
                        {t("emall.orders.confirm")}
                      </button>
                    ) : null}
                    {/* the purchaser's steps after the supplier's: acceptance (the invoice with it), then payment */}
                    {!supplier && o.status === "confirmed" ? (
                      <button type="button" className="btn" onClick={() => void take(o.id, "accept")} aria-label={t("emall.orders.acceptNamed", { name: o.supplier.name })}>
                        {t("emall.orders.accept")}
                      </button>
                    ) : null}
                    {!supplier && o.status === "accepted" ? (
                      <button type="button" className="btn" onClick={() => void take(o.id, "pay")} aria-label={t("emall.orders.payNamed", { name: o.supplier.name })}>
                        {t("emall.orders.pay")}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {orders.data && orders.data.items.length > 0 ? (
        <Pager page={orders.data.page} pageSize={orders.data.pageSize} total={orders.data.total} totalIsEstimate={orders.data.totalIsEstimate} hrefFor={(n) => withQuery(location, { page: n })} />
      ) : null}
    </div>
  );
}

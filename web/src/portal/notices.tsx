/** The public portal's notices (plugins/portal): lists per type and region, search, paging, one notice. */
import { useEffect, useState, type FormEvent } from "react";
import { io } from "socket.io-client";
import { query } from "../api/client";
import type { NoticeDetail, NoticeItem, Page } from "../api/types";
import { chinaDate, chinaDateTime, Data, useI18n, type MessageKey } from "../i18n";
import { Link, navigate, useRouter, withQuery } from "../router";
import { Empty, ErrorNotice, Loading, PageTitle, Pager, TableWrap } from "../ui/parts";
import { ExportButtons } from "../ui/export-button";
import { useApi } from "../ui/use-api";
import { FormDataView, useFormCatalog, workflowForms } from "../forms/form-data";
import { useWorkflows } from "../work/workflows";
import { flatten, useTenantTree } from "./tenants";

export const NOTICE_TYPES = ["intention", "tender", "result", "contract"] as const;

export function noticeTypeLabel(t: (k: MessageKey) => string, type: string): string {
  return (NOTICE_TYPES as readonly string[]).includes(type) ? t(`notice.type.${type}` as MessageKey) : type;
}

/** New notices of a region while the list is open (the anonymous `/public` socket namespace). */
function useNewNotices(tenant: string): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    setCount(0);
    const socket = io("/public", { path: "/socket.io/", transports: ["websocket", "polling"] });
    socket.on("connect", () => socket.emit("subscribe", { tenants: [tenant || "440000"] }, () => undefined));
    socket.on("notice", () => setCount((n) => n + 1));
    return () => {
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [tenant]);
  return count;
}

export function NoticesPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const tenant = location.query.get("tenant") ?? "";
  const type = location.query.get("type") ?? "";
  const q = location.query.get("q") ?? "";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const tree = useTenantTree();
  const list = useApi<Page<NoticeItem>>(`/portal/notices${query({ tenant, type, q, page, pageSize: 20 })}`);
  const fresh = useNewNotices(tenant);
  const [seen, setSeen] = useState(0);

  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(location, { q: text.trim(), page: null }));
  };

  return (
    <div>
      <PageTitle sub={t("portal.noticesSub")}>{t("portal.notices")}</PageTitle>
      <nav className="tabs" aria-label={t("portal.byType")}>
        <Link to={withQuery(location, { type: null, page: null })} aria-current={!type ? "page" : undefined}>
          {t("notice.type.all")}
        </Link>
        {NOTICE_TYPES.map((nt) => (
          <Link key={nt} to={withQuery(location, { type: nt, page: null })} aria-current={type === nt ? "page" : undefined}>
            {noticeTypeLabel(t, nt)}
          </Link>
        ))}
      </nav>
      <form className="filters" role="search" onSubmit={search}>
        <label>
          <span>{t("portal.region")}</span>
          <select value={tenant} onChange={(e) => navigate(withQuery(location, { tenant: e.target.value, page: null }))}>
            <option value="">{t("portal.allRegions")}</option>
            {flatten(tree.data).map((tn) => (
              <option key={tn.code} value={tn.code}>
                {"\u00a0\u00a0".repeat(tn.depth)}
                {pick(tn.name)}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span>{t("portal.search")}</span>
          <input type="search" value={text} maxLength={100} onChange={(e) => setText(e.target.value)} placeholder={t("portal.searchHint")} />
        </label>
        <button type="submit" className="btn btn-primary">
          {t("portal.searchButton")}
        </button>
      </form>
      <ExportButtons path={`/portal/notices/export${query({ tenant, type, q })}`} fileName="notices" />
      {fresh > seen ? (
        <div className="notice notice-info" role="status">
          {t("portal.fresh", { n: fresh - seen })}{" "}
          <button
            type="button"
            className="btn btn-plain btn-small"
            onClick={() => {
              setSeen(fresh);
              list.reload();
            }}
          >
            {t("portal.refresh")}
          </button>
        </div>
      ) : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        list.data.items.length ? (
          <>
            <ul className="notice-list" aria-busy={list.loading}>
              {list.data.items.map((n) => (
                <li key={n.id}>
                  <span className={`badge notice-${n.type}`}>{noticeTypeLabel(t, n.type)}</span>
                  <Link to={`/notices/${n.id}`} className="notice-title">
                    <Data>{n.title}</Data>
                  </Link>
                  <span className="notice-meta">
                    {pick(n.tenantName)}
                    {n.unitName ? (
                      <>
                        {" · "}
                        <Data>{n.unitName}</Data>
                      </>
                    ) : null}{" "}
                    · <time dateTime={n.publishedAt}>{chinaDate(n.publishedAt)}</time>
                  </span>
                </li>
              ))}
            </ul>
            <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} hrefFor={(p) => withQuery(location, { page: p })} />
          </>
        ) : (
          <Empty>{q ? t("portal.noMatch", { q }) : t("portal.none")}</Empty>
        )
      ) : null}
    </div>
  );
}

/**
 * A public field that is a whole document in numbered sections (the publishing plugin decides the
 * format, e.g. a national notice format); the portal shows whatever sections it is given, in order.
 */
interface SectionedDocument {
  heading: string;
  sections: Array<{ title: string; items: Array<{ label: string; value: string }> }>;
}

const isText = (v: unknown): v is string => typeof v === "string";
function isSectioned(v: unknown): v is SectionedDocument {
  const d = v as SectionedDocument | null;
  return !!d && typeof d === "object" && isText(d.heading) && Array.isArray(d.sections) &&
    d.sections.every((s) => !!s && isText(s.title) && Array.isArray(s.items) && s.items.every((i) => !!i && isText(i.label) && isText(i.value)));
}

function SectionedView({ doc, id }: { doc: SectionedDocument; id: string }) {
  return (
    <section className="notice-document" aria-labelledby={id}>
      <h2 id={id}>
        <Data>{doc.heading}</Data>
      </h2>
      {doc.sections.map((s, i) => (
        <section key={i} aria-labelledby={`${id}-${i}`}>
          <h3 id={`${id}-${i}`}>
            <Data>{s.title}</Data>
          </h3>
          <dl>
            {s.items.map((item, j) => (
              <div key={j}>
                <dt>
                  <Data>{item.label}</Data>
                </dt>
                <dd>
                  <Data>{item.value}</Data>
                </dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </section>
  );
}

export function NoticePage({ id }: { id: string }) {
  const { t, pick } = useI18n();
  const { data, error, loading } = useApi<NoticeDetail>(`/portal/notices/${encodeURIComponent(id)}`);
  // the public fields are named and shown as the forms of the notice's workflow have them
  const workflows = useWorkflows();
  const catalog = useFormCatalog(workflowForms(data ? workflows.byId.get(data.workflowId) : undefined));
  if (loading && !data) return <Loading />;
  if (error || !data) {
    return (
      <div>
        <PageTitle>{t("portal.notice")}</PageTitle>
        <ErrorNotice error={error} />
        <Link to="/notices">{t("portal.back")}</Link>
      </div>
    );
  }
  return (
    <article>
      <PageTitle sub={`${noticeTypeLabel(t, data.type)} · ${pick(data.tenantName)}${data.unitName ? ` · ${data.unitName}` : ""}`}>
        <Data>{data.title}</Data>
      </PageTitle>
      <p className="muted">
        {t("portal.published")} <time dateTime={data.publishedAt}>{chinaDateTime(data.publishedAt)}</time>
        {data.updatedAt && data.updatedAt !== data.publishedAt ? (
          <>
            {" · "}
            {t("portal.updated")} <time dateTime={data.updatedAt}>{chinaDateTime(data.updatedAt)}</time>
          </>
        ) : null}
      </p>
      {Object.entries(data.fields)
        .filter(([, v]) => isSectioned(v))
        .map(([key, v]) => (
          <SectionedView key={key} doc={v as SectionedDocument} id={`notice-${key}`} />
        ))}
      <TableWrap label={t("portal.notice")}>
        <FormDataView value={Object.fromEntries(Object.entries(data.fields).filter(([, v]) => !isSectioned(v)))} catalog={catalog} />
      </TableWrap>
      <p>
        <Link to="/notices">{t("portal.back")}</Link>
      </p>
    </article>
  );
}

import { api, query } from "../api/client";
import type { InboxItem, Page } from "../api/types";
import { chinaDateTime, useI18n } from "../i18n";
import { Link, useRouter, withQuery } from "../router";
import { ListState, PageTitle, Pager, UnreadMark } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { inbox, instancesByIds, subjectOf, useInbox } from "./live";

/** The whole inbox, newest first, paged; unread only on request. */
export function NotificationsPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const unreadOnly = location.query.get("unread") === "1";
  const page = Math.max(1, Number(location.query.get("page")) || 1);
  const live = useInbox();
  // the newest id seen: a new arrival or a read elsewhere refreshes the page
  const path = `/notifications${query({ unread: unreadOnly ? 1 : null, page, pageSize: 20 })}`;
  const list = useApi<Page<InboxItem>>(`${path}#${live.items[0]?.id ?? 0}-${live.unread}`, (signal) => api.get<Page<InboxItem>>(path, { signal }));
  // each item's project by name: the instances of this page, looked up once each
  const about = [...new Set((list.data?.items ?? []).map((it) => it.instanceId).filter((id): id is string => !!id))];
  const subjects = useApi<Record<string, string>>(about.length ? `subjects#${about.join(",")}` : null, async (signal) => {
    const found = await instancesByIds(about, signal);
    return Object.fromEntries(about.map((id) => [id, found.has(id) ? subjectOf(found.get(id)!.data) : ""]));
  });
  return (
    <div>
      <PageTitle sub={t("bell.pageSub", { n: live.unread })}>{t("bell.title")}</PageTitle>
      <nav className="tabs" aria-label={t("bell.filter")}>
        <Link to={withQuery(location, { unread: null, page: null })} aria-current={!unreadOnly ? "page" : undefined}>
          {t("bell.allItems")}
        </Link>
        <Link to={withQuery(location, { unread: "1", page: null })} aria-current={unreadOnly ? "page" : undefined}>
          {t("bell.unreadItems")}
        </Link>
      </nav>
      {live.unread ? (
        <p>
          <button type="button" className="btn btn-small" onClick={() => void inbox.markAllRead().then(list.reload)}>
            {t("bell.markAll")}
          </button>
        </p>
      ) : null}
      <ListState state={list} empty={t("bell.empty")} />
      {list.data?.items.length ? (
        <>
          <ul className="inbox">
            {list.data.items.map((it) => (
              <li key={it.id} className={it.read ? "read" : "unread"}>
                {it.read ? null : <UnreadMark />}
                {it.link ? (
                  <Link to={it.link} onClick={() => void (it.read ? undefined : inbox.markRead([it.id]))}>
                    {pick(it.title)}
                  </Link>
                ) : (
                  <span>{pick(it.title)}</span>
                )}{" "}
                {it.instanceId && subjects.data?.[it.instanceId] ? <span className="inbox-subject">{subjects.data[it.instanceId]}</span> : null}
                <time dateTime={it.createdAt} className="muted">
                  {chinaDateTime(it.createdAt)}
                </time>
                {!it.read ? (
                  <button type="button" className="btn btn-plain btn-small" onClick={() => void inbox.markRead([it.id]).then(list.reload)}>
                    {t("bell.markRead")}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} hrefFor={(n) => withQuery(location, { page: n })} />
        </>
      ) : null}
    </div>
  );
}

/**
 * Paging a list by its keyset cursor (core/gateway/list-query.ts): the next page is the one after
 * this page's last row, whatever was added or removed before it, and page 10,000 costs what page 1
 * costs. The cursor lives in the address (`?cursor=`), so the browser's Back returns to the page before.
 */
import { useI18n } from "../i18n";
import { Link, useRouter, withQuery } from "../router";

export function CursorPager({ total, totalIsEstimate, nextCursor }: { total: number; totalIsEstimate?: boolean; nextCursor?: string | null }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const cursor = location.query.get("cursor");
  const totalText = t(totalIsEstimate ? "pager.totalEstimate" : "pager.total", { total });
  if (!cursor && !nextCursor) return <p className="pager-total">{totalText}</p>;
  return (
    <nav className="pager" aria-label={t("pager.label")}>
      <span className="pager-total">{totalText}</span>
      {cursor ? <Link to={withQuery(location, { cursor: null })}>{t("pager.first")}</Link> : null}
      {nextCursor ? (
        <Link to={withQuery(location, { cursor: nextCursor })} rel="next">
          {t("pager.next")}
        </Link>
      ) : null}
    </nav>
  );
}

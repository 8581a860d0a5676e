import { useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";
import type { ModuleState } from "../api/types";
import { formatMoney } from "../forms/money-text";
import { useI18n, type MessageKey } from "../i18n";
import { messages } from "../i18n/messages";
import { hasNavigated, Link } from "../router";

/** The page's heading; focused when a page opens, so a screen reader announces where one is. */
export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  const { t } = useI18n();
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // After moving within the app, not on the first page of a visit (where the skip link comes first).
    if (hasNavigated() && (document.activeElement === document.body || !document.activeElement)) ref.current?.focus({ preventScroll: false });
  }, []);
  // The window's title names the page (what a screen reader says first, what a tab and history show);
  // read from the heading as rendered, so it follows the language and data that arrive later.
  const appName = t("app.documentTitle");
  useEffect(() => {
    const heading = ref.current?.textContent?.trim();
    const title = heading ? `${heading} · ${appName}` : appName;
    if (document.title !== title) document.title = title;
  });
  return (
    <div className="page-title">
      <h1 id="page-title" tabIndex={-1} ref={ref}>
        {children}
      </h1>
      {sub ? <p className="page-sub">{sub}</p> : null}
    </div>
  );
}

const isKey = (k: string): k is MessageKey => k in messages["zh-CN"];

/** Seconds left until a moment, ticking. */
function useCountdown(seconds: number | null): number | null {
  const [until] = useState(() => (seconds ? Date.now() + seconds * 1000 : null));
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!until) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [until]);
  return until ? Math.max(0, Math.ceil((until - now) / 1000)) : null;
}

const mmss = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

/** What went wrong, in plain words of the language on screen; the server's own words beneath. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const { t } = useI18n();
  const e = error instanceof ApiError ? error : null;
  const left = useCountdown(e?.retryAfter ?? null);
  if (!error) return null;
  const key = e ? `error.${e.code}` : "error.UNEXPECTED";
  const plain = isKey(key) ? t(key) : null;
  const extra = e?.extra as { opensAt?: string; module?: string } | null;
  return (
    <div className="notice notice-error" role="alert">
      {title ? <strong className="notice-title">{title}</strong> : null}
      <p>{plain ?? e?.serverMessage ?? t("error.UNEXPECTED")}</p>
      {e && plain && e.serverMessage && e.serverMessage !== plain ? <p className="notice-detail">{e.serverMessage}</p> : null}
      {left !== null && left > 0 ? <p className="notice-detail">{t("error.retryIn", { time: mmss(left) })}</p> : null}
      {left === 0 ? <p className="notice-detail">{t("error.retryNow")}</p> : null}
      {extra?.opensAt ? <p className="notice-detail">{t("error.opensAt", { date: extra.opensAt.slice(0, 10) })}</p> : null}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      {label ?? t("common.loading")}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/**
 * What a list shows before it has rows to show: its error, the first load, or `empty` when the
 * answer holds none (a page of items, or an array).
 */
export function ListState({ state, empty }: { state: { data: { items: unknown[] } | unknown[] | undefined; error: unknown; loading: boolean }; empty: ReactNode }) {
  const rows = Array.isArray(state.data) ? state.data : state.data?.items;
  return (
    <>
      {state.error ? <ErrorNotice error={state.error} /> : null}
      {state.loading && !state.data ? <Loading /> : null}
      {rows && !rows.length ? <Empty>{empty}</Empty> : null}
    </>
  );
}

/** A module's state as a coloured chip with its word (never colour alone). */
export function ModuleStateBadge({ state, small }: { state: ModuleState; small?: boolean }) {
  const { t } = useI18n();
  return <span className={`badge state-${state}${small ? " badge-small" : ""}`}>{t(`state.${state}` as MessageKey)}</span>;
}

export function Badge({ children, tone = "neutral" }: { children: ReactNode; tone?: "neutral" | "info" | "ok" | "warn" | "danger" }) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

/** An amount in the one format of every page (¥1,234,567.00: forms/money-text formatMoney). */
/**
 * "Unread" as a word beside its dot: the dot alone would carry it by colour (and a label on a plain
 * span is not read out). The word is what a screen reader says before the item's title.
 */
export function UnreadMark() {
  const { t } = useI18n();
  return (
    <span className="badge tone-danger unread-mark">
      <span className="dot" aria-hidden="true" /> {t("bell.unreadItems")}
    </span>
  );
}

export function Money({ value }: { value: string | null | undefined }) {
  if (!value) return <span>—</span>;
  return <span className="money">{formatMoney(value)}</span>;
}

/** A table that scrolls sideways on a phone instead of squeezing; reachable by keyboard. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

// Lists serve pages up to 10,000 by number (core/gateway/query.ts, MAX_PAGE); deeper is by cursor.
const MAX_PAGE = 10_000;

export function Pager({ page, pageSize, total, totalIsEstimate, hrefFor }: { page: number; pageSize: number; total: number; totalIsEstimate?: boolean; hrefFor(page: number): string }) {
  const { t } = useI18n();
  const pages = Math.min(MAX_PAGE, Math.max(1, Math.ceil(total / pageSize)));
  const totalText = t(totalIsEstimate ? "pager.totalEstimate" : "pager.total", { total });
  if (pages <= 1) return <p className="pager-total">{totalText}</p>;
  const shown = [...new Set([1, page - 1, page, page + 1, pages])].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
  return (
    <nav className="pager" aria-label={t("pager.label")}>
      <span className="pager-total">{totalText}</span>
      {page > 1 ? (
        <Link to={hrefFor(page - 1)} rel="prev">
          {t("pager.prev")}
        </Link>
      ) : null}
      {shown.map((p, i) => (
        <span key={p}>
          {i > 0 && p - shown[i - 1] > 1 ? <span aria-hidden="true">…</span> : null}
          {p === page ? (
            <span aria-current="page" className="pager-current">
              {p}
            </span>
          ) : (
            <Link to={hrefFor(p)} aria-label={t("pager.page", { page: p })}>
              {p}
            </Link>
          )}
        </span>
      ))}
      {page < pages ? (
        <Link to={hrefFor(page + 1)} rel="next">
          {t("pager.next")}
        </Link>
      ) : null}
    </nav>
  );
}

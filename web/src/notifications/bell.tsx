import { useEffect, useRef, useState } from "react";
import { chinaDateTime, useI18n } from "../i18n";
import { Link, navigate } from "../router";
import { UnreadMark } from "../ui/parts";
import type { InboxItem } from "../api/types";
import { inbox, useInbox } from "./live";

/** The bell in the header: unread count, the newest items, mark read; new ones arrive without a reload. */
export function Bell() {
  const { t, pick } = useI18n();
  const { items, unread, arrived, connected, subjects } = useInbox();
  // what is still to see: read and handled items leave the bell (the inbox page keeps them all)
  const waiting = items.filter((it) => !it.read);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    // the tasks behind the items may have been acted on since (elsewhere, or by this person)
    void inbox.review(true);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!panel.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const follow = (it: InboxItem) => {
    if (!it.read) void inbox.markRead([it.id]).catch(() => undefined);
    setOpen(false);
    if (it.link) navigate(it.link);
  };

  return (
    <div className="bell">
      <button
        ref={button}
        type="button"
        className="bell-button"
        aria-expanded={open}
        aria-controls="bell-panel"
        aria-label={unread ? t("bell.labelUnread", { n: unread }) : t("bell.label")}
        onClick={() => setOpen((o) => !o)}
        data-connected={connected ? "yes" : "no"}
      >
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {unread ? (
          <span className="bell-count" data-testid="bell-count" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      <div className="sr-only" aria-live="polite">
        {arrived ? t("bell.arrived", { title: [pick(arrived.title), arrived.instanceId ? subjects[arrived.instanceId] : ""].filter(Boolean).join(" · ") }) : ""}
      </div>
      {open ? (
        <div id="bell-panel" ref={panel} className="bell-panel" role="region" aria-label={t("bell.title")}>
          <div className="bell-head">
            <strong>{t("bell.title")}</strong>
            {unread ? (
              <button type="button" className="btn btn-plain btn-small" onClick={() => void inbox.markAllRead()}>
                {t("bell.markAll")}
              </button>
            ) : null}
          </div>
          {waiting.length ? (
            <ul className="bell-list">
              {waiting.slice(0, 10).map((it) => (
                <li key={it.id} className={it.read ? "read" : "unread"}>
                  <button type="button" className="bell-item" onClick={() => follow(it)}>
                    <span className="bell-item-title">
                      {it.read ? null : <UnreadMark />}
                      {pick(it.title)}
                    </span>
                    {it.instanceId && subjects[it.instanceId] ? <span className="bell-item-subject">{subjects[it.instanceId]}</span> : null}
                    <time dateTime={it.createdAt}>{chinaDateTime(it.createdAt)}</time>
                  </button>
                  {!it.read ? (
                    <button type="button" className="btn btn-plain btn-small" onClick={() => void inbox.markRead([it.id])} aria-label={t("bell.markOne", { title: [pick(it.title), it.instanceId ? subjects[it.instanceId] : ""].filter(Boolean).join(" · ") })}>
                      {t("bell.markRead")}
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">{t("bell.empty")}</p>
          )}
          <Link to="/notifications" onClick={() => setOpen(false)}>
            {t("bell.all")}
          </Link>
        </div>
      ) : null}
    </div>
  );
}

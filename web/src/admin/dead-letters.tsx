/**
 * Dead letters of the event queue (platform administrators): which subscriber could not handle
 * which event, with the last error and the tries; a replay once the cause is fixed.
 */
import { useState } from "react";
import { api, query } from "../api/client";
import type { DeadLetter, Page } from "../api/types";
import { chinaDateTime, useI18n } from "../i18n";
import { ErrorNotice, ListState, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { CursorPager } from "../ui/cursor-pager";
import { ExportButtons } from "../ui/export-button";
import { useRouter } from "../router";
import { AdminNav } from "./console";

export function DeadLettersPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const cursor = location.query.get("cursor") ?? "";
  const list = useApi<Page<DeadLetter>>(`/events/dead-letters${query({ cursor, pageSize: 50 })}`);
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const replay = (d: DeadLetter) => {
    if (!window.confirm(t("deadLetters.confirm", { event: d.event, consumer: d.consumer }))) return;
    setFailure(null);
    setDone(null);
    setBusy(d.id);
    api
      .post<DeadLetter>(`/events/dead-letters/${d.id}/replay`, {})
      .then(() => {
        setDone(t("deadLetters.replayed", { event: d.event, consumer: d.consumer }));
        list.reload();
      })
      .catch(setFailure)
      .finally(() => setBusy(null));
  };

  return (
    <div>
      <PageTitle sub={t("deadLetters.sub")}>{t("deadLetters.title")}</PageTitle>
      <AdminNav />
      {failure ? <ErrorNotice error={failure} /> : null}
      {done ? (
        <p className="notice" role="status">
          {done}
        </p>
      ) : null}
      <ExportButtons path="/events/dead-letters/export?state=open" fileName="dead-letters" />
      <ListState state={list} empty={t("deadLetters.none")} />
      {list.data?.items.length ? (
        <>
          <TableWrap label={t("deadLetters.title")}>
            <table className="data-table" data-testid="dead-letters">
              <caption>{t("deadLetters.caption", { n: list.data.total })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("deadLetters.failedAt")}</th>
                  <th scope="col">{t("deadLetters.consumer")}</th>
                  <th scope="col">{t("deadLetters.event")}</th>
                  <th scope="col">{t("deadLetters.error")}</th>
                  <th scope="col">{t("deadLetters.attempts")}</th>
                  <th scope="col">{t("admin.action")}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((d) => (
                  <tr key={d.id}>
                    <td>{chinaDateTime(d.failedAt)}</td>
                    <td>
                      <code>{d.consumer}</code>
                    </td>
                    <td>
                      <code>{d.event}</code>
                      <br />
                      <span className="muted">
                        {d.eventId}
                        {d.key ? ` · ${d.key}` : ""}
                      </span>
                    </td>
                    <td>{d.error}</td>
                    <td>{d.attempts}</td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy === d.id}
                        aria-label={t("deadLetters.replayOne", { event: d.event, consumer: d.consumer })}
                        onClick={() => replay(d)}
                      >
                        {t("deadLetters.replay")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <CursorPager total={list.data.total} totalIsEstimate={list.data.totalIsEstimate} nextCursor={list.data.nextCursor} />
        </>
      ) : null}
    </div>
  );
}

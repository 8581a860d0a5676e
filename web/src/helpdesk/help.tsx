import { useEffect, useId, useMemo, useState } from "react";
import { api } from "../api/client";
import { useI18n } from "../i18n";
import { useSession } from "../auth/session";
import { Link } from "../router";
import { ErrorNotice, Loading, PageTitle } from "../ui/parts";
import { HOTLINE } from "./chat";

interface Entry {
  id: string;
  category: string;
  question: string;
  answer: string;
  answerEn: string;
  sources: string[];
}

/** /help: the knowledge base by category, with a filter over questions and answers. */
export function HelpPage() {
  const { t, lang } = useI18n();
  const snap = useSession();
  const [items, setItems] = useState<Entry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [q, setQ] = useState("");
  const searchId = useId();
  useEffect(() => {
    api.get<{ items: Entry[] }>("/helpdesk/faq").then((r) => setItems(r.items), setError);
  }, []);
  const groups = useMemo(() => {
    const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const byCategory = new Map<string, Entry[]>();
    for (const e of items ?? []) {
      const text = `${e.question} ${e.answer} ${e.answerEn}`.toLowerCase();
      if (!words.every((w) => text.includes(w))) continue;
      byCategory.set(e.category, [...(byCategory.get(e.category) ?? []), e]);
    }
    return [...byCategory];
  }, [items, q]);
  return (
    <div>
      <PageTitle sub={`${t("helpdesk.hotline")} ${HOTLINE}`}>{t("help.title")}</PageTitle>
      <p>
        <Link to="/help/guides">{t("helpdesk.guides.title")}</Link>
        {snap.state ? (
          <>
            {" · "}
            <Link to="/helpdesk/tickets">{t("helpdesk.tickets.title")}</Link>
          </>
        ) : null}
      </p>
      <p>
        <label htmlFor={searchId}>{t("help.search")}</label>{" "}
        <input id={searchId} type="search" value={q} onChange={(e) => setQ(e.target.value)} />
      </p>
      {error ? <ErrorNotice error={error} /> : null}
      {!items && !error ? <Loading /> : null}
      {items && !groups.length ? <p role="status">{t("help.none")}</p> : null}
      {groups.map(([category, entries]) => (
        <section key={category} aria-labelledby={`cat-${category}`}>
          <h2 id={`cat-${category}`}>{category}</h2>
          {entries.map((e) => (
            <details key={e.id}>
              <summary>{e.question}</summary>
              <p>{lang === "en" ? e.answerEn : e.answer}</p>
              <p className="helpdesk-source">
                {t("helpdesk.source")} {e.sources.join("；")}（{e.id}）
              </p>
            </details>
          ))}
        </section>
      ))}
    </div>
  );
}

import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { useI18n } from "../i18n";
import { Link } from "../router";
import { ErrorNotice, PageTitle } from "../ui/parts";
import { helpdeskRoom, type ChatMessage, type ChatView } from "./live";

interface Queue {
  tenantCode: string;
  chats: ChatView[];
  agents: { id: string; name: string }[];
}

/** /helpdesk/agent: the region's queue and the presence of its agents, live; a chat taken, answered with text or a knowledge-base entry. */
export function AgentDeskPage() {
  const { t } = useI18n();
  const [queue, setQueue] = useState<Queue | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  const [current, setCurrent] = useState<string | null>(null);

  const reload = useCallback(() => api.get<Queue>("/helpdesk/queue").then(setQueue, setError), []);
  useEffect(
    () =>
      helpdeskRoom(
        {},
        {
          queued: () => void reload(),
          taken: () => void reload(),
          closed: () => void reload(),
          presence: (agents: Queue["agents"]) => setQueue((q) => (q ? { ...q, agents } : q)),
        },
        (ok, message) => {
          setLive(ok);
          if (message) setError(new ApiError(403, "FORBIDDEN", message));
        },
        () => void reload(),
      ),
    [reload],
  );

  const take = async (id: string) => {
    try {
      await api.post(`/helpdesk/chats/${id}/take`);
      setCurrent(id);
      await reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div>
      <PageTitle sub={live ? t("helpdesk.agent.connected") : t("helpdesk.agent.disconnected")}>{t("helpdesk.agent.title")}</PageTitle>
      {error ? <ErrorNotice error={error} /> : null}
      {queue ? (
        <p>
          {t("helpdesk.agent.present")} {queue.agents.map((a) => a.name).join("、") || "—"}
        </p>
      ) : null}
      <div className="helpdesk-desk">
        <section aria-labelledby="hd-queue">
          <h2 id="hd-queue">{t("helpdesk.agent.queue")}</h2>
          {queue && !queue.chats.length ? <p role="status">{t("helpdesk.agent.none")}</p> : null}
          <ul className="helpdesk-queue">
            {queue?.chats.map((c) => (
              <li key={c.id}>
                <span>{c.context.user?.username ?? t("helpdesk.agent.visitor")}</span> · <span>{c.context.page ?? "—"}</span> · <span>{new Date(c.createdAt).toLocaleTimeString()}</span>{" "}
                {c.status === "waiting" ? (
                  <button type="button" className="btn btn-small" onClick={() => void take(c.id)}>
                    {t("helpdesk.agent.take")}
                  </button>
                ) : (
                  <button type="button" className="btn btn-plain btn-small" onClick={() => setCurrent(c.id)}>
                    {c.agent?.name ?? ""}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
        {current ? <AgentChat key={current} id={current} /> : null}
      </div>
    </div>
  );
}

function AgentChat({ id }: { id: string }) {
  const { t } = useI18n();
  const [chat, setChat] = useState<(ChatView & { messages: ChatMessage[] }) | null>(null);
  const [text, setText] = useState("");
  const [entry, setEntry] = useState("");
  const [error, setError] = useState<unknown>(null);
  const textId = useId();
  const entryId = useId();
  const reload = useCallback(() => api.get<ChatView & { messages: ChatMessage[] }>(`/helpdesk/chats/${id}`).then(setChat, setError), [id]);
  useEffect(
    () =>
      helpdeskRoom(
        { chatId: id },
        { message: (m: { message: ChatMessage }) => setChat((c) => (c && !c.messages.some((x) => x.id === m.message.id) ? { ...c, messages: [...c.messages, m.message] } : c)) },
        () => {},
        () => void reload(),
      ),
    [id, reload],
  );
  const send = async (body: Record<string, unknown>) => {
    try {
      await api.post(`/helpdesk/chats/${id}/messages`, body);
      setError(null);
      await reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await send({ text })) setText("");
  };
  if (!chat) return error ? <ErrorNotice error={error} /> : null;
  const c = chat.context;
  return (
    <section aria-labelledby="hd-chat" className="helpdesk-agent-chat">
      <h2 id="hd-chat">{c.user?.username ?? t("helpdesk.agent.visitor")}</h2>
      <dl className="helpdesk-context" aria-label={t("helpdesk.agent.context")}>
        <dt>{t("helpdesk.agent.role")}</dt>
        <dd>{c.role ?? "—"}</dd>
        <dt>{t("helpdesk.agent.city")}</dt>
        <dd>{c.city ?? "—"}</dd>
        <dt>{t("helpdesk.agent.page")}</dt>
        <dd>{c.page ?? "—"}</dd>
        <dt>{t("helpdesk.agent.errors")}</dt>
        <dd>{c.errors.length ? c.errors.map((e) => `${e.code ? `${e.code} ` : ""}${e.message}`).join("；") : "—"}</dd>
      </dl>
      <ul className="helpdesk-messages" aria-live="polite">
        {chat.messages.map((m) => (
          <li key={m.id} className={`helpdesk-msg helpdesk-msg-${m.author}`}>
            <strong>{m.author === "agent" ? `${t("helpdesk.live.agent")}：` : m.author === "system" ? `${t("helpdesk.live.system")}：` : t("helpdesk.you").replace("我", "用户")}</strong> <span className="helpdesk-text">{m.text}</span>
            {m.entryId ? <span className="helpdesk-id">（{m.entryId}）</span> : null}
          </li>
        ))}
      </ul>
      {error ? <ErrorNotice error={error} /> : null}
      {chat.status === "active" ? (
        <>
          <form onSubmit={(e) => void submit(e)} className="helpdesk-form">
            <label htmlFor={textId}>{t("helpdesk.live.message")}</label>
            <input id={textId} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} autoComplete="off" />
            <button type="submit">{t("helpdesk.send")}</button>
          </form>
          <form
            className="helpdesk-form"
            onSubmit={(e) => {
              e.preventDefault();
              void send({ entryId: entry.trim() }).then((ok) => ok && setEntry(""));
            }}
          >
            <label htmlFor={entryId}>{t("helpdesk.agent.snippet")}</label>
            <input id={entryId} value={entry} maxLength={20} onChange={(e) => setEntry(e.target.value)} autoComplete="off" />
            <button type="submit">{t("helpdesk.agent.sendSnippet")}</button>
          </form>
          <p>
            <Link to={`/start/helpdesk.ticket?chatId=${id}`}>{t("helpdesk.agent.ticket")}</Link>{" "}
            <button type="button" className="btn btn-plain btn-small" onClick={() => void api.post(`/helpdesk/chats/${id}/close`).then(reload, setError)}>
              {t("helpdesk.live.end")}
            </button>
          </p>
        </>
      ) : null}
    </section>
  );
}

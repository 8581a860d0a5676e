import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n";
import { useRouter } from "../router";
import { helpdeskRoom, recentErrors, type ChatMessage, type ChatView } from "./live";

/** How often a signed-out visitor's window asks for new messages (visitors have no socket). */
const VISITOR_POLL_MS = 3000;

/** A live chat with a person, started from a hand-over in the assistant's window. */
export function LiveChat({ question, handoverId }: { question: string; handoverId?: string }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const [chat, setChat] = useState<(ChatView & { position?: number }) | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [rated, setRated] = useState(false);
  const key = useRef<string | null>(null);
  const inputId = useId();

  const say = (err: unknown) => setError(err instanceof ApiError ? err.serverMessage : String(err));
  const reload = useCallback(async (id: string) => {
    const full = await api.get<ChatView & { messages: ChatMessage[] }>(`/helpdesk/chats/${id}${key.current ? `?visitorKey=${encodeURIComponent(key.current)}` : ""}`);
    setChat((c) => ({ ...full, position: c?.position }));
    setMessages(full.messages);
  }, []);

  const connect = async () => {
    try {
      const opened = await api.post<ChatView & { position: number; visitorKey: string | null }>("/helpdesk/chats", { text: question, handoverId, page: location.path, errors: recentErrors() });
      key.current = opened.visitorKey;
      setChat(opened);
      await reload(opened.id);
    } catch (err) {
      say(err);
    }
  };

  const id = chat?.id;
  useEffect(() => {
    if (!id) return;
    if (snap.state) {
      return helpdeskRoom(
        { chatId: id },
        {
          message: (m: { message: ChatMessage }) => setMessages((list) => (list.some((x) => x.id === m.message.id) ? list : [...list, m.message])),
          taken: () => void reload(id),
        },
        () => {},
        () => void reload(id).catch(say),
      );
    }
    const timer = setInterval(() => void reload(id).catch(() => {}), VISITOR_POLL_MS);
    return () => clearInterval(timer);
  }, [id, snap.state, reload]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!chat || !text.trim()) return;
    try {
      const m = await api.post<ChatMessage>(`/helpdesk/chats/${chat.id}/messages`, { text, visitorKey: key.current ?? undefined });
      setMessages((list) => (list.some((x) => x.id === m.id) ? list : [...list, m]));
      setText("");
      setError(null);
    } catch (err) {
      say(err);
    }
  };

  if (!chat) {
    return (
      <p>
        <button type="button" className="btn" onClick={() => void connect()}>
          {t("helpdesk.live.connect")}
        </button>
        {error ? <span className="helpdesk-error" role="alert"> {error}</span> : null}
      </p>
    );
  }
  const closed = chat.status === "closed";
  return (
    <section className="helpdesk-live" aria-label={t("helpdesk.live.connect")}>
      {chat.status === "waiting" ? <p role="status">{t("helpdesk.live.waiting", { n: chat.position ?? 1 })}</p> : null}
      <ul className="helpdesk-messages" aria-live="polite">
        {messages.map((m) => (
          <li key={m.id} className={`helpdesk-msg helpdesk-msg-${m.author}`}>
            <strong>{m.author === "user" ? t("helpdesk.you") : m.author === "agent" ? `${t("helpdesk.live.agent")}：` : `${t("helpdesk.live.system")}：`}</strong>{" "}
            {/* text only: whatever markup a message holds is shown as typed */}
            <span className="helpdesk-text">{m.text}</span>
            {m.entryId ? <span className="helpdesk-id">（{m.entryId}）</span> : null}
          </li>
        ))}
      </ul>
      {error ? <p className="helpdesk-error" role="alert">{error}</p> : null}
      {!closed ? (
        <form onSubmit={(e) => void send(e)} className="helpdesk-form">
          <label htmlFor={inputId}>{t("helpdesk.live.message")}</label>
          <input id={inputId} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} autoComplete="off" />
          <button type="submit">{t("helpdesk.send")}</button>
          <button type="button" onClick={() => void api.post<ChatView>(`/helpdesk/chats/${chat.id}/close`, { visitorKey: key.current ?? undefined }).then(() => reload(chat.id), say)}>
            {t("helpdesk.live.end")}
          </button>
        </form>
      ) : rated ? (
        <p role="status">{t("helpdesk.live.rated")}</p>
      ) : (
        <fieldset className="helpdesk-rating">
          <legend>{t("helpdesk.live.rate")}</legend>
          {[1, 2, 3, 4, 5].map((n) => (
            <button key={n} type="button" onClick={() => void api.post(`/helpdesk/chats/${chat.id}/rating`, { rating: n, visitorKey: key.current ?? undefined }).then(() => setRated(true), say)}>
              {t("helpdesk.live.stars", { n })}
            </button>
          ))}
        </fieldset>
      )}
    </section>
  );
}

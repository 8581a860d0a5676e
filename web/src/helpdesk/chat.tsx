import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { useI18n } from "../i18n";
import { useRouter } from "../router";
import { LiveChat } from "./live-chat";

/** The hotline of the province's notice (粤财采购函〔2020〕59号), as helpdesk-faq.json faq-075 gives it. */
export const HOTLINE = "400-183-2999";

interface Brief {
  id: string;
  category: string;
  question: string;
  sources: string[];
}
export interface AskAnswer {
  question: string;
  handover: boolean;
  handoverId?: string;
  answer: (Partial<Brief> & { kind: "faq" | "schedule"; id: string; answer: string; answerEn: string; sources: string[] }) | null;
  alternatives: Brief[];
}

interface Turn {
  question: string;
  reply?: AskAnswer;
  error?: string;
}

/** The assistant's window: a button in the page's footer landmark opening a dialog, on every page. */
export function HelpdeskChat() {
  const { t, lang } = useI18n();
  const { location } = useRouter();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const inputId = useId();

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const ask = async (question: string) => {
    if (!question.trim() || busy) return;
    setBusy(true);
    setTurns((ts) => [...ts, { question }]);
    try {
      const reply = await api.post<AskAnswer>("/helpdesk/ask", { question, page: location.path });
      setTurns((ts) => ts.map((x, i) => (i === ts.length - 1 ? { ...x, reply } : x)));
    } catch (err) {
      const message = err instanceof ApiError ? (err.details[0]?.message ?? err.serverMessage) : String(err);
      setTurns((ts) => ts.map((x, i) => (i === ts.length - 1 ? { ...x, error: typeof message === "string" ? message : String(message) } : x)));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = text;
    setText("");
    void ask(q);
  };

  return (
    <>
      <button type="button" className="helpdesk-open" ref={opener} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {t("helpdesk.open")}
      </button>
      <dialog
        ref={dialog}
        className="helpdesk-dialog"
        aria-labelledby={titleId}
        onClose={() => {
          setOpen(false);
          // the dialog hands focus back to the button that opened it
          opener.current?.focus();
        }}
      >
        <h2 id={titleId}>{t("helpdesk.title")}</h2>
        <p className="helpdesk-hotline">
          {t("helpdesk.hotline")} <a href={`tel:${HOTLINE}`}>{HOTLINE}</a>
        </p>
        <div className="helpdesk-log" role="log" aria-live="polite" aria-label={t("helpdesk.log")}>
          {turns.map((turn, i) => (
            <div key={i} className="helpdesk-turn">
              {/* what the user typed is shown as text, markup included */}
              <p className="helpdesk-q">
                <strong>{t("helpdesk.you")}</strong> {turn.question}
              </p>
              {turn.error ? <p className="helpdesk-error">{turn.error}</p> : null}
              {turn.reply ? <Reply reply={turn.reply} lang={lang} onAsk={(q) => void ask(q)} /> : null}
            </div>
          ))}
          {busy ? <p>{t("helpdesk.thinking")}</p> : null}
        </div>
        <form onSubmit={submit} className="helpdesk-form">
          <label htmlFor={inputId}>{t("helpdesk.question")}</label>
          <input id={inputId} value={text} maxLength={500} onChange={(e) => setText(e.target.value)} autoComplete="off" />
          <button type="submit" disabled={busy}>
            {t("helpdesk.send")}
          </button>
          <button type="button" onClick={() => void ask(lang === "en" ? "human" : "转人工")} disabled={busy}>
            {t("helpdesk.human")}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            {t("helpdesk.close")}
          </button>
        </form>
      </dialog>
    </>
  );
}

function Reply({ reply, lang, onAsk }: { reply: AskAnswer; lang: string; onAsk: (q: string) => void }) {
  const { t } = useI18n();
  return (
    <div className="helpdesk-a">
      {reply.answer ? (
        <>
          <p>{lang === "en" ? reply.answer.answerEn : reply.answer.answer}</p>
          <p className="helpdesk-source">
            {t("helpdesk.source")} {reply.answer.sources.join("；")} <span className="helpdesk-id">（{reply.answer.id}）</span>
          </p>
        </>
      ) : null}
      {reply.handover ? (
        <>
          <p className="helpdesk-handover">{t("helpdesk.handedOver", { hotline: HOTLINE })}</p>
          <LiveChat question={reply.question} handoverId={reply.handoverId} />
        </>
      ) : null}
      {reply.alternatives.length ? (
        <>
          <p>{t(reply.answer ? "helpdesk.alternatives" : "helpdesk.maybe")}</p>
          <ul>
            {reply.alternatives.map((a) => (
              <li key={a.id}>
                <button type="button" className="link-button" onClick={() => onAsk(a.question)}>
                  {a.question}
                </button>{" "}
                <span className="helpdesk-id">（{a.id}）</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

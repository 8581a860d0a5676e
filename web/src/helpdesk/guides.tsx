import { useEffect, useId, useMemo, useRef, useState } from "react";
import DOMPurify from "dompurify";
import { marked } from "marked";
import { api } from "../api/client";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { Link, navigate, useRouter, withQuery } from "../router";
import { ErrorNotice, Loading, PageTitle } from "../ui/parts";

interface GuideBrief {
  id: string;
  kind: "manual" | "video" | "notice";
  subsystem: string;
  title: string;
  titleEn: string | null;
  version: number;
  hasVideo: boolean;
  updatedAt: string;
}
interface Guide extends GuideBrief {
  body: string;
  currentVersion: number;
  video: { fileId: string; posterFileId: string | null; chapters: { at: number; title: string }[] } | null;
  versions: { version: number; title: string; updatedAt: string }[];
}

const KINDS = ["manual", "video", "notice"] as const;
const SUBSYSTEMS = ["general", "supervision", "etrading", "emall", "finance", "credit", "analytics", "portal", "helpdesk"];

/** /help/guides: the guides for the caller's roles and region, by kind and subsystem, with search. */
export function GuideListPage() {
  const { t, lang } = useI18n();
  const { location } = useRouter();
  const kind = location.query.get("kind") ?? "";
  const subsystem = location.query.get("subsystem") ?? "";
  const q = location.query.get("q") ?? "";
  const [items, setItems] = useState<GuideBrief[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [typed, setTyped] = useState(q);
  const searchId = useId();
  const kindId = useId();
  const subId = useId();
  useEffect(() => {
    const params = new URLSearchParams();
    if (kind) params.set("kind", kind);
    if (subsystem) params.set("subsystem", subsystem);
    if (q) params.set("q", q);
    setItems(null);
    api.get<{ items: GuideBrief[] }>(`/helpdesk/guides?${params}`).then((r) => setItems(r.items), setError);
  }, [kind, subsystem, q]);
  return (
    <div>
      <PageTitle>{t("helpdesk.guides.title")}</PageTitle>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withQuery(location, { q: typed.trim() }));
        }}
      >
        <label htmlFor={searchId}>{t("helpdesk.guides.search")}</label> <input id={searchId} type="search" value={typed} maxLength={100} onChange={(e) => setTyped(e.target.value)} />{" "}
        <label htmlFor={kindId}>{t("helpdesk.guides.kind")}</label>{" "}
        <select id={kindId} value={kind} onChange={(e) => navigate(withQuery(location, { kind: e.target.value }))}>
          <option value="">{t("helpdesk.guides.kind.all")}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`helpdesk.guides.kind.${k}` as MessageKey)}
            </option>
          ))}
        </select>{" "}
        <label htmlFor={subId}>{t("helpdesk.guides.subsystem")}</label>{" "}
        <select id={subId} value={subsystem} onChange={(e) => navigate(withQuery(location, { subsystem: e.target.value }))}>
          <option value="">{t("helpdesk.guides.kind.all")}</option>
          {SUBSYSTEMS.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>{" "}
        <button type="submit" className="btn">
          {t("helpdesk.guides.search")}
        </button>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
      {!items && !error ? <Loading /> : null}
      {items && !items.length ? <p role="status">{t("helpdesk.guides.none")}</p> : null}
      <ul className="guide-list">
        {items?.map((g) => (
          <li key={g.id}>
            <Link to={`/help/guides/${g.id}`}>{lang === "en" && g.titleEn ? g.titleEn : g.title}</Link> <small>
              {t(`helpdesk.guides.kind.${g.kind}` as MessageKey)} · {g.subsystem} · {t("helpdesk.guides.version", { n: g.version })}
            </small>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Markdown of a manual as HTML, sanitized: staff write it, but nothing it holds may run. */
function Markdown({ text }: { text: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false })), [text]);
  return <div className="guide-body" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** /help/guides/:id[?version=n]: a manual (printable), a video with its poster and chapters, or a notice. */
export function GuidePage({ id }: { id: string }) {
  const { location } = useRouter();
  const version = location.query.get("version");
  const [guide, setGuide] = useState<Guide | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Guide>(`/helpdesk/guides/${id}${version ? `?version=${encodeURIComponent(version)}` : ""}`).then(setGuide, setError);
  }, [id, version]);
  if (!guide) return error ? <ErrorNotice error={error} /> : <Loading />;
  return <GuideView guide={guide} />;
}

function GuideView({ guide }: { guide: Guide }) {
  const { t, lang } = useI18n();
  return (
    <article>
      <PageTitle sub={`${t(`helpdesk.guides.kind.${guide.kind}` as MessageKey)} · ${t("helpdesk.guides.version", { n: guide.version })}`}>{lang === "en" && guide.titleEn ? guide.titleEn : guide.title}</PageTitle>
      <p className="no-print">
        <button type="button" className="btn" onClick={() => window.print()}>
          {t("helpdesk.guides.print")}
        </button>
      </p>
      {guide.video ? <Video video={guide.video} title={guide.title} /> : null}
      <Markdown text={guide.body} />
      {guide.versions.length > 1 ? (
        <nav aria-label={t("helpdesk.guides.versions")} className="no-print">
          <h2>{t("helpdesk.guides.versions")}</h2>
          <ul>
            {guide.versions.map((v) => (
              <li key={v.version}>
                <Link to={`/help/guides/${guide.id}?version=${v.version}`}>{t("helpdesk.guides.version", { n: v.version })}</Link> {new Date(v.updatedAt).toLocaleDateString()}
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
    </article>
  );
}

/** The video through core/files' short-lived links (Range lets the player seek); chapters jump to their second. */
function Video({ video, title }: { video: NonNullable<Guide["video"]>; title: string }) {
  const { t } = useI18n();
  const snap = useSession();
  const [src, setSrc] = useState<{ url: string; poster: string | null } | null>(null);
  const player = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (!snap.state) return;
    const link = (fileId: string) => api.get<{ url: string }>(`/files/${fileId}/link`).then((r) => r.url);
    void Promise.all([link(video.fileId), video.posterFileId ? link(video.posterFileId) : Promise.resolve(null)]).then(([url, poster]) => setSrc({ url, poster }), () => setSrc(null));
  }, [video.fileId, video.posterFileId, snap.state]);
  if (!snap.state) return <p>{t("helpdesk.guides.signInForVideo")}</p>;
  return (
    <figure className="guide-video">
      {src ? <video ref={player} controls preload="metadata" src={src.url} poster={src.poster ?? undefined} aria-label={title} width={480} /> : <Loading />}
      {video.chapters.length ? (
        <figcaption>
          {t("helpdesk.guides.chapters")}
          <ol>
            {video.chapters.map((c) => (
              <li key={c.at}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    if (!player.current) return;
                    player.current.currentTime = c.at;
                    void player.current.play().catch(() => {});
                  }}
                >
                  {Math.floor(c.at / 60)}:{String(c.at % 60).padStart(2, "0")} {c.title}
                </button>
              </li>
            ))}
          </ol>
        </figcaption>
      ) : null}
    </figure>
  );
}

/** /help/page?path=: the guide of the page the "help" link was on, or all guides when it has none. */
export function PageHelpPage() {
  const { t } = useI18n();
  const { location } = useRouter();
  const path = location.query.get("path") ?? "/";
  const [guide, setGuide] = useState<Guide | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .get<{ guide: GuideBrief | null }>(`/helpdesk/guides/for-page?path=${encodeURIComponent(path)}`)
      .then((r) => (r.guide ? api.get<Guide>(`/helpdesk/guides/${r.guide.id}`) : null))
      .then(setGuide, setError);
  }, [path]);
  if (error) return <ErrorNotice error={error} />;
  if (guide === undefined) return <Loading />;
  if (guide) return <GuideView guide={guide} />;
  return (
    <div>
      <p role="status">{t("helpdesk.guides.noneForPage")}</p>
      <Link to="/help/guides">{t("helpdesk.guides.title")}</Link>
    </div>
  );
}

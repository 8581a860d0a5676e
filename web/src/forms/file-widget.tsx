/**
 * An attachment field (`"format": "attachment"`, core/files): choose a file, see its limits, watch
 * it upload, cancel or remove it, all by keyboard; what happens is read out (a status region for
 * progress and results, an alert for refusals). The field's `x-attachment` limits are checked here
 * first, to spare a refused upload; the server checks them again by the file's content.
 */
import { useEffect, useRef, useState, type ChangeEvent, type MouseEvent } from "react";
import { ariaDescribedByIds, type WidgetProps } from "@rjsf/utils";
import { acceptsType, ATTACHMENT_KEYWORD, type AttachmentLimits } from "../../../core/forms/formats";
import { api } from "../api/client";
import { session } from "../auth/session";
import { currentLang, useI18n, type Lang } from "../i18n";
import { pointerOf, schemaAt } from "./error-mapping";

/** What POST /api/files answers and GET /api/files/:id/info tells. */
export interface FileView {
  id: string;
  sha256: string;
  size: number;
  type: string;
  name: string;
}

/** Sizes as people read them: 1.5 MB, 800 KB (units of 1,024, as the server's limits are). */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

const TYPE_NAMES: Record<string, string> = {
  "application/pdf": "PDF",
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/gif": "GIF",
  "image/webp": "WebP",
  "image/tiff": "TIFF",
  "video/mp4": "MP4",
  "video/webm": "WebM",
  "application/zip": "ZIP",
  "text/plain": "TXT",
  "application/msword": "Word (DOC)",
  "application/vnd.ms-excel": "Excel (XLS)",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (XLSX)",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint (PPTX)",
};

/** The accept list in words: PDF、图片 / PDF, images. */
export function typeNames(accept: string[], lang: Lang): string {
  const family: Record<string, [string, string]> = { image: ["图片", "images"], video: ["视频", "videos"], audio: ["音频", "audio"], text: ["文本", "text"] };
  const names = accept.map((a) => {
    if (a.endsWith("/*")) {
      const f = family[a.slice(0, -2)];
      return f ? f[lang === "en" ? 1 : 0] : a;
    }
    return TYPE_NAMES[a] ?? a;
  });
  return names.join(lang === "en" ? ", " : "、");
}

/** A file's type in words: PDF, Word (DOCX); the media type itself when it has no common name. */
export const typeName = (type: string) => TYPE_NAMES[type] ?? type;

/**
 * The JSON pointer of the field an rjsf id names ("root_photos_0" → "/photos/0"), found by walking
 * the form: a property's name may itself hold the separator. Null when nothing in the form matches.
 */
export function pointerOfId(id: string, root: Record<string, unknown>, idPrefix = "root", idSeparator = "_"): string | null {
  const head = `${idPrefix}${idSeparator}`;
  if (!id.startsWith(head)) return null;
  const walk = (rest: string, segments: string[]): string | null => {
    const node = schemaAt(root, pointerOf(segments));
    if (!node) return null;
    const candidates = [...Object.keys((node.properties ?? {}) as object), ...(node.items !== undefined ? [/^\d+/.exec(rest)?.[0] ?? ""] : [])].filter(Boolean);
    for (const key of candidates.sort((a, b) => b.length - a.length)) {
      if (rest === key) return pointerOf([...segments, key]);
      if (rest.startsWith(key + idSeparator)) {
        const found = walk(rest.slice(key.length + idSeparator.length), [...segments, key]);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(id.slice(head.length), []);
}

/** What GET /api/files/:id/link answers: a URL that downloads without a token, for a few minutes. */
interface FileLink {
  url: string;
  expiresAt: string;
}

/**
 * A download link a browser can follow: a plain <a href> sends no token, so it carries a signed,
 * short-lived URL (core/files), fetched ahead and again when it has run out by the time it is used.
 */
export function AttachmentLink({ file }: { file: FileView }) {
  const { t } = useI18n();
  const [link, setLink] = useState<FileLink | null>(null);
  useEffect(() => {
    let live = true;
    api.get<FileLink>(`/files/${file.id}/link`).then(
      (l) => live && setLink(l),
      () => live && setLink(null),
    );
    return () => {
      live = false;
    };
  }, [file.id]);
  async function follow(e: MouseEvent<HTMLAnchorElement>) {
    // a link read a while ago may have run out (or not come yet): a fresh one, then the download
    if (link && Date.parse(link.expiresAt) - Date.now() > 15_000) return;
    e.preventDefault();
    const fresh = await api.get<FileLink>(`/files/${file.id}/link`);
    setLink(fresh);
    window.location.assign(fresh.url);
  }
  return (
    <span className="file-attachment">
      <a className="file-download" href={link?.url ?? `/api/files/${file.id}`} download={file.name} onClick={(e) => void follow(e)}>
        {t("file.download", { name: file.name })}
      </a>{" "}
      <span className="muted file-meta">
        {typeName(file.type)} · {sizeText(file.size)}
      </span>
    </span>
  );
}

/** An attachment a form's data names, by its id: its name, type and size, and its download link. */
export function AttachmentView({ id }: { id: string }) {
  const { t } = useI18n();
  const [file, setFile] = useState<FileView | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.get<FileView>(`/files/${id}/info`).then(
      (info) => live && setFile(info),
      () => live && setFile(null),
    );
    return () => {
      live = false;
    };
  }, [id]);
  if (file === undefined) return <span className="muted">{t("common.loading")}</span>;
  if (file === null) return <span className="muted">{t("file.unavailable")}</span>;
  return <AttachmentLink file={file} />;
}

/** The envelope's message of a refused upload, or nothing. */
function refusalOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof body.error?.message === "string" ? body.error.message : null;
  } catch {
    return null;
  }
}

export function FileWidget(props: WidgetProps) {
  const { id, value, required, disabled, readonly, autofocus, onChange, onBlur, onFocus, rawErrors, schema, registry } = props;
  const { lang, t } = useI18n();
  const limits = ((schema as Record<string, unknown>)[ATTACHMENT_KEYWORD] ?? {}) as AttachmentLimits;
  const accept = limits.accept ?? [];
  const current = typeof value === "string" ? value : "";
  const [file, setFile] = useState<FileView | null>(null);
  const [progress, setProgress] = useState<{ name: string; loaded: number; total: number } | null>(null);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const sending = useRef<XMLHttpRequest | null>(null);

  // A value the form came with (a draft, an earlier step): what file it is.
  useEffect(() => {
    if (!current || file?.id === current) return;
    let live = true;
    api.get<FileView>(`/files/${current}/info`).then(
      (info) => live && setFile(info),
      () => live && setFile(null),
    );
    return () => {
      live = false;
    };
  }, [current, file?.id]);

  useEffect(() => () => sending.current?.abort(), []);

  const refuse = (message: string) => {
    setStatus("");
    setProblem(message);
  };

  async function upload(chosen: File) {
    setProblem("");
    if (limits.maxBytes !== undefined && chosen.size > limits.maxBytes) {
      refuse(t("file.tooLarge", { name: chosen.name, size: sizeText(chosen.size), max: sizeText(limits.maxBytes) }));
      return;
    }
    // the browser's guess from the name; the server reads the content
    if (accept.length && chosen.type && !acceptsType(accept, chosen.type)) {
      refuse(t("file.wrongType", { name: chosen.name, types: typeNames(accept, lang) }));
      return;
    }
    const token = await session.token();
    const xhr = new XMLHttpRequest();
    sending.current = xhr;
    // the field it is for, so that the server applies the field's limits as the bytes arrive
    const formId = (registry.formContext as { formId?: unknown } | undefined)?.formId;
    const options = registry.globalFormOptions;
    const pointer = typeof formId === "string" ? pointerOfId(id, registry.rootSchema as Record<string, unknown>, options.idPrefix, options.idSeparator) : null;
    const field = pointer ? `&form=${encodeURIComponent(formId as string)}&field=${encodeURIComponent(pointer)}` : "";
    xhr.open("POST", `/api/files?name=${encodeURIComponent(chosen.name)}${field}`);
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.setRequestHeader("accept-language", currentLang());
    xhr.setRequestHeader("content-type", "application/octet-stream");
    setProgress({ name: chosen.name, loaded: 0, total: chosen.size });
    setStatus(t("file.uploading", { name: chosen.name }));
    xhr.upload.onprogress = (e) => setProgress({ name: chosen.name, loaded: e.loaded, total: e.lengthComputable ? e.total : chosen.size });
    const done = () => {
      sending.current = null;
      setProgress(null);
      if (input.current) input.current.value = "";
    };
    xhr.onload = () => {
      done();
      if (xhr.status === 201) {
        const view = JSON.parse(xhr.responseText) as FileView;
        setFile(view);
        onChange(view.id);
        setStatus(t("file.uploaded", { name: view.name, size: sizeText(view.size) }));
      } else {
        refuse(t("file.failed", { name: chosen.name, reason: refusalOf(xhr.responseText) ?? `HTTP ${xhr.status}` }));
      }
    };
    xhr.onerror = () => {
      done();
      refuse(t("file.failed", { name: chosen.name, reason: t("file.network") }));
    };
    xhr.onabort = () => {
      done();
      setStatus(t("file.cancelled", { name: chosen.name }));
    };
    xhr.send(chosen);
  }

  function remove() {
    const name = file?.name ?? "";
    setFile(null);
    setProblem("");
    onChange(undefined);
    setStatus(t("file.removed", { name }));
    // the focus was on the button that is now gone
    input.current?.focus();
  }

  const hint = [accept.length ? t("file.accept", { types: typeNames(accept, lang) }) : "", limits.maxBytes ? t("file.max", { max: sizeText(limits.maxBytes) }) : ""].filter(Boolean).join(lang === "en" ? "; " : "；");
  const percent = progress && progress.total ? Math.floor((progress.loaded / progress.total) * 100) : 0;
  const locked = disabled || readonly;
  return (
    <div className="file-field">
      <input
        ref={input}
        id={id}
        type="file"
        className="form-control"
        accept={accept.join(",") || undefined}
        disabled={locked || !!progress}
        required={required && !current}
        autoFocus={autofocus}
        onChange={(e: ChangeEvent<HTMLInputElement>) => {
          const chosen = e.target.files?.[0];
          if (chosen) void upload(chosen);
        }}
        onBlur={() => onBlur(id, current)}
        onFocus={() => onFocus(id, current)}
        aria-invalid={rawErrors?.length || problem ? true : undefined}
        aria-describedby={`${ariaDescribedByIds(id)} ${id}__limits ${id}__problem`}
      />
      {hint ? (
        <span id={`${id}__limits`} className="muted file-limits">
          {hint}
        </span>
      ) : (
        <span id={`${id}__limits`} hidden />
      )}
      {progress ? (
        <div className="file-progress">
          <progress id={`${id}__progress`} max={progress.total || 1} value={progress.loaded} aria-label={t("file.progress", { name: progress.name })} />
          <span aria-hidden="true"> {percent}% </span>
          <button type="button" className="btn btn-remove" onClick={() => sending.current?.abort()}>
            {t("file.cancel")}
          </button>
        </div>
      ) : null}
      {current && !progress ? (
        <div className="file-chosen">
          <span className="file-name">{file ? `${file.name} · ${sizeText(file.size)}` : t("common.loading")}</span>{" "}
          {file ? <AttachmentLink file={file} /> : null}{" "}
          {!locked ? (
            <button type="button" className="btn btn-remove" onClick={remove} aria-label={t("file.removeNamed", { name: file?.name ?? "" })}>
              {t("file.remove")}
            </button>
          ) : null}
        </div>
      ) : null}
      <span className="file-status" role="status" aria-live="polite">
        {status}
      </span>
      <span id={`${id}__problem`} className="file-problem" role="alert">
        {problem}
      </span>
    </div>
  );
}

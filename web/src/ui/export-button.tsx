/**
 * Export of a list, with the filters it shows, to Excel or CSV (core/gateway/export.ts). The file
 * is read as it streams, so that a large export shows its progress (rows for CSV, bytes for Excel)
 * and can be cancelled; a refusal (too many rows: narrow the filters) is shown as the server words it.
 */
import { useEffect, useRef, useState } from "react";
import { session } from "../auth/session";
import { useI18n } from "../i18n";

type Format = "xlsx" | "csv";

interface Progress {
  format: Format;
  bytes: number;
  rows: number;
  total: number | null;
}

const FORMAT_NAME: Record<Format, string> = { xlsx: "Excel", csv: "CSV" };

/** The file's name from Content-Disposition: the UTF-8 one (filename*) when there is one. */
export function fileNameOf(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (utf8) {
    try {
      return decodeURIComponent(utf8[1]);
    } catch {
      /* a malformed name: the plain one below */
    }
  }
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain ? plain[1] : fallback;
}

const sizeText = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/**
 * `path` is the list's export route under /api with the list's query (its filters), e.g.
 * `/portal/notices/export?tenant=441300&type=tender`; the format and the language are added here.
 */
export function ExportButtons({ path, fileName = "export" }: { path: string; fileName?: string }) {
  const { t, lang, pick } = useI18n();
  const [progress, setProgress] = useState<Progress | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = async (format: Format) => {
    const controller = new AbortController();
    abort.current = controller;
    setMessage(null);
    setProgress({ format, bytes: 0, rows: 0, total: null });
    try {
      const headers: Record<string, string> = { "accept-language": lang };
      const token = await session.token();
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`/api${path}${path.includes("?") ? "&" : "?"}format=${format}&lang=${lang}`, { headers, signal: controller.signal });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: string; details?: Array<{ message?: unknown }> } } | null;
        // the row limit's hint is in its detail; any other refusal says it in its message
        const detail = body?.error?.details?.[0]?.message as Parameters<typeof pick>[0] | undefined;
        const text = (detail ? pick(detail) : "") || body?.error?.message || res.statusText;
        setMessage({ text: t("export.failed", { message: text }), error: true });
        return;
      }
      const total = Number(res.headers.get("x-export-rows"));
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      let rows = 0;
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        // CSV rows end with a line break (a quoted field's own breaks make this an estimate)
        if (format === "csv") for (const b of value) if (b === 10) rows++;
        setProgress({ format, bytes, rows: Math.max(0, rows - 1), total: Number.isFinite(total) ? total : null });
      }
      const name = fileNameOf(res.headers.get("content-disposition"), `${fileName}.${format}`);
      const url = URL.createObjectURL(new Blob(chunks as BlobPart[], { type: res.headers.get("content-type") ?? "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setMessage({ text: t("export.done", { name }), error: false });
    } catch (err) {
      setMessage({ text: (err as Error).name === "AbortError" ? t("export.cancelled") : t("export.failed", { message: (err as Error).message }), error: (err as Error).name !== "AbortError" });
    } finally {
      abort.current = null;
      setProgress(null);
    }
  };

  const busy = progress !== null;
  return (
    <div className="export-buttons" role="group" aria-label={t("export.group")}>
      <button type="button" className="btn btn-plain btn-small" disabled={busy} onClick={() => void run("xlsx")}>
        {t("export.excel")}
      </button>
      <button type="button" className="btn btn-plain btn-small" disabled={busy} onClick={() => void run("csv")}>
        {t("export.csv")}
      </button>
      {busy ? (
        <>
          {progress.format === "csv" && progress.total ? (
            <progress max={progress.total} value={Math.min(progress.rows, progress.total)} aria-label={t("export.progressLabel")} />
          ) : (
            <progress aria-label={t("export.progressLabel")} />
          )}
          <button type="button" className="btn btn-plain btn-small" onClick={() => abort.current?.abort()}>
            {t("export.cancel")}
          </button>
        </>
      ) : null}
      <span role="status" aria-live="polite" className="export-status">
        {busy
          ? progress.format === "csv" && progress.total
            ? t("export.progressRows", { format: FORMAT_NAME[progress.format], done: Math.min(progress.rows, progress.total), total: progress.total })
            : t("export.progress", { format: FORMAT_NAME[progress.format], size: sizeText(progress.bytes) })
          : message && !message.error
            ? message.text
            : ""}
      </span>
      {message?.error ? (
        <span role="alert" className="export-error">
          {message.text}
        </span>
      ) : null}
    </div>
  );
}

/**
 * The supplier's bid page: the bid is sealed here, in the browser, before anything leaves it
 * (plugins/etrading/README.md, "Sealed bids"); the server gets ciphertext, wrapped key shares, a
 * hash and a signature, and answers a receipt this page checks against the platform's receipt key.
 */
import { useRef, useState, type FormEvent } from "react";
import { compareMoney, isMoney } from "../../../core/forms/money";
import {
  newDataKey, newSigningKey, sealBid, sealFile, sealedFileRef, softwareSigner, toBase64, verifyReceipt, type BidReceipt, type SealedBid, type SealedFile,
} from "../../../plugins/etrading/sealed";
import { api, ApiError } from "../api/client";
import { session, useSession } from "../auth/session";
import { chinaDateTime, currentLang, Data, useI18n } from "../i18n";
import { Badge, ErrorNotice, Loading, Money, PageTitle, TableWrap } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { BidCountdown } from "./bid-countdown";
import { bidderKeyName, bidderKeyOf } from "./bidder-key";

interface Sealing {
  tenderId: string;
  algorithm: string;
  custodians: Array<{ id: string; publicKey: string }>;
  threshold: number;
  bidderKey: boolean;
  maxPrice: string;
  docsVersion: number;
  deadline: string;
  serverTime: string;
  receiptKey: string;
}

interface Mine {
  deadline: string;
  serverTime: string;
  current: { version: number; action: "submitted" | "withdrawn"; hash: string; receivedAt: string; receipt: BidReceipt; reconfirm: boolean; outcome: string | null } | null;
  receipts: Array<BidReceipt & { current: boolean }>;
}

/** The supplier's software signing key, made in and kept by this browser (a UKey provider replaces it later). */
function signingKeyOf(account: string): string {
  const name = `gdpc.etrading.signing.${account}`;
  let key = localStorage.getItem(name);
  if (!key || !/^[0-9a-f]{64}$/.test(key)) {
    key = newSigningKey();
    localStorage.setItem(name, key);
  }
  return key;
}

async function readFile(file: File): Promise<{ name: string; type: string; content: string }> {
  return { name: file.name, type: file.type || "application/octet-stream", content: toBase64(new Uint8Array(await file.arrayBuffer())) };
}

// ── Large files: sealed here with the bid's data key, sent in chunks that resume (core/files/uploads.ts) ──

/** Bytes per PUT: small enough to resend cheaply after a broken connection, within the server's 8 MiB. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Pauses before each retry of a chunk whose connection broke; then the supplier resumes by hand. */
const CHUNK_RETRIES_MS = [1000, 3000, 10_000];

/** One large file on its way up: what is needed to go on from the server's offset after a break. */
interface LargeUpload {
  name: string;
  sealed: Uint8Array;
  session?: string;
  fileId?: string;
  sent: number;
}

const sha256Hex = async (bytes: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))].map((b) => b.toString(16).padStart(2, "0")).join("");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One chunk at `offset`; answers the server's offset (on a 409 too: the offset it has). */
async function putChunk(sessionId: string, offset: number, chunk: Uint8Array): Promise<number> {
  const token = await session.token();
  let res: Response;
  try {
    res = await fetch(`/api/files/uploads/${sessionId}?offset=${offset}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream", "accept-language": currentLang(), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: chunk as Uint8Array<ArrayBuffer>,
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK", (err as Error).message);
  }
  const body = (await res.json().catch(() => null)) as { offset?: number; error?: { code?: string; message?: string; details?: { offset?: number } } } | null;
  if (res.ok && typeof body?.offset === "number") return body.offset;
  if (res.status === 409 && typeof body?.error?.details?.offset === "number") return body.error.details.offset;
  throw new ApiError(res.status, body?.error?.code ?? "INTERNAL_ERROR", body?.error?.message ?? res.statusText);
}

/**
 * Sends a sealed file from where the server has it (asked first, after a break), a chunk at a time,
 * retrying a broken connection a few times; then finishes it into an upload.
 */
async function sendLarge(u: LargeUpload, progress: (u: LargeUpload) => void): Promise<SealedFile> {
  if (!u.fileId) {
    if (!u.session) {
      const made = await api.post<{ id: string }>("/files/uploads", { name: `${u.name}.sealed`, size: u.sealed.length, sha256: await sha256Hex(u.sealed), encrypted: true });
      u.session = made.id;
    }
    u.sent = (await api.get<{ offset: number }>(`/files/uploads/${u.session}`)).offset;
    progress(u);
    let failures = 0;
    while (u.sent < u.sealed.length) {
      try {
        u.sent = await putChunk(u.session, u.sent, u.sealed.subarray(u.sent, u.sent + CHUNK_BYTES));
        failures = 0;
        progress(u);
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== "NETWORK" || failures >= CHUNK_RETRIES_MS.length) throw err;
        await pause(CHUNK_RETRIES_MS[failures++]);
        u.sent = (await api.get<{ offset: number }>(`/files/uploads/${u.session}`)).offset;
      }
    }
    u.fileId = (await api.post<{ id: string }>(`/files/uploads/${u.session}/finish`)).id;
  }
  return sealedFileRef(u.fileId, u.name, u.sealed);
}

export function BidPage({ id }: { id: string }) {
  const { t } = useI18n();
  const snap = useSession();
  const sealing = useApi<Sealing>(`/etrading/tenders/${encodeURIComponent(id)}/sealing`);
  const mine = useApi<Mine>(`/etrading/tenders/${encodeURIComponent(id)}/bids/mine`);
  const [price, setPrice] = useState("");
  const [note, setNote] = useState("");
  const files = useRef<HTMLInputElement>(null);
  const largeFiles = useRef<HTMLInputElement>(null);
  // the bid's data key and its large files while they go up: kept so that "resume" goes on where it broke
  const large = useRef<{ dataKey: Uint8Array; uploads: LargeUpload[] } | null>(null);
  const [largeProgress, setLargeProgress] = useState<{ name: string; sent: number; total: number } | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState<"" | "sealing" | "sending" | "withdrawing">("");
  const [failure, setFailure] = useState<unknown>(null);
  const [receipt, setReceipt] = useState<{ receipt: BidReceipt; verified: boolean } | null>(null);
  const [closed, setClosed] = useState(false);
  // a sealed bid not yet acknowledged, with its Idempotency-Key: sending it again cannot make two versions
  const pending = useRef<{ bid: SealedBid; key: string } | null>(null);
  // the bidder's own decryption key (tender option bidderKey), as this browser keeps it
  const [ownKey, setOwnKey] = useState<string | null>(() => localStorage.getItem(bidderKeyName(id)));

  if (sealing.loading && !sealing.data) return <Loading />;
  if (!sealing.data) {
    return (
      <div>
        <PageTitle>{t("bid.title")}</PageTitle>
        <ErrorNotice error={sealing.error} title={t("bid.cannotSeal")} />
      </div>
    );
  }
  const s = sealing.data;
  const account = snap.state?.user.id ?? "anonymous";

  const send = async () => {
    if (!pending.current) return;
    setBusy("sending");
    setFailure(null);
    try {
      const r = await api.post<{ receipt: BidReceipt }>(`/etrading/tenders/${encodeURIComponent(id)}/bids`, { bid: pending.current.bid }, { idempotencyKey: pending.current.key });
      pending.current = null;
      setReceipt({ receipt: r.receipt, verified: verifyReceipt(r.receipt, s.receiptKey) });
      mine.reload();
    } catch (err) {
      // a refusal is final: what was sealed is dropped; a network failure keeps it for "send again"
      if (!(err instanceof ApiError) || err.code !== "NETWORK") pending.current = null;
      setFailure(err);
    } finally {
      setBusy("");
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setReceipt(null);
    const p = price.trim();
    const found: string[] = [];
    if (!isMoney(p)) found.push(t("bid.price.format"));
    else if (compareMoney(p, s.maxPrice) > 0) found.push(t("bid.price.aboveMax", { max: s.maxPrice }));
    setProblems(found);
    if (found.length) return;
    setBusy("sealing");
    try {
      const attached = await Promise.all([...(files.current?.files ?? [])].map(readFile));
      const chosen = [...(largeFiles.current?.files ?? [])];
      if (!large.current && chosen.length) {
        const dataKey = newDataKey();
        const uploads = await Promise.all(chosen.map(async (f) => ({ name: f.name, sealed: sealFile(dataKey, s.tenderId, f.name, new Uint8Array(await f.arrayBuffer())), sent: 0 })));
        large.current = { dataKey, uploads };
      }
      const refs: SealedFile[] = [];
      for (const u of large.current?.uploads ?? []) refs.push(await sendLarge(u, (x) => setLargeProgress({ name: x.name, sent: x.sent, total: x.sealed.length })));
      const own = s.bidderKey ? bidderKeyOf(s.tenderId) : null;
      if (own) setOwnKey(own.privateKey);
      const bid = await sealBid({
        tenderId: s.tenderId,
        // the data key also sealed to the bidder's own key, which it uses in the opening hall
        bidderPublicKey: own?.publicKey,
        package: { form: { price: p, note: note.trim(), docsVersion: s.docsVersion }, files: attached },
        custodians: s.custodians,
        threshold: s.threshold,
        signer: softwareSigner(signingKeyOf(account)),
        // a copy: sealBid wipes the key it is given, and a refused bid is sealed again with the same files
        dataKey: large.current ? Uint8Array.from(large.current.dataKey) : undefined,
        files: refs,
      });
      pending.current = { bid, key: crypto.randomUUID() };
    } catch (err) {
      setBusy("");
      setFailure(err);
      return;
    }
    await send();
  };

  const withdraw = async () => {
    setBusy("withdrawing");
    setFailure(null);
    try {
      const r = await api.delete<{ receipt: BidReceipt }>(`/etrading/tenders/${encodeURIComponent(id)}/bids/mine`, { idempotencyKey: crypto.randomUUID() });
      setReceipt({ receipt: r.receipt, verified: verifyReceipt(r.receipt, s.receiptKey) });
      mine.reload();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy("");
    }
  };

  const current = mine.data?.current ?? null;
  const locked = closed || busy !== "";
  return (
    <div>
      <PageTitle sub={t("bid.sub")}>{t("bid.title")}</PageTitle>
      <BidCountdown deadline={s.deadline} serverTime={s.serverTime} onPassed={() => setClosed(true)} />
      <dl className="facts">
        <div>
          <dt>{t("bid.maxPrice")}</dt>
          <dd>
            <Money value={s.maxPrice} />
          </dd>
        </div>
        <div>
          <dt>{t("bid.algorithm")}</dt>
          <dd>{s.algorithm}</dd>
        </div>
        <div>
          <dt>{t("bid.custodians")}</dt>
          <dd>{t("bid.threshold", { k: s.threshold, n: s.custodians.length })}</dd>
        </div>
        <div>
          <dt>{t("bid.current")}</dt>
          <dd>{current ? (current.action === "submitted" ? t("bid.current.submitted", { version: current.version }) : t("bid.current.withdrawn")) : t("bid.current.none")}</dd>
        </div>
      </dl>
      {current?.reconfirm ? (
        <p className="notice notice-warn" role="status">
          {t("bid.reconfirm")}
        </p>
      ) : null}

      <form className="schema-form panel" onSubmit={(e) => void submit(e)} aria-describedby="bid-sealed-help" noValidate>
        <h2>{current?.action === "submitted" ? t("bid.form.replace") : t("bid.form.title")}</h2>
        <p id="bid-sealed-help" className="field-description">
          {t("bid.form.help")}
        </p>
        {problems.length ? (
          <div className="notice notice-error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        ) : null}
        <div className={`form-group${problems.length ? " has-error" : ""}`}>
          <label className="control-label" htmlFor="bid-price">
            {t("bid.price")}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <input
            id="bid-price"
            className="form-control"
            inputMode="decimal"
            autoComplete="off"
            required
            aria-required="true"
            aria-invalid={problems.length > 0}
            aria-describedby="bid-price-help"
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            disabled={locked}
          />
          <p id="bid-price-help" className="help-block">
            {t("bid.price.help", { max: s.maxPrice })}
          </p>
        </div>
        <div className="form-group">
          <label className="control-label" htmlFor="bid-note">
            {t("bid.note")}
          </label>
          <textarea id="bid-note" className="form-control" rows={4} value={note} onChange={(e) => setNote(e.target.value)} disabled={locked} />
        </div>
        <div className="form-group">
          <label className="control-label" htmlFor="bid-files">
            {t("bid.files")}
          </label>
          <input id="bid-files" type="file" multiple ref={files} aria-describedby="bid-files-help" disabled={locked} />
          <p id="bid-files-help" className="help-block">
            {t("bid.files.help")}
          </p>
        </div>
        <div className="form-group">
          <label className="control-label" htmlFor="bid-large-files">
            {t("bid.largeFiles")}
          </label>
          <input
            id="bid-large-files"
            type="file"
            multiple
            ref={largeFiles}
            aria-describedby="bid-large-files-help"
            disabled={locked}
            onChange={() => {
              // other files chosen: what went up before is not this bid's any more
              large.current = null;
              setLargeProgress(null);
            }}
          />
          <p id="bid-large-files-help" className="help-block">
            {t("bid.largeFiles.help")}
          </p>
          {largeProgress ? (
            <p role="status">
              <progress max={largeProgress.total} value={largeProgress.sent} aria-label={t("bid.largeFiles.progress", { name: largeProgress.name })} />{" "}
              {t("bid.largeFiles.sent", { name: largeProgress.name, percent: String(Math.floor((largeProgress.sent / largeProgress.total) * 100)) })}
            </p>
          ) : null}
        </div>
        {s.bidderKey ? (
          <div className="form-group" data-testid="bid-self-key">
            <h2>{t("bid.selfKey.title")}</h2>
            <p id="bid-self-key-help" className="help-block">
              {t("bid.selfKey.help")}
            </p>
            {ownKey ? (
              <>
                <label className="control-label" htmlFor="bid-self-key">
                  {t("bid.selfKey.backup")}
                </label>
                <input id="bid-self-key" className="form-control" readOnly value={ownKey} aria-describedby="bid-self-key-help" autoComplete="off" />
              </>
            ) : (
              <p>{t("bid.selfKey.none")}</p>
            )}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={locked}>
            {busy === "sealing" ? t("bid.sealing") : busy === "sending" ? t("common.sending") : t("bid.submit")}
          </button>
          {current?.action === "submitted" ? (
            <button type="button" className="btn" onClick={() => void withdraw()} disabled={locked}>
              {busy === "withdrawing" ? t("common.sending") : t("bid.withdraw")}
            </button>
          ) : null}
          {!pending.current && large.current?.uploads.some((u) => !u.fileId) && !busy && failure instanceof ApiError && failure.code === "NETWORK" ? (
            <button type="submit" className="btn">
              {t("bid.largeFiles.resume")}
            </button>
          ) : null}
          {pending.current && !busy && failure instanceof ApiError && failure.code === "NETWORK" ? (
            <button type="button" className="btn" onClick={() => void send()}>
              {t("bid.sendAgain")}
            </button>
          ) : null}
        </div>
      </form>

      <ErrorNotice error={failure} title={t("bid.refused")} />
      {receipt ? <ReceiptView receipt={receipt.receipt} verified={receipt.verified} /> : null}

      {closed ? <OpeningRecordPanel id={id} supplierCode={snap.state?.user.unitCode ?? null} /> : null}

      <h2>{t("bid.history")}</h2>
      {mine.data?.receipts.length ? (
        <TableWrap label={t("bid.history")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("bid.version")}</th>
                <th scope="col">{t("bid.action")}</th>
                <th scope="col">{t("bid.receivedAt")}</th>
                <th scope="col">{t("bid.hash")}</th>
              </tr>
            </thead>
            <tbody>
              {mine.data.receipts.map((r) => (
                <tr key={r.bidId}>
                  <td>
                    {r.version} {r.current ? <Badge tone="ok">{t("bid.counts")}</Badge> : null}
                  </td>
                  <td>{r.action === "submitted" ? t("bid.action.submitted") : t("bid.action.withdrawn")}</td>
                  <td>{chinaDateTime(r.receivedAt)}</td>
                  <td>
                    <code>{r.hash.slice(0, 16)}…</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <p>{t("bid.history.none")}</p>
      )}
    </div>
  );
}

interface OpeningRecord {
  closed: boolean;
  bids: Array<{
    bidId: string;
    supplierCode: string;
    supplierName: string;
    outcome: string;
    outcomeText: { "zh-CN": string; en: string };
    price: string | null;
    confirmation: { confirmed: boolean; objection: string | null } | null;
  }>;
}

/** After the deadline: the opening record, and this bidder's confirmation or objection (tender.opening.record). */
function OpeningRecordPanel({ id, supplierCode }: { id: string; supplierCode: string | null }) {
  const { t, lang } = useI18n();
  const rec = useApi<OpeningRecord>(`/etrading/tenders/${encodeURIComponent(id)}/opening`);
  const [objection, setObjection] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const answer = async (withObjection: boolean) => {
    setBusy(true);
    setFailure(null);
    try {
      await api.post(`/etrading/tenders/${encodeURIComponent(id)}/opening/confirmation`, withObjection ? { objection } : {});
      rec.reload();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  if (!rec.data) return rec.loading ? <Loading /> : <ErrorNotice error={rec.error} />;
  const mine = rec.data.bids.find((b) => b.supplierCode === supplierCode);
  return (
    <section className="panel" aria-labelledby="bid-record-title">
      <h2 id="bid-record-title">{t("custodian.record")}</h2>
      <TableWrap label={t("custodian.record")}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("custodian.record.bidder")}</th>
              <th scope="col">{t("custodian.record.price")}</th>
              <th scope="col">{t("custodian.record.outcome")}</th>
            </tr>
          </thead>
          <tbody>
            {rec.data.bids.map((b) => (
              <tr key={b.bidId}>
                <td>
                  <Data>{b.supplierName}</Data>
                </td>
                <td>{b.price ?? "—"}</td>
                <td>{b.outcomeText[lang]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {mine?.confirmation ? (
        <p className="notice notice-ok" role="status">
          {mine.confirmation.confirmed ? t("bid.record.confirmed") : t("bid.record.objected", { objection: mine.confirmation.objection ?? "" })}
        </p>
      ) : mine && rec.data.closed ? (
        <div className="schema-form">
          <div className="form-group">
            <label className="control-label" htmlFor="bid-objection">
              {t("bid.record.objection")}
            </label>
            <textarea id="bid-objection" className="form-control" rows={3} value={objection} onChange={(e) => setObjection(e.target.value)} aria-describedby="bid-objection-help" />
            <p id="bid-objection-help" className="help-block">
              {t("bid.record.objectionHelp")}
            </p>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-primary" onClick={() => void answer(false)} disabled={busy}>
              {t("bid.record.confirm")}
            </button>
            <button type="button" className="btn" onClick={() => void answer(true)} disabled={busy || !objection.trim()}>
              {t("bid.record.object")}
            </button>
          </div>
        </div>
      ) : mine ? (
        <p>{t("bid.record.pending")}</p>
      ) : null}
      <ErrorNotice error={failure} />
    </section>
  );
}

function ReceiptView({ receipt, verified }: { receipt: BidReceipt; verified: boolean }) {
  const { t } = useI18n();
  return (
    <section className={`notice ${verified ? "notice-ok" : "notice-error"}`} role="status" aria-labelledby="bid-receipt-title">
      <h2 id="bid-receipt-title">{receipt.action === "submitted" ? t("bid.receipt.submitted") : t("bid.receipt.withdrawn")}</h2>
      <dl className="facts">
        <div>
          <dt>{t("bid.version")}</dt>
          <dd>{receipt.version}</dd>
        </div>
        <div>
          <dt>{t("bid.receivedAt")}</dt>
          <dd>
            {chinaDateTime(receipt.receivedAt)} <span className="notice-detail">({receipt.receivedAt})</span>
          </dd>
        </div>
        <div>
          <dt>{t("bid.hash")}</dt>
          <dd>
            <code className="break">{receipt.hash}</code>
          </dd>
        </div>
      </dl>
      <p>{verified ? t("bid.receipt.verified", { keyId: receipt.keyId }) : t("bid.receipt.unverified")}</p>
      <details>
        <summary>{t("bid.receipt.keep")}</summary>
        <pre className="break">{JSON.stringify(receipt, null, 2)}</pre>
      </details>
    </section>
  );
}

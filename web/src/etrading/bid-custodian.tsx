/**
 * An opening custodian's page: its key pair is made here and the private half never leaves this
 * browser (the server gets the public key); after the deadline the shares sealed to it are unwrapped
 * here and handed in, and with k custodians' shares the bids open (plugins/etrading/README.md).
 */
import { useState } from "react";
import { newKeyPair, openShare, type SealedBid } from "../../../plugins/etrading/sealed";
import { api } from "../api/client";
import { chinaDateTime, Data, useI18n } from "../i18n";
import { ErrorNotice, PageTitle, TableWrap } from "../ui/parts";

interface Record {
  deadline: string;
  closed: boolean;
  bids: Array<{ bidId: string; supplierName: string; receivedAt: string; outcome: string; outcomeText: { "zh-CN": string; en: string }; price: string | null; tampered: boolean }>;
  validBids: number;
  minBidders: number;
}

const storageName = (tender: string, custodian: string) => `gdpc.etrading.custodian.${tender}.${custodian}`;

export function CustodianPage({ id, custodian }: { id: string; custodian: string }) {
  const { t, lang } = useI18n();
  const [privateKey, setPrivateKey] = useState<string | null>(() => localStorage.getItem(storageName(id, custodian)));
  const [publicKey, setPublicKey] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [restore, setRestore] = useState("");
  const [record, setRecord] = useState<Record | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const path = `/etrading/tenders/${encodeURIComponent(id)}`;

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    setDone(null);
    try {
      await fn();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const generate = () =>
    run(async () => {
      const pair = newKeyPair();
      await api.put(`${path}/custodians/${encodeURIComponent(custodian)}/key`, { publicKey: pair.publicKey });
      localStorage.setItem(storageName(id, custodian), pair.privateKey);
      setPrivateKey(pair.privateKey);
      setPublicKey(pair.publicKey);
      setDone(t("custodian.key.made"));
    });

  const restoreKey = () => {
    const key = restore.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(key)) {
      setFailure(new Error(t("custodian.key.restoreBad")));
      return;
    }
    localStorage.setItem(storageName(id, custodian), key);
    setPrivateKey(key);
    setRestore("");
    setDone(t("custodian.key.restored"));
  };

  const decrypt = () =>
    run(async () => {
      const got = await api.get<{ bids: Array<{ bidId: string; tenderId: string; shares: SealedBid["shares"] }> }>(`${path}/opening/custodians/${encodeURIComponent(custodian)}/shares`);
      // unwrapped here, with the key this browser holds; only the shares leave it
      const shares = got.bids.map((b) => ({ bidId: b.bidId, share: openShare(b, custodian, privateKey!) }));
      if (!shares.length) {
        setDone(t("custodian.noBids"));
        return;
      }
      const r = await api.post<{ record: Record }>(`${path}/opening/shares`, { custodian, shares });
      setRecord(r.record);
      setDone(t("custodian.handedIn", { n: shares.length }));
    });

  return (
    <div>
      <PageTitle sub={t("custodian.sub", { custodian })}>{t("custodian.title")}</PageTitle>
      <section className="panel" aria-labelledby="custodian-key">
        <h2 id="custodian-key">{t("custodian.key.title")}</h2>
        <p>{t("custodian.key.help")}</p>
        {privateKey ? (
          <p className="notice notice-ok">{t("custodian.key.held")}</p>
        ) : (
          <p className="notice notice-warn">{t("custodian.key.none")}</p>
        )}
        {publicKey ? (
          <p>
            {t("custodian.key.public")} <code className="break">{publicKey}</code>
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="btn btn-primary" onClick={() => void generate()} disabled={busy}>
            {t("custodian.key.generate")}
          </button>
        </div>
        {privateKey ? (
          <details>
            <summary>{t("custodian.key.backup")}</summary>
            <p className="notice-detail">{t("custodian.key.backupHelp")}</p>
            <label htmlFor="custodian-backup">{t("custodian.key.private")}</label>
            <textarea id="custodian-backup" className="break" readOnly rows={2} value={privateKey} />
          </details>
        ) : null}
        <div className="schema-form">
          <div className="form-group">
            <label className="control-label" htmlFor="custodian-restore">
              {t("custodian.key.restore")}
            </label>
            <input id="custodian-restore" className="form-control" autoComplete="off" value={restore} onChange={(e) => setRestore(e.target.value)} />
          </div>
          <button type="button" className="btn" onClick={restoreKey} disabled={busy || !restore.trim()}>
            {t("custodian.key.restoreButton")}
          </button>
        </div>
      </section>

      <section className="panel" aria-labelledby="custodian-open">
        <h2 id="custodian-open">{t("custodian.open.title")}</h2>
        <p>{t("custodian.open.help")}</p>
        <button type="button" className="btn btn-primary" onClick={() => void decrypt()} disabled={busy || !privateKey}>
          {busy ? t("common.sending") : t("custodian.open.button")}
        </button>
      </section>

      {done ? (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      ) : null}
      <ErrorNotice error={failure} />

      {record ? (
        <section aria-labelledby="custodian-record">
          <h2 id="custodian-record">{t("custodian.record")}</h2>
          <p>{t("custodian.record.valid", { valid: record.validBids, min: record.minBidders })}</p>
          <TableWrap label={t("custodian.record")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("custodian.record.bidder")}</th>
                  <th scope="col">{t("bid.receivedAt")}</th>
                  <th scope="col">{t("custodian.record.price")}</th>
                  <th scope="col">{t("custodian.record.outcome")}</th>
                </tr>
              </thead>
              <tbody>
                {record.bids.map((b) => (
                  <tr key={b.bidId}>
                    <td>
                      <Data>{b.supplierName}</Data>
                    </td>
                    <td>{chinaDateTime(b.receivedAt)}</td>
                    <td>{b.price ?? "—"}</td>
                    <td>
                      {b.outcomeText[lang]}
                      {b.tampered ? ` · ${t("custodian.record.tampered")}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>
      ) : null}
    </div>
  );
}

import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { newDataKey, openShare, sealBid, sealFile, sealedFileRef, softwareSigner, type SealedBid, type SealedFile } from "../../../plugins/etrading/sealed";
import { CUSTODIANS, packageOf, publishedTender, registerCustodianKeys, startBidsWorld, stopBidsWorld, submit, type BidsWorld } from "./bids-support";

/**
 * A bid's large files (issue 18: "large files go up earlier, in chunks that resume"): sealed in the
 * browser with the bid's data key, uploaded in chunks through core's resumable uploads, named with
 * their hashes in the signed bid, and opened with the bid at the opening, not before.
 */
describe("etrading bid files", () => {
  let w: BidsWorld;
  beforeAll(async () => {
    w = await startBidsWorld();
  });
  afterAll(() => stopBidsWorld(w));
  afterEach(() => w.platform.kernel.clock.reset());

  const KiB = 1024;
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const hourAhead = () => new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
  const api = (path: string, token: string, init: { method?: string; body?: unknown; raw?: Buffer } = {}) =>
    w.platform.api(path, { ...init, token, headers: init.raw ? { "content-type": "application/octet-stream" } : {} });

  /** A chunk whose connection breaks after `sent` bytes of it. */
  function brokenPut(token: string, id: string, offset: number, bytes: Uint8Array, sent: number): Promise<void> {
    return new Promise((resolve) => {
      const req = http.request(new URL(`${w.platform.baseUrl}/api/files/uploads/${id}?offset=${offset}`), {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(bytes.length) },
      });
      req.on("error", () => resolve());
      req.write(bytes.subarray(0, sent), () => setImmediate(() => (req.destroy(), resolve())));
    });
  }

  /** What supplier i's browser does with a large file: seal it with the bid's data key, send it in chunks, resume after a break. */
  async function uploadSealed(i: number, tender: string, dataKey: Uint8Array, name: string, plain: Uint8Array, opts: { finish?: boolean; chunk?: number } = {}): Promise<{ ref: SealedFile; sessionId: string }> {
    const token = w.suppliers[i];
    const sealed = sealFile(dataKey, tender, name, plain);
    const chunk = opts.chunk ?? 128 * KiB;
    const made = await api("/api/files/uploads", token, { method: "POST", body: { name: `${name}.sealed`, size: sealed.length, sha256: sha(sealed), encrypted: true } });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    await brokenPut(token, id, 0, sealed.subarray(0, chunk), chunk / 2);
    let offset = (await api(`/api/files/uploads/${id}`, token)).body.offset as number;
    expect(offset).toBe(0);
    while (offset < sealed.length) {
      const r = await api(`/api/files/uploads/${id}?offset=${offset}`, token, { method: "PUT", raw: Buffer.from(sealed.subarray(offset, offset + chunk)) });
      expect(r.status).toBe(200);
      offset = r.body.offset;
      if (opts.finish === false && offset >= chunk) break;
    }
    if (opts.finish === false) return { ref: sealedFileRef(id, name, sealed), sessionId: id };
    const done = await api(`/api/files/uploads/${id}/finish`, token, { method: "POST" });
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ sha256: sha(sealed), type: "application/octet-stream" });
    return { ref: sealedFileRef(done.body.id, name, sealed), sessionId: id };
  }

  async function sealWithFiles(i: number, tender: string, dataKey: Uint8Array, files: SealedFile[], price = "398000.00"): Promise<SealedBid> {
    const s = (await api(`/api/etrading/tenders/${tender}/sealing`, w.suppliers[i])).body as { custodians: Array<{ id: string; publicKey: string }>; threshold: number };
    return sealBid({ tenderId: tender, package: packageOf(price), custodians: s.custodians, threshold: s.threshold, signer: softwareSigner(w.signingKeys[i]), dataKey, files });
  }

  test("an interrupted upload resumes; the bid names the file; it opens with the bid at the opening and not before", async () => {
    const deadline = hourAhead();
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const dataKey = newDataKey();
    const plan = randomBytes(300 * KiB);
    const { ref } = await uploadSealed(0, tender, dataKey, "施工组织设计.pdf", plan);
    const bid = await sealWithFiles(0, tender, dataKey, [ref]);
    const sent = await submit(w, 0, tender, bid);
    expect(sent.status).toBe(201);
    const bidId = sent.body.receipt.bidId as string;
    expect((await w.platform.kernel.db.knex("etrading_bids").where({ id: bidId }).first()).files).toEqual([ref]);

    // held for the tender: the day-old clean-up of unattached uploads leaves it
    await w.platform.kernel.files.cleanup(0);
    expect(await w.platform.kernel.db.knex("core_files").where({ id: ref.fileId }).first()).toBeDefined();

    // before the deadline: nobody else gets the bytes, and the bid's file does not open
    expect((await api(`/api/files/${ref.fileId}`, w.tokens.purchaser)).status).toBe(404);
    const early = await api(`/api/etrading/tenders/${tender}/bids/${bidId}/files/0`, w.tokens.purchaser);
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({ rule: "tender.sealedUntilOpening" });

    // after the deadline, before the custodians act: still sealed
    w.platform.kernel.clock.travelTo(deadline);
    const sealedStill = await api(`/api/etrading/tenders/${tender}/bids/${bidId}/files/0`, w.tokens.purchaser);
    expect(sealedStill.status).toBe(409);
    expect(sealedStill.body.error.details).toEqual({ rule: "bid-not-opened", outcome: "pending" });

    for (const c of CUSTODIANS.slice(0, 2)) {
      const f = await api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, w.tokens[c]);
      const shares = f.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
      expect((await api(`/api/etrading/tenders/${tender}/opening/shares`, w.tokens[c], { method: "POST", body: { custodian: c, shares } })).status).toBe(200);
    }
    const opened = await fetch(`${w.platform.baseUrl}/api/etrading/tenders/${tender}/bids/${bidId}/files/0`, { headers: { authorization: `Bearer ${w.tokens.purchaser}` } });
    expect(opened.status).toBe(200);
    expect(opened.headers.get("content-disposition")).toContain(encodeURIComponent("施工组织设计.pdf"));
    expect(Buffer.from(await opened.arrayBuffer()).equals(plan)).toBe(true);
    // another bidder does not read it; the one that sealed it does
    expect((await api(`/api/etrading/tenders/${tender}/bids/${bidId}/files/0`, w.suppliers[1])).status).toBe(404);
    expect((await api(`/api/etrading/tenders/${tender}/bids/${bidId}/files/0`, w.suppliers[0])).status).toBe(200);
  });

  test("a file not finished, another supplier's, or other bytes than the hash signed: the bid is refused and nothing is written", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const keyOf0 = newDataKey();
    const { ref: theirs } = await uploadSealed(0, tender, keyOf0, "图纸.pdf", randomBytes(40 * KiB));

    const dataKey = newDataKey();
    const { ref: unfinished } = await uploadSealed(1, tender, dataKey, "报价明细.xlsx", randomBytes(300 * KiB), { finish: false });
    const notDone = await submit(w, 1, tender, await sealWithFiles(1, tender, dataKey, [unfinished]));
    expect(notDone.status).toBe(400);
    expect(notDone.body.error.details).toEqual([expect.objectContaining({ path: "/bid/files/0", rule: "unfinished" })]);

    const stolen = await submit(w, 1, tender, await sealWithFiles(1, tender, dataKey, [theirs]));
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details).toEqual([expect.objectContaining({ path: "/bid/files/0", rule: "attachment" })]);

    const { ref: own } = await uploadSealed(1, tender, dataKey, "资质证明.pdf", randomBytes(20 * KiB));
    const swapped = await submit(w, 1, tender, await sealWithFiles(1, tender, dataKey, [{ ...own, sha256: theirs.sha256 }]));
    expect(swapped.status).toBe(400);
    expect(swapped.body.error.details).toEqual([expect.objectContaining({ path: "/bid/files/0", rule: "sha256" })]);

    expect(await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender, supplier_code: "91441300MA00000002" })).toEqual([]);
    expect(await w.platform.kernel.db.knex("core_file_holds").whereIn("file_id", [theirs.fileId, own.fileId])).toEqual([]);
  });

  test("a file's reference changed after signing breaks the bid's signature", async () => {
    const tender = await publishedTender(w, hourAhead());
    await registerCustodianKeys(w, tender);
    const dataKey = newDataKey();
    const { ref } = await uploadSealed(2, tender, dataKey, "方案.pdf", randomBytes(20 * KiB));
    const bid = await sealWithFiles(2, tender, dataKey, [ref]);
    const r = await submit(w, 2, tender, { ...bid, files: [{ ...ref, name: "另一个.pdf" }] });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ path: "/signature", rule: "signature" });
  });
});

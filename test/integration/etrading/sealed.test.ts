import { gcm } from "@noble/ciphers/aes";
import { combine } from "shamir-secret-sharing";
import { fromBase64, hexToBytes, openBid, openShare, type SealedBid } from "../../../plugins/etrading/sealed";
import { packageOf, publishedTender, registerCustodianKeys, sealAs, startBidsWorld, stopBidsWorld, submit, type BidsWorld } from "./bids-support";

/**
 * The issue's proof: someone with the whole database and every secret the server keeps cannot read a
 * sealed bid before the custodians act; with k custodians' shares it opens.
 */
describe("etrading sealed bids cannot be read before the custodians act", () => {
  let w: BidsWorld;
  beforeAll(async () => {
    w = await startBidsWorld();
  });
  afterAll(() => stopBidsWorld(w));
  afterEach(() => w.platform.kernel.clock.reset());

  /** Every row of every table of every schema the platform's database holds, as text and as byte strings. */
  async function wholeDatabase(): Promise<{ text: string; values: Array<string | Buffer> }> {
    const knex = w.platform.kernel.db.knex;
    const tables = (await knex.raw(`select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`)).rows as Array<{ table_schema: string; table_name: string }>;
    const values: Array<string | Buffer> = [];
    const walk = (v: unknown): void => {
      if (v === null || v === undefined) return;
      if (Buffer.isBuffer(v)) values.push(v);
      else if (typeof v === "string") values.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === "object" && !(v instanceof Date)) Object.values(v as Record<string, unknown>).forEach(walk);
      else values.push(String(v));
    };
    for (const t of tables) {
      for (const row of await knex.withSchema(t.table_schema).select("*").from(t.table_name)) walk(row);
    }
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["etrading_bids", "etrading_receipt_keys", "core_settings", "etrading_custodian_keys"]));
    return { text: values.map((v) => (Buffer.isBuffer(v) ? v.toString("latin1") : v)).join("\n"), values };
  }

  /** Every byte string of a given length that a value is, or encodes (hex, base64), and every such window of the raw bytes. */
  function candidates(values: Array<string | Buffer>, length: number): Uint8Array[] {
    const out = new Map<string, Uint8Array>();
    const add = (b: Uint8Array | undefined) => {
      if (b && b.length === length) out.set(Buffer.from(b).toString("hex"), b);
    };
    const fromString = (s: string) => {
      for (const m of s.match(/[0-9a-f]+/gi) ?? []) if (m.length === length * 2) add(hexToBytes(m.toLowerCase()));
      for (const m of s.match(/[A-Za-z0-9+/]+={0,2}/g) ?? []) add(fromBase64(m));
    };
    for (const v of values) {
      if (typeof v === "string") {
        fromString(v);
        try {
          // JSON columns hold strings of their own
          JSON.stringify(JSON.parse(v), (_k, x) => (typeof x === "string" ? (fromString(x), x) : x));
        } catch {
          /* not JSON */
        }
      } else if (v.length <= 4096) {
        for (let i = 0; i + length <= v.length; i++) add(v.subarray(i, i + length));
      }
    }
    return [...out.values()];
  }

  test("with every table row and every server secret, no key opens the bid and no plaintext shows; with 2 custodians' shares it opens", async () => {
    const deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
    const tender = await publishedTender(w, deadline);
    await registerCustodianKeys(w, tender);
    const secretNote = "独有技术方案ZX-7741：夜间自适应调光";
    const pkg = packageOf("387654.32", secretNote);
    const bid = await sealAs(w, 0, tender, pkg);
    const r = await submit(w, 0, tender, bid);
    expect(r.status).toBe(201);

    const { text, values } = await wholeDatabase();
    const serverSecrets = [process.env.AUTH_SECRET, JSON.stringify(w.platform.kernel.config)].filter((s): s is string => typeof s === "string");
    const all = [...values, ...serverSecrets];
    const haystack = [text, ...serverSecrets].join("\n");

    // nothing of the plaintext, in any encoding the package uses
    for (const needle of ["387654.32", "ZX-7741", secretNote, pkg.files[0].content.slice(0, 24), Buffer.from(secretNote).toString("hex").slice(0, 24)]) {
      expect([needle, haystack.includes(needle)]).toEqual([needle, false]);
    }

    // the stored bid is what was sent, and it is the only copy
    const row = await w.platform.kernel.db.knex("etrading_bids").where({ tender_id: tender }).first();
    const ciphertext = new Uint8Array(row.ciphertext);
    const nonce = hexToBytes(row.nonce);
    const aad = new TextEncoder().encode(`gd-sealed-bid/1|package|${tender}`);

    // every 32-byte value the server has, taken as the data key, fails the AEAD tag
    const keys = candidates(all, 32);
    // the search reaches the server's own secrets: the receipt key is among the keys tried
    const receiptKey = (await w.platform.kernel.db.knex("etrading_receipt_keys").first()).private_key as string;
    expect(keys.map((k) => Buffer.from(k).toString("hex"))).toContain(receiptKey);
    let opened = 0;
    for (const k of keys) {
      try {
        gcm(k, nonce, aad).decrypt(ciphertext);
        opened++;
      } catch {
        /* the tag does not match: not the key */
      }
    }
    expect(opened).toBe(0);

    // every pair of 33-byte values the server has, taken as key shares, rebuilds no key that opens it
    const shareLike = candidates(all, 33).slice(0, 300);
    let pairs = 0;
    for (let i = 0; i < shareLike.length; i++) {
      for (let j = i + 1; j < shareLike.length && pairs < 20_000; j++) {
        if (shareLike[i][32] === shareLike[j][32]) continue;
        pairs++;
        const key = await combine([shareLike[i], shareLike[j]]).catch(() => null);
        if (!key) continue;
        let ok = false;
        try {
          gcm(key, nonce, aad).decrypt(ciphertext);
          ok = true;
        } catch {
          /* not the key */
        }
        expect(ok).toBe(false);
      }
    }

    // the custodians act after the deadline: two of them, each in its own browser, and it opens
    w.platform.kernel.clock.travelTo(deadline);
    const shares: string[] = [];
    for (const c of ["agency", "supervisor"] as const) {
      const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
      expect(f.status).toBe(200);
      shares.push(openShare(f.body.bids[0] as Pick<SealedBid, "tenderId" | "shares">, c, w.keys[c].privateKey));
    }
    await expect(openBid(bid, shares)).resolves.toEqual(pkg);
    // and through the server, the opening record reads the price
    for (const [i, c] of (["agency", "supervisor"] as const).entries()) {
      const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens[c], body: { custodian: c, shares: [{ bidId: r.body.receipt.bidId, share: shares[i] }] } });
      expect(f.status).toBe(200);
    }
    const record = await w.platform.api(`/api/etrading/tenders/${tender}/opening`, { token: w.tokens.purchaser });
    expect(record.body.bids).toEqual([expect.objectContaining({ bidId: r.body.receipt.bidId, outcome: "opened", price: "387654.32" })]);

    // the same search over the database now finds the handed-in shares, and they open the bid: it
    // would have found a key or shares had the server kept any before
    const later = candidates((await wholeDatabase()).values, 33).map((b) => Buffer.from(b).toString("base64"));
    expect(later).toEqual(expect.arrayContaining(shares));
  });
});

/**
 * `npm run bench -- --only emall-auction`: issue 21's reverse-auction figure. AUCTION_SUPPLIERS
 * (200) admitted suppliers, each signed in and joined to one auction's room (`emall.auctions.join`)
 * from a separate process, quote AUCTION_QUOTES (3) times each at random instants of the auction's
 * last AUCTION_WINDOW_S (30) seconds, through the API (POST /api/emall/auctions/:id/quotes: the
 * commodities check, the per-auction lock, the ranking, the `sockets.room` broadcast). For each
 * accepted quote: the time from its acceptance (the server's instant in the answer) to the last of
 * the participants receiving the lowest price it made (p50, p99). Then the same number of bare
 * socket.io emits to the same room of the same server at the same pace, the baseline. Last, the
 * auction's final ranking is checked against the answers (last quote of each, lowest, earliest).
 *
 *   AUCTION_SUPPLIERS   suppliers quoting (200; --smoke 20)
 *   AUCTION_QUOTES      quotes per supplier (3; --smoke 2)
 *   AUCTION_WINDOW_S    the window they quote in (30; --smoke 2)
 *
 * Goal: p99 < 250 ms to every participant. Exits 0 whatever the figures are.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { io, type Socket } from "socket.io-client";
import { readConfig } from "../../core/config";
import { startKernel, type Kernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { pluginRoom } from "../../core/gateway/plugin-rooms";
import type { LiveSockets } from "../../core/gateway/sockets";
import { auctionRoom, ranking } from "../../plugins/emall/services/auctions";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, pluginsDirOf, sleep, table, writeSummary } from "./lib";

const SMOKE = process.argv.includes("--smoke");
const SUPPLIERS = Math.round(envNumber("AUCTION_SUPPLIERS", SMOKE ? 20 : 200));
const QUOTES = Math.round(envNumber("AUCTION_QUOTES", SMOKE ? 2 : 3));
const WINDOW_S = envNumber("AUCTION_WINDOW_S", SMOKE ? 2 : 30);
const TARGET_P99_MS = 250;
/** a moment for the last push to arrive (more than any p99 seen) before the arrivals are read */
const SETTLE_MS = SMOKE ? 300 : 500;

const now = () => performance.timeOrigin + performance.now();
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

export interface AuctionPhase {
  name: string;
  pushes: number;
  /** deliveries received of pushes × participants */
  delivered: number;
  /** per push: from the quote's acceptance (or the bare emit) to the last participant receiving it */
  toAllP50: number;
  toAllP99: number;
}

export interface AuctionSummary {
  suppliers: number;
  quotes: number;
  windowS: number;
  refused: number;
  platform: AuctionPhase;
  bare: AuctionPhase;
  rankingCorrect: boolean;
  targetP99Ms: number;
  smoke: boolean;
}

// ------------------------------------------------------------------------------------------ clients

/** The participants' process: connects and joins every token, then records when each push arrives. */
async function clients(file: string, baseUrl: string, auctionId: string): Promise<void> {
  const tokens = JSON.parse(fs.readFileSync(file, "utf8")) as string[];
  const say = (msg: unknown) => process.stdout.write(`@@${JSON.stringify(msg)}\n`);
  const arrivals = new Map<string, Map<number, number[]>>();
  const record = (phase: string, seq: number) => {
    const byPhase = arrivals.get(phase) ?? new Map<number, number[]>();
    arrivals.set(phase, byPhase);
    byPhase.set(seq, [...(byPhase.get(seq) ?? []), now()]);
  };
  const sockets: Socket[] = [];
  let refused = 0;
  for (let i = 0; i < tokens.length; i += 100) {
    await Promise.all(
      tokens.slice(i, i + 100).map((token) => {
        const s = io(baseUrl, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
        s.on("lowest", (m: { seq: number }) => record("platform", m.seq));
        s.on("bare", (b: { seq: number }) => record("bare", b.seq));
        sockets.push(s);
        return new Promise<void>((resolve, reject) => {
          s.once("connect_error", reject);
          s.once("ready", () =>
            s.emit("join", { action: "emall.auctions.join", params: { id: auctionId } }, (answer: { error?: unknown }) => {
              if (answer?.error) refused++;
              resolve();
            }),
          );
        });
      }),
    );
  }
  say({ ready: sockets.length, refused });
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { result?: string; quit?: boolean };
    if (cmd.result) say({ arrivals: Object.fromEntries([...(arrivals.get(cmd.result) ?? new Map()).entries()]) });
    if (cmd.quit) break;
  }
  sockets.forEach((s) => s.close());
  process.exit(0);
}

// ------------------------------------------------------------------------------------------ server

function phaseOf(name: string, sent: Map<number, number>, arrivals: Record<string, number[]>): AuctionPhase {
  const toAll: number[] = [];
  let delivered = 0;
  for (const [seq, at] of sent) {
    const got = arrivals[seq] ?? [];
    delivered += got.length;
    toAll.push(got.length >= SUPPLIERS ? Math.max(...got) - at : Infinity);
  }
  toAll.sort((a, b) => a - b);
  return { name, pushes: sent.size, delivered, toAllP50: percentile(toAll, 50), toAllP99: percentile(toAll, 99) };
}

async function main(): Promise<void> {
  const db = await benchDatabase("bench_emall_auction");
  const pluginsDir = pluginsDirOf("auction", ["registries", "supervision", "etrading", "commodities", "emall"]);
  const kernel: Kernel = await startKernel(
    { ...readConfig({ LOG_LEVEL: "warn", PLUGINS_DIR: pluginsDir, FORMS_DIR: path.join(ROOT, "forms") }), port: 0, host: "127.0.0.1", databaseUrl: db.url, demoAccounts: false, deadlineCheckMs: 3_600_000, initAdminPassword: "Bench-Keeper-Lantern-2026" },
    () => {},
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gdp-bench-auction-"));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const gateway = kernel.broker.getLocalService("gateway") as unknown as { server: import("node:http").Server; sockets: LiveSockets };
    const baseUrl = `http://127.0.0.1:${(gateway.server.address() as import("node:net").AddressInfo).port}`;
    const knex = kernel.db.knex;

    // SUPPLIERS admitted dealers with an offer each in the category, and one auction whose last WINDOW_S seconds are measured
    const t0 = new Date();
    const codes = Array.from({ length: SUPPLIERS }, (_, i) => `91441300AU${String(i).padStart(8, "0")}`);
    await knex("commodities_admissions").insert(codes.map((code, i) => ({ supplier_code: code, supplier_name: `竞价基准供应商 ${i}`, role: "dealer", status: "admitted", created_at: t0, updated_at: t0 })));
    await knex("commodities_licences").insert(codes.map((code) => ({ supplier_code: code, kind: "营业执照", number: `L-${code}`, expires_on: "2099-12-31" })));
    const [product] = await knex("commodities_products").insert({ id: randomUUID(), category_code: "A02010104", brand: "同方", model: "超越E500", name: "同方台式计算机", attributes: JSON.stringify({}), specifications: "", created_by: "bench", created_at: t0 }).returning("*");
    const offers = codes.map((code, i) => ({
      id: randomUUID(), product_id: product.id, supplier_code: code, supplier_name: `竞价基准供应商 ${i}`, supplier_region: "441300", category_code: "A02010104", brand: "同方", price: "4900.00", stock: 100,
      regions: ["441300"], delivery_days: 3, warranty_months: 36, status: "active", flagged: false, search: "同方 超越e500", created_at: t0, updated_at: t0,
    }));
    await knex("commodities_offers").insert(offers);
    const auctionId = randomUUID();
    const endsAt = new Date(Date.now() + (WINDOW_S + 600) * 1000);
    await knex("emall_auctions").insert({
      id: auctionId, tenant_code: "441300", unit_code: "441300401", unit_name: "惠州市交通运输局", project_id: randomUUID(), plan_line: 0, title: "台式计算机网上竞价（基准）", requirements: "国产CPU",
      category_code: "A02010104", quantity: 100, max_unit_price: "5000.00", starts_at: t0, ends_at: endsAt, status: "bidding", created_at: t0,
    });
    const rows = await knex("core_accounts")
      .insert(codes.map((code, i) => ({ username: `bench.auction.${i}`, username_key: usernameKey(`bench.auction.${i}`), display_name: `supplier ${i}`, tenant_code: "441300", unit_code: code, roles: ["supplier"] })))
      .returning("*");
    const tokens: string[] = [];
    for (const row of rows) tokens.push((await kernel.identity.sessionFor(row)).token);
    const tokensFile = path.join(tmp, "tokens.json");
    fs.writeFileSync(tokensFile, JSON.stringify(tokens));

    console.log(`reverse auction: ${fmt(SUPPLIERS)} suppliers in one auction's room (a separate process), ${QUOTES} quotes each in ${WINDOW_S} s${SMOKE ? " (smoke)" : ""}`);
    console.log(`machine: ${machine()}; load ${load()}\n`);

    child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.relative(ROOT, __filename), "--clients", tokensFile, baseUrl, auctionId], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    const waiting: Array<{ ok: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("@@")) return;
      const msg = JSON.parse(line.slice(2)) as Record<string, unknown>;
      const i = waiting.findIndex((w) => w.ok(msg));
      if (i >= 0) waiting.splice(i, 1)[0].resolve(msg);
    });
    const next = (ok: (m: Record<string, unknown>) => boolean, timeoutMs: number) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the participants' process did not answer in time")), timeoutMs);
        waiting.push({ ok, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    const tell = (cmd: unknown) => child!.stdin!.write(JSON.stringify(cmd) + "\n");
    const hello = await next((m) => "ready" in m, 300_000);
    if (Number(hello.refused)) throw new Error(`${hello.refused} suppliers were refused at the auction's room`);

    // the quotes: each at a random instant of the window, a price on a coarse grid (ties happen)
    const plan = codes.flatMap((_, i) => Array.from({ length: QUOTES }, () => ({ i, after: Math.random() * WINDOW_S * 1000, price: (4000 + Math.floor(Math.random() * 20) * 25).toFixed(2) })));
    plan.sort((a, b) => a.after - b.after);
    const sentPlatform = new Map<number, number>();
    const accepted: Array<{ code: string; price: string; id: number; at: string }> = [];
    let refused = 0;
    const started = now();
    await Promise.all(plan.map(async (q) => {
      await sleep(Math.max(0, q.after - (now() - started)));
      const r = await fetch(`${baseUrl}/api/emall/auctions/${auctionId}/quotes`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens[q.i]}`, "content-type": "application/json" },
        body: JSON.stringify({ unitPrice: q.price, offerId: offers[q.i].id }),
      });
      const body = (await r.json()) as { quoteId: string; at: string };
      if (r.status !== 200) {
        refused++;
        return;
      }
      // acceptance: the server's instant, on this machine's clock
      sentPlatform.set(Number(body.quoteId), Date.parse(body.at));
      accepted.push({ code: codes[q.i], price: q.price, id: Number(body.quoteId), at: body.at });
    }));
    await sleep(SETTLE_MS);
    tell({ result: "platform" });
    const platformArrivals = (await next((m) => "arrivals" in m, 60_000)).arrivals as Record<string, number[]>;

    // the final ranking against the answers: the last quote of each, lowest first, a tie to the earliest
    const last = new Map<string, (typeof accepted)[number]>();
    for (const a of accepted) if (!last.has(a.code) || a.id > last.get(a.code)!.id) last.set(a.code, a);
    const expected = [...last.values()].sort((x, y) => Number(x.price) - Number(y.price) || x.at.localeCompare(y.at) || x.id - y.id).map((e) => `${e.code}@${e.price}`);
    const actual = (await ranking(knex, auctionId)).map((s) => `${s.supplier_code}@${Number(s.unit_price).toFixed(2)}`);
    const rankingCorrect = JSON.stringify(expected) === JSON.stringify(actual);

    // the baseline: bare socket.io emits to the same room, as many and at the same pace
    const sentBare = new Map<number, number>();
    const bareStarted = now();
    for (const [seq, q] of plan.entries()) {
      await sleep(Math.max(0, q.after - (now() - bareStarted)));
      sentBare.set(seq, now());
      gateway.sockets.users.to(pluginRoom(auctionRoom(auctionId))).emit("bare", { seq });
    }
    await sleep(SETTLE_MS);
    tell({ result: "bare" });
    const bareArrivals = (await next((m) => "arrivals" in m, 60_000)).arrivals as Record<string, number[]>;
    tell({ quit: true });
    await new Promise((resolve) => child!.once("exit", resolve));
    await sleep(200);

    const platform = phaseOf("platform", sentPlatform, platformArrivals);
    const bare = phaseOf("bare socket.io", sentBare, bareArrivals);
    console.log(
      "\n" +
        table(
          ["variant", "delivered", "to all p50 (ms)", "to all p99 (ms)"],
          [platform, bare].map((p) => [p.name, `${fmt(p.delivered)} / ${fmt(p.pushes * SUPPLIERS)}`, fmt(p.toAllP50, 1), fmt(p.toAllP99, 1)]),
        ),
    );
    console.log(`\nquotes accepted ${fmt(accepted.length)}, refused ${fmt(refused)}; final ranking ${rankingCorrect ? "correct" : "WRONG"}`);
    console.log(`ratio to bare socket.io (to all, p99): ${fmt(platform.toAllP99 / bare.toAllP99, 2)}×; target p99 to all < ${TARGET_P99_MS} ms`);
    console.log(NOISE_NOTE);
    writeSummary({ suppliers: SUPPLIERS, quotes: accepted.length, windowS: WINDOW_S, refused, platform, bare, rankingCorrect, targetP99Ms: TARGET_P99_MS, smoke: SMOKE } satisfies AuctionSummary);
  } finally {
    child?.kill();
    await kernel.stop();
    await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--clients") void clients(process.argv[3], process.argv[4], process.argv[5]);
else
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    },
  );

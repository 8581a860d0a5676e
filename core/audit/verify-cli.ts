import fs from "node:fs";
import { parseArgs } from "node:util";
import type { Knex } from "knex";
import { readConfig } from "../config";
import { connectForTool } from "../db/tool";
import { verifyChain, type Anchor, type VerifyResult } from "./verify";

/**
 * `npm run audit:verify -- [--anchor <entryId>:<hash>]... [--anchors-from <log file>]... [--json]`:
 * checks the whole audit chain, every anchor in core_audit_anchors, and the anchors given (copies
 * kept outside the database: the "[audit] anchor <entryId> <hash>" lines of the platform's logs).
 * Progress goes to stderr, the verdict to stdout.
 * Exit 0: the chain verifies; 2: it is broken (the first broken entry is named); 1: it could not be
 * checked (no database, bad arguments).
 */
const TAG = "[audit:verify]";
const USAGE = `usage: npm run audit:verify -- [--anchor <entryId>:<hash>]... [--anchors-from <file>]... [--json]
  --anchor <entryId>:<hash>  an anchor kept outside the database (repeatable)
  --anchors-from <file>      every "[audit] anchor <entryId> <hash>" line of a file (the platform's logs)
  --json                     print the result as JSON`;

class UsageError extends Error {}

const count = (n: number) => n.toLocaleString("en-US");
const HASH = /^[0-9a-f]{64}$/;

function parseAnchor(text: string): Anchor {
  const m = /^(\d+)[: ]([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m) throw new UsageError(`--anchor ${text}: expected <entryId>:<hash>, the hash as 64 hexadecimal digits`);
  return { entryId: m[1], hash: m[2].toLowerCase(), source: `--anchor ${m[1]}:${m[2].toLowerCase().slice(0, 12)}…` };
}

function anchorsFrom(file: string): Anchor[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--anchors-from ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const found: Anchor[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /\[audit\] anchor (\d+) ([0-9a-f]{64})\b/.exec(line);
    if (m && HASH.test(m[2])) found.push({ entryId: m[1], hash: m[2], source: `${file}:${i + 1}` });
  });
  if (!found.length) throw new UsageError(`--anchors-from ${file}: no "[audit] anchor <entryId> <hash>" line in it`);
  return found;
}

function verdict(result: VerifyResult, anchors: { stored: number; given: number }): string {
  const checkedAnchors = `${count(anchors.stored)} stored anchor(s)${anchors.given ? ` and ${count(anchors.given)} given` : ""}`;
  if (result.ok) {
    const head = result.head ? `; head: entry ${result.head.id} (number ${result.head.seq}) ${result.head.hash}` : " (the log is empty)";
    const pending = result.unsealed ? `\n  ${count(result.unsealed)} newer entries (since ${result.oldestUnsealedAt}) are not sealed into the chain yet: checked once sealed` : "";
    return `OK: the audit chain verifies: ${count(result.checked)} entries and ${checkedAnchors}${head}${pending}`;
  }
  const b = result.broken!;
  const out = [`BROKEN at entry ${b.id} (${b.reason}): ${b.message}`];
  if (b.entry) out.push(`  entry ${b.id}: number ${b.entry.seq}, at ${b.entry.at}, action ${b.entry.action}, object ${b.entry.object}${b.entry.tenantCode ? `, tenant ${b.entry.tenantCode}` : ""}`);
  else out.push(`  entry ${b.id} is not in the table`);
  if (b.anchor) out.push(`  anchor: entry ${b.anchor.entryId} ${b.anchor.hash}${b.anchor.source ? ` (${b.anchor.source})` : ""}`);
  out.push(`  ${count(result.checked)} entries before it verify${result.head ? `, up to entry ${result.head.id}` : ""}`);
  return out.join("\n");
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        anchor: { type: "string", multiple: true, default: [] },
        "anchors-from": { type: "string", multiple: true, default: [] },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const given = [...values.anchor!.map(parseAnchor), ...values["anchors-from"]!.flatMap(anchorsFrom)];

  const knex: Knex = await connectForTool(readConfig(), { needs: "core_audit_anchors" });
  try {
    const [{ count: stored }] = (await knex("core_audit_anchors").count({ count: "*" })) as Array<{ count: string }>;
    const started = Date.now();
    let shownAt = 0;
    const result = await verifyChain(knex, {
      anchors: given,
      storedAnchors: true,
      onProgress({ checked, lastId, maxId }) {
        // at most a line a second; the end is the final line's to say (a small log has only that)
        if (Date.now() - shownAt < 1000 || lastId === maxId) return;
        shownAt = Date.now();
        const pct = Number(maxId) > 0 ? Math.min(100, Math.floor((Number(lastId) / Number(maxId)) * 100)) : 100;
        console.error(`${TAG} ${count(checked)} entries checked, up to entry ${lastId} of ${maxId} (${pct}%)`);
      },
    });
    console.error(`${TAG} ${count(result.checked)} entries checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    else process.stdout.write(verdict(result, { stored: Number(stored), given: given.length }) + "\n");
    return result.ok ? 0 : 2;
  } finally {
    await knex.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${TAG} ${err.message}\n${USAGE}`);
    else console.error(`${TAG} the audit log could not be checked: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);

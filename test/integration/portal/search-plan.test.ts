import type { Knex } from "knex";
import type { TestPlatform } from "../../support/kernel";
import { searchTerms } from "../../../plugins/portal/services/list-params";
import { filteredNotices } from "../../../plugins/portal/services/notice-store";
import { startPortalPlatform } from "./support";

/**
 * The search's figures (plugins/portal/README.md, "Search"): 5,000 notices of 20 cities × 20 units ×
 * 20 projects; each query's count explained as the planner chooses, with the index forced, without
 * indexes, and as ILIKE on the two columns. It prints the figures; it fails only if a query can no
 * longer use its index or the ways disagree on what matches.
 */
const ROWS = 5000;
const RUNS = 5;

const CITIES = ["广州市", "惠州市", "茂名市", "韶关市", "珠海市", "汕头市", "佛山市", "江门市", "湛江市", "肇庆市", "梅州市", "汕尾市", "河源市", "阳江市", "清远市", "东莞市", "中山市", "潮州市", "揭阳市", "云浮市"];
const UNITS = ["交通运输局", "教育局", "卫生健康委员会", "公安局", "人民医院", "第一中学", "财政局", "水务局", "住房和城乡建设局", "农业农村局", "自然资源局", "生态环境局", "市场监督管理局", "文化广电旅游体育局", "人力资源和社会保障局", "中医院", "妇幼保健院", "城市管理和综合执法局", "民政局", "应急管理局"];
const PROJECTS = ["道路养护服务", "办公设备", "信息化系统建设", "物业管理服务", "医疗设备", "校园安防工程", "绿化养护", "食堂食材配送", "车辆租赁", "审计服务", "电梯维保", "监控系统升级改造", "课桌椅", "图书", "法律顾问服务", "保洁服务", "网络安全等级保护测评", "空调设备", "印刷服务", "污水处理设施运维"];
const TYPES: Array<[string, string]> = [["intention", "采购意向公开"], ["tender", "公开招标公告"], ["result", "中标结果公告"], ["contract", "合同公告"]];

const QUERIES = ["局", "交通", "医院", "交通运输", "惠州市交通运输局", "网络安全等级保护"];

interface Plan {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: Plan[];
}

const indexesOf = (p: Plan): string[] => [...new Set([...(p["Index Name"] ? [p["Index Name"]] : []), ...(p.Plans ?? []).flatMap(indexesOf)])];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function explain(trx: Knex.Transaction, query: Knex.QueryBuilder): Promise<{ ms: number; indexes: string[]; count: number }> {
  const { sql, bindings } = query.toSQL();
  const [{ "QUERY PLAN": [result] }] = (await trx.raw(`explain (analyze, format json) ${sql}`, bindings)).rows;
  const count = Number((await trx.raw(sql, bindings)).rows[0].n);
  return { ms: result["Execution Time"], indexes: indexesOf(result.Plan), count };
}

describe("searching notices in Chinese", () => {
  let platform: TestPlatform;
  let knex: Knex;

  beforeAll(async () => {
    platform = await startPortalPlatform();
    knex = platform.kernel.db.knex;
    await knex.raw(
      `insert into portal_notices (instance_id, type, tenant_code, plugin, workflow_id, title, unit_name, version, published_at)
       select gen_random_uuid(), t.type, '441300', 'etrading', 'etrading.tender',
              c.city || u.unit || (2024 + n % 3) || '年' || p.project || '采购项目' || t.suffix, c.city || u.unit, 1, now() - n * interval '1 minute'
       from generate_series(1, ?) n
       cross join lateral (select (array[${CITIES.map(() => "?").join(",")}])[1 + (hashint4(n) & 1023) % 20] as city) c
       cross join lateral (select (array[${UNITS.map(() => "?").join(",")}])[1 + (hashint4(n * 7) & 1023) % 20] as unit) u
       cross join lateral (select (array[${PROJECTS.map(() => "?").join(",")}])[1 + (hashint4(n * 13) & 1023) % 20] as project) p
       cross join lateral (select x.type, x.suffix from (values ${TYPES.map(() => "(?, ?)").join(",")}) as x(type, suffix) offset n % 4 limit 1) t`,
      [ROWS, ...CITIES, ...UNITS, ...PROJECTS, ...TYPES.flat()],
    );
    // as autovacuum leaves a busy table: statistics, and the GIN indexes' pending entries merged
    await knex.raw("vacuum analyze portal_notices");
  });
  afterAll(() => platform?.stop());

  test(`on ${ROWS.toLocaleString("en")} notices: pairs serve 2-character words, trigrams longer ones, and both find exactly what ILIKE finds`, async () => {
    const lines = [
      `portal search, ${ROWS} notices: count of the matches, median of ${RUNS} runs, ms (EXPLAIN ANALYZE execution time)`,
      "query | chars | matches | planner's choice | its plan | with the index | without (LIKE, scan) | ILIKE on title, unit name (scan)",
    ];
    for (const q of QUERIES) {
      const terms = searchTerms(q);
      const ours = filteredNotices(knex, { terms }).count({ n: "*" });
      const pattern = `%${q}%`;
      const ilike = knex("portal_notices").whereNull("withdrawn_at").where((w) => w.where("title", "ilike", pattern).orWhere("unit_name", "ilike", pattern)).count({ n: "*" });
      const runs = { chosen: [] as number[], indexed: [] as number[], scan: [] as number[], ilike: [] as number[] };
      let chosen: string[] = [];
      let indexed: string[] = [];
      const counts = new Set<number>();
      const measure = async (trx: Knex.Transaction, query: Knex.QueryBuilder, into: number[]) => {
        const r = await explain(trx, query.clone());
        into.push(r.ms);
        counts.add(r.count);
        return r.indexes;
      };
      for (let i = 0; i < RUNS; i++) {
        const trx = await knex.transaction();
        try {
          chosen = await measure(trx, ours, runs.chosen);
          // Only the search indexes left (DDL is transactional: rolled back below), and no scan.
          await trx.raw("drop index portal_notices_newest, portal_notices_tenant_newest");
          await trx.raw("set local enable_seqscan = off");
          indexed = await measure(trx, ours, runs.indexed);
          await trx.raw("set local enable_seqscan = on");
          await trx.raw("set local enable_bitmapscan = off");
          await trx.raw("set local enable_indexscan = off");
          await measure(trx, ours, runs.scan);
          await measure(trx, ilike, runs.ilike);
        } finally {
          await trx.rollback();
        }
      }
      const chars = [...q].length;
      // Whether the planner takes an index at this size is its call; that it can is the design.
      expect([...counts]).toHaveLength(1);
      if (chars === 2) expect(indexed).toContain("portal_notices_search_pairs");
      if (chars >= 3) expect(indexed).toContain("portal_notices_search_trgm");
      const ms = (xs: number[]) => median(xs).toFixed(2);
      const plan = (xs: string[]) => xs.join(" + ") || "seq scan";
      lines.push(`${q} | ${chars} | ${[...counts][0]} | ${ms(runs.chosen)} | ${plan(chosen)} | ${chars === 1 ? "–" : ms(runs.indexed)} | ${ms(runs.scan)} | ${ms(runs.ilike)}`);
    }
    console.log(lines.join("\n"));
  });
});

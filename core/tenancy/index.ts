import path from "node:path";
import type { Knex } from "knex";
import type { PluginManifest } from "../plugins/types";
import { Clock } from "./clock";
import { ScheduleBook, type ScheduleEntry } from "./schedule";
import { loadModules, loadSchedules, loadSeedSchedules, loadTenantTree, seedSchedules, writeEntry, type ModuleCatalog } from "./store";
import type { TenantTree } from "./tree";

const TENANTS_DIR = path.resolve(__dirname, "../../tenants");

const trees = new Map<string, TenantTree>();
/** The tenant tree of <dir>/tenants.json (checked against its schema), loaded once per process. */
export function tenantTree(dir = TENANTS_DIR): TenantTree {
  const key = path.resolve(dir);
  let tree = trees.get(key);
  if (!tree) trees.set(key, (tree = loadTenantTree(key)));
  return tree;
}

/**
 * A node's view of tenants and their module schedules: the tree and module catalogue from
 * tenants/, the schedule book from PostgreSQL (seeded from tenants/schedules.json on the first
 * start), and the clock every gate decision reads.
 */
export class Tenancy {
  private current: ScheduleBook;
  /** reloads overlap (a refresh and an event): the result of an older read never replaces a newer one */
  private reads = 0;
  private applied = 0;

  private constructor(
    readonly tree: TenantTree,
    readonly modules: ModuleCatalog,
    readonly clock: Clock,
    private readonly knex: Knex,
  ) {
    this.current = new ScheduleBook(tree, []);
  }

  static async open(knex: Knex, plugins: PluginManifest[], dir = TENANTS_DIR, log: (line: string) => void = () => {}): Promise<Tenancy> {
    const tree = tenantTree(dir);
    const modules = loadModules(dir, plugins);
    const seed = loadSeedSchedules(dir, tree, modules);
    if (await seedSchedules(knex, seed)) log(`[tenancy] seeded ${seed.length} schedule entries from tenants/schedules.json`);
    const tenancy = new Tenancy(tree, modules, new Clock(), knex);
    await tenancy.reload();
    return tenancy;
  }

  book(): ScheduleBook {
    return this.current;
  }

  /** Puts an entry into a tenant's schedule (audited), then reads the schedules again. */
  async put(entry: ScheduleEntry, actor: { id: string; username: string }): Promise<void> {
    await writeEntry(this.knex, entry, actor);
    await this.reload();
  }

  /** Re-reads every schedule entry (a few hundred rows): after a change here or on another node. */
  async reload(): Promise<void> {
    const read = ++this.reads;
    const entries = await loadSchedules(this.knex);
    if (read < this.applied) return;
    this.applied = read;
    this.current = new ScheduleBook(this.tree, entries);
  }
}

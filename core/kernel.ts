import net from "node:net";
import path from "node:path";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { nodeIdOf, readConfig, type KernelConfig } from "./config";
import { platform } from "./platform";
import type { DestinationStream, Logger } from "pino";
import { createBroker, isClustered } from "./broker";
import { kernelMiddlewares } from "./broker/middlewares";
import { openDatabase, type Database } from "./db";
import { runMigrations, type MigrationUnit } from "./db/migrate";
import { discoverPlugins } from "./plugins/loader";
import { PluginRegistry } from "./plugins/registry";
import type { LoadedPlugin, PlatformServiceSchema, PluginManifest, PluginServiceThis } from "./plugins/types";
import { tenantTree, Tenancy } from "./tenancy";
import { tenancyService } from "./tenancy/service";
import type { Clock } from "./tenancy/clock";
import { Identity } from "./identity";
import { runDemos } from "./plugins/demo";
import { accountsService, authService } from "./identity/service";
import { gatewayService } from "./gateway";
import { moduleRefusal, type GateSources } from "./tenancy/gate";
import { loadWorkflows } from "./workflow/definition";
import { initialCredentialOf } from "./identity/credential";
import { RoleBook } from "./identity/roles";
import { WorkflowEngine } from "./workflow/engine";
import { collectHooks } from "./workflow/hooks";
import { workflowsService } from "./workflow/service";
import { startDeadlines } from "./workflow/timers";
import { enqueueAll, purgeEvents, startOutboxRelay, type OutboxRelay } from "./events";
import { listenConnection } from "./events/relay";
import { collectSubscriptions, EventQueue, withoutDurableEvents } from "./events/queue";
import { deadLettersService } from "./events/dead-letters";
import { auditService } from "./audit/service";
import { documentsService } from "./audit/documents";
import { notificationsService } from "./events/notifications";
import { startAnchoring, type Anchoring } from "./audit/anchors";
import { FormRegistry } from "./forms/registry";
import { formsService } from "./forms/service";
import { setFormClock } from "./forms/formats";
import { Files } from "./files/files";
import { filesService } from "./files/service";
import { PgBlobStore, S3BlobStore } from "./files/store";
import { Uploads, uploadsService } from "./files/uploads";
import { Metrics } from "./observability/metrics";
import { createRootLogger, moleculerLogger } from "./observability/log";
import { traceMiddleware } from "./observability/trace";
import { startTracing, type Tracing } from "./observability/otel";
import { startOpsServer, type Readiness } from "./observability/http";

export interface Kernel {
  config: KernelConfig;
  broker: ServiceBroker;
  db: Database;
  registry: PluginRegistry;
  tenancy: Tenancy;
  /** the time every schedule decision reads; tests travel with it */
  clock: Clock;
  /** accounts, sign-in, sessions and tokens */
  identity: Identity;
  /** forms: versions, tenants' overlays, submissions validated (core/forms) */
  forms: FormRegistry;
  /** the JSON workflows of every plugin */
  workflow: WorkflowEngine;
  /** attachments: uploads, downloads, what forms name, the clean-up (core/files) */
  files: Files;
  /** this node's outbox relay (core/events), unless OUTBOX_RELAY=off */
  outbox?: OutboxRelay;
  /** the job queue that delivers events to durable subscribers, with retries and dead letters (core/events/queue.ts) */
  queue: EventQueue;
  /** the kernel's own services (tenancy, ...), which run on every node */
  coreServices: PlatformServiceSchema[];
  /** plugins served by this node */
  local: LoadedPlugin[];
  /** whether this node serves HTTP */
  gateway: boolean;
  /** plugin name → ids of the nodes currently serving it, across the cluster */
  runningPlugins(): Map<string, string[]>;
  /** this node's Prometheus metrics (core/observability), unless METRICS=off */
  metrics?: Metrics;
  /** the node's structured log (pino), which the broker's loggers write to */
  logger: Logger;
  /** what GET /health/ready checks */
  readiness: Readiness;
  /** OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set */
  tracing?: Tracing;
  stop(): Promise<void>;
}

export interface KernelOptions {
  /** the root logger (main.ts makes it first, to log start-up); one is made from the config otherwise */
  logger?: Logger;
  /** where the made logger writes (tests capture it) */
  logDestination?: DestinationStream;
}

/** What start-up waits for, bounded: a transporter that cannot be reached fails the start with one line. */
async function within<T>(ms: number, work: Promise<T>, failure: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(failure()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** NATS_URL without credentials, for a message. */
const describeNats = (url?: string) => (url ?? "").split(",").map((u) => u.trim().replace(/\/\/[^@/]*@/, "//")).join(",");

export class StartupError extends Error {
  override name = "StartupError";
}

/** Which plugins (and whether the gateway) this node runs: SERVICES, or everything. */
export function selectServices(cfg: KernelConfig, registry: PluginRegistry): { plugins: LoadedPlugin[]; gateway: boolean } {
  if (!cfg.services) return { plugins: registry.plugins, gateway: true };
  const known = new Set(["gateway", ...registry.names()]);
  const unknown = cfg.services.filter((s) => !known.has(s));
  if (unknown.length) {
    throw new StartupError(`SERVICES names ${unknown.map((u) => `"${u}"`).join(", ")}, which is not installed; choose from: ${[...known].join(", ")}`);
  }
  return {
    plugins: registry.plugins.filter((p) => cfg.services!.includes(p.manifest.name)),
    gateway: cfg.services.includes("gateway"),
  };
}

/**
 * What the kernel adds to a plugin's actions: reads, being idempotent, are retried on another node
 * (in a cluster) when one fails; every action of a gated plugin carries its `module`, which the
 * module gate reads.
 */
export function kernelActions(svc: PlatformServiceSchema, cfg: KernelConfig, manifest?: PluginManifest): PlatformServiceSchema["actions"] {
  const retryReads = isClustered(cfg);
  const module = manifest && manifest.gated !== false ? manifest.name : undefined;
  return Object.fromEntries(
    Object.entries(svc.actions ?? {}).map(([name, a]) => [
      name,
      { ...(retryReads && a.kind === "read" ? { retryPolicy: { enabled: true } } : {}), ...a, ...(module ? { module } : {}) },
    ]),
  );
}

function withKernel(svc: PlatformServiceSchema, kernel: Kernel, plugin: LoadedPlugin): ServiceSchema {
  return {
    ...withoutDurableEvents(svc),
    actions: kernelActions(svc, kernel.config, plugin.manifest),
    mixins: [
      {
        created(this: PluginServiceThis) {
          this.db = kernel.db.knex;
          this.plugin = plugin.manifest;
          this.extensions = kernel.registry;
        },
      },
      ...(svc.mixins ?? []),
    ],
  } as unknown as ServiceSchema;
}

/** moleculer-web only logs a failed listen and never finishes starting: find out first. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new StartupError(`port ${port} is already in use by another program; set PORT to a free port (e.g. PORT=${port + 1} npm start)`)
          : new StartupError(`cannot listen on ${host}:${port}: ${err.message}`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function startKernel(cfg: KernelConfig = readConfig(), log: (line: string) => void = console.log, opts: KernelOptions = {}): Promise<Kernel> {
  const registry = new PluginRegistry(discoverPlugins(cfg.pluginsDir, cfg.pluginPaths));
  // Roles and the first-password rule are the plugins' to declare: a clash stops start-up here.
  const roles = new RoleBook(registry.plugins.map((p) => p.manifest));
  const credential = initialCredentialOf(registry);
  const selection = selectServices(cfg, registry);
  const tenantsDir = path.join(cfg.rootDir, "tenants");
  // Read before the database starts: a bad tenants/ file stops start-up at once.
  const tree = tenantTree(tenantsDir);
  if (selection.gateway) await assertPortFree(cfg.host, cfg.port);
  const db = await openDatabase(cfg, log);
  const nodeID = nodeIdOf(cfg);
  const logger = opts.logger ?? createRootLogger({ level: cfg.logLevel, format: cfg.logFormat, node: nodeID, destination: opts.logDestination });
  const metrics = cfg.metrics ? new Metrics(nodeID) : undefined;
  const tracing = cfg.otlpEndpoint ? startTracing({ endpoint: cfg.otlpEndpoint, serviceName: platform.id, node: nodeID }) : undefined;
  tracing?.watch(db.knex);
  let started = false;
  let stopping = false;
  let broker: ServiceBroker | undefined;
  let relay: OutboxRelay | undefined;
  let queue: EventQueue | undefined;
  try {
    const units: MigrationUnit[] = [
      { name: "core", directory: path.join(__dirname, "db", "migrations") },
      ...selection.plugins
        .filter((p) => p.manifest.migrations)
        .map((p) => ({ name: p.manifest.name, directory: path.join(p.dir, p.manifest.migrations!) })),
    ];
    await runMigrations(db.knex, units, log);
    const manifests = registry.plugins.map((p) => p.manifest);
    const tenancy = await Tenancy.open(db.knex, manifests, tenantsDir, log);
    const identity = await Identity.open(db.knex, tree, tenancy.clock, cfg, log, { roles, credential }, path.join(tenantsDir, "demo-accounts.csv"));
    const forms = await FormRegistry.open(db.knex, manifests, { tree, formsDir: cfg.formsDir, log });
    // a form's "today" (a payment date, an expected month) is the platform's, as schedules are
    setFormClock(() => tenancy.clock.nowMs());
    // attachments: their bytes on this database, or in an S3-compatible bucket (core/files)
    const files = new Files({
      knex: db.knex,
      store: cfg.filesStore === "s3" ? new S3BlobStore(cfg.filesS3!) : new PgBlobStore(db.knex),
      maxBytes: cfg.filesMaxBytes,
      types: cfg.filesTypes,
      formOf: (ref) => forms.formOf(ref),
      log,
    });
    // large files in chunks that resume, finished into an ordinary upload (core/files/uploads.ts)
    const uploads = new Uploads(files);
    const gate: GateSources = {
      book: () => tenancy.book(),
      clock: tenancy.clock,
      moduleTitle: (m) => tenancy.modules.titles.get(m) ?? { "zh-CN": m, en: m },
      rootTenant: tree.root().code,
    };
    // a provider of an extension point whose plugin the caller's tenant has not switched on is not offered
    registry.gateWith((plugin, kind, user) => registry.get(plugin)?.gated === false || !moduleRefusal(gate, plugin, kind, user));
    metrics?.attach({ knex: db.knex, nowMs: () => tenancy.clock.nowMs(), tenants: new Set(tree.tenants.map((t) => t.code)) });
    const node = (broker = createBroker(
      cfg,
      // the trace fields outermost, so that the metrics' and the gates' logs carry them too
      [traceMiddleware(), ...(tracing ? [tracing.middleware()] : []), ...(metrics ? [metrics.middleware()] : []), ...kernelMiddlewares(() => manifests, tree, gate, () => db.knex)],
      { logger: moleculerLogger(logger, cfg.logLevel, registry.plugins.flatMap((p) => p.manifest.secretFields ?? [])) },
    ));
    // Every node runs every plugin's workflows (the generic API may be asked on any gateway), and
    // checks each against its plugin's module schedule.
    const workflows = loadWorkflows(registry.plugins, cfg.formsDir, (id) => forms.has(id), cfg.rootDir, roles);
    const workflow = new WorkflowEngine({
      knex: db.knex,
      workflows,
      hooks: collectHooks(registry.plugins, workflows),
      forms: { validate: (formId, tenantCode, data) => forms.validateSubmission<Record<string, unknown>>(formId, tenantCode, data) },
      publish: enqueueAll,
      scheduleTimers: (trx, timers) => queue!.scheduleTimers(trx, timers),
      attachments: files,
      clock: tenancy.clock,
      moduleCheck: (plugin, kind, user, place) => (registry.get(plugin)?.gated === false ? null : moduleRefusal(gate, plugin, kind, user, place)),
    });
    const coreServices = [
      tenancyService(tenancy),
      formsService(forms),
      authService(identity),
      accountsService(identity),
      workflowsService(workflow),
      auditService(db.knex),
      documentsService(db.knex),
      notificationsService({ knex: db.knex, tree }),
      filesService(files),
      uploadsService(uploads),
    ];
    // Every installed plugin's subscribers, served here or not: the relay queues each its copy.
    const subscriptions = collectSubscriptions([...coreServices, ...registry.plugins.flatMap((p) => p.manifest.services)]);
    const events = (queue = new EventQueue({
      knex: db.knex,
      connection: listenConnection({ knex: db.knex, databaseUrl: cfg.databaseUrl }),
      subscriptions,
      log,
      retryLimit: cfg.eventRetryLimit,
      retryDelaySeconds: cfg.eventRetryDelaySeconds,
      expireInSeconds: cfg.eventExpireSeconds,
      maintenanceIntervalSeconds: cfg.queueMaintenanceSeconds,
    }));
    await events.start();
    // uploads no submitted form named, a day on (core/files)
    await files.startCleanup(events.boss);
    await uploads.startCleanup(events.boss);
    coreServices.push(deadLettersService(db.knex, events));
    // A session revoked here stops working on every node at once (and within seconds on one that
    // missed the event: Sessions re-reads what it caches).
    identity.sessions.onRevoked = (ids) => void node.broadcast("identity.sessions.revoked", { ids }).catch(() => {});
    const kernel: Kernel = {
      config: cfg,
      broker: node,
      db,
      registry,
      tenancy,
      clock: tenancy.clock,
      identity,
      forms,
      workflow,
      files,
      queue: events,
      coreServices,
      local: selection.plugins,
      gateway: selection.gateway,
      runningPlugins() {
        const out = new Map<string, string[]>();
        const services = node.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as Array<{ name: string; nodeID: string }>;
        for (const s of services) {
          const plugin = s.name.split(".")[0];
          if (!registry.get(plugin)) continue;
          const nodes = out.get(plugin) ?? [];
          if (!nodes.includes(s.nodeID)) nodes.push(s.nodeID);
          out.set(plugin, nodes.sort());
        }
        return out;
      },
      metrics,
      logger,
      tracing,
      readiness: {
        async checks() {
          const database = await db.ping(2000);
          return {
            started: started && !stopping,
            migrations: started,
            database,
            transporter: isClustered(cfg) ? !!node.transit?.connected : true,
          };
        },
      },
      async stop() {
        // not ready from the first moment: a load balancer stops sending while what is in flight drains
        stopping = true;
        // A balancer only notices at its next check: until then it still sends, so keep serving.
        if (cfg.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, cfg.shutdownDelayMs));
        await new Promise<void>((resolve) => (opsServer ? opsServer.close(() => resolve()) : resolve()));
        clearInterval(purge);
        await deadlines?.stop();
        await anchoring?.stop();
        await kernel.outbox?.stop();
        await events.stop();
        await node.stop();
        await db.close();
        // the last spans, flushed
        await tracing?.shutdown().catch(() => {});
      },
    };
    let deadlines: { stop(): Promise<void> } | undefined;
    let anchoring: Anchoring | undefined;
    let purge: NodeJS.Timeout | undefined;
    let opsServer: import("node:http").Server | undefined;
    // Core services call extension points too (core/access/units.ts: the units plugins keep).
    const withExtensions = { created(this: PluginServiceThis) { this.extensions = registry; } };
    for (const svc of coreServices) node.createService({ ...withoutDurableEvents(svc), mixins: [withExtensions, ...(svc.mixins ?? [])] } as unknown as ServiceSchema);
    for (const plugin of selection.plugins) {
      for (const svc of plugin.manifest.services) node.createService(withKernel(svc, kernel, plugin));
    }
    // A NATS that cannot be reached would have Moleculer retry for ever: start-up gives up instead.
    await within(cfg.transporterConnectTimeoutMs, node.start(), () =>
      new StartupError(`cannot reach the transporter at ${describeNats(cfg.natsUrl)} within ${cfg.transporterConnectTimeoutMs / 1000} s; check NATS_URL and that nats-server runs`),
    );
    await events.work(node);
    // Demonstration data (first start on the embedded defaults) is made through the platform's own
    // actions, on a clock set in the past, before the gateway lets anybody in.
    if (cfg.demoAccounts) await runDemos({ knex: db.knex, broker: node, identity, clock: tenancy.clock, plugins: selection.plugins, log, fireDue: () => workflow.fireDue(`${node.nodeID}:demo`, 100) });
    if (selection.gateway) {
      const gateway = node.createService(gatewayService(kernel));
      await node.waitForServices(gateway.name);
    }
    // Each timer is a job that starts when it is due; the sweep is the backstop (engine.ts).
    await events.workTimers((id) => workflow.fireTimer(id, node.nodeID));
    deadlines = startDeadlines(workflow, { node: node.nodeID, everyMs: cfg.deadlineCheckMs, log });
    // Every node takes part; they take turns through a lock.
    anchoring = startAnchoring(db.knex, { everyMs: cfg.auditAnchorEveryMs, log });
    // After the services are registered (and, in a cluster, the other nodes had time to appear):
    // committed events are published from here on.
    if (cfg.outboxRelay) {
      kernel.outbox = relay = startOutboxRelay({ knex: db.knex, broker: node, log, pollMs: cfg.outboxPollMs, settleMs: isClustered(cfg) ? 5000 : 0, queue: events });
    }
    // Published events and their receipts are kept 30 days.
    purge = setInterval(() => void purgeEvents(db.knex, { olderThanDays: 30 }).catch((err: Error) => log(`[events] purge: ${err.message}`)), 86_400_000);
    purge.unref();
    if (cfg.metricsPort !== undefined) opsServer = await startOpsServer({ metrics, metricsToken: cfg.metricsToken, readiness: kernel.readiness }, cfg.metricsHost, cfg.metricsPort);
    started = true;
    return kernel;
  } catch (err) {
    await relay?.stop().catch(() => {});
    await queue?.stop().catch(() => {});
    // a broker still trying to reach NATS may not stop promptly: the start failed anyway
    await within(2000, broker?.stop() ?? Promise.resolve(), () => new Error("broker stop")).catch(() => {});
    await db.close();
    throw err;
  }
}

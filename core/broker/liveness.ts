import { Discoverers, Strategies } from "moleculer";

export interface HeartbeatTiming {
  /** how often this node says it is alive */
  intervalMs: number;
  /** how long another node may stay silent before it is taken for dead */
  timeoutMs: number;
}

interface RegistryNode {
  id: string;
  local: boolean;
  available: boolean;
}

/**
 * Moleculer's own discoverer counts heartbeats in whole seconds and looks for silent nodes once per
 * timeout, so a node killed with SIGKILL (which says no goodbye) was called for 5 to 9 s with a
 * 2 s/6 s setting, and every call sent to it meanwhile waited for its whole request timeout. This
 * one keeps the time of each node's last heartbeat in milliseconds and looks twice per interval:
 * a dead node is dropped at most timeout + interval/2 after its last beat, and what was pending on
 * it is rejected then (Moleculer's REQUEST_REJECTED, which reads retry on another node).
 */
export class PromptDiscoverer extends Discoverers.Local {
  private readonly lastBeat = new Map<string, number>();

  constructor(private readonly timing: HeartbeatTiming) {
    super({ heartbeatInterval: timing.intervalMs / 1000, heartbeatTimeout: timing.timeoutMs / 1000 });
  }

  override startHeartbeatTimers(): void {
    this.stopHeartbeatTimers();
    const { intervalMs } = this.timing;
    if (!(intervalMs > 0)) return;
    // ±10 %, so that nodes started together do not all beat at the same instant
    this.heartbeatTimer = setInterval(() => void this.beat(), intervalMs * (0.9 + Math.random() * 0.2));
    this.checkNodesTimer = setInterval(() => this.checkRemoteNodes(), Math.max(50, intervalMs / 2));
    this.offlineTimer = setInterval(() => this.checkOfflineNodes(), 60_000);
    for (const t of [this.heartbeatTimer, this.checkNodesTimer, this.offlineTimer]) t.unref();
  }

  override heartbeatReceived(nodeID: string, payload: Record<string, unknown>): void {
    this.lastBeat.set(nodeID, Date.now());
    super.heartbeatReceived(nodeID, payload);
  }

  override checkRemoteNodes(): void {
    const now = Date.now();
    for (const node of this.nodes()) {
      if (node.local) continue;
      if (!node.available) {
        this.lastBeat.delete(node.id);
        continue;
      }
      const last = this.lastBeat.get(node.id);
      // Known from its INFO but no heartbeat yet: its silence counts from now.
      if (last === undefined) this.lastBeat.set(node.id, now);
      else if (now - last > this.timing.timeoutMs) {
        this.lastBeat.delete(node.id);
        (this as unknown as { logger: { warn(m: string): void } }).logger.warn(`node ${node.id} sent no heartbeat for ${now - last} ms: taken for dead, its pending calls are rejected`);
        (this as unknown as { registry: { nodes: { disconnected(id: string, unexpected: boolean): void } } }).registry.nodes.disconnected(node.id, true);
      }
    }
  }

  /** How long a node has been silent, in ms (0 when it has not been heard of yet). */
  silentFor(nodeID: string): number {
    const last = this.lastBeat.get(nodeID);
    return last === undefined ? 0 : Date.now() - last;
  }

  private nodes(): RegistryNode[] {
    return (this as unknown as { registry: { nodes: { toArray(): RegistryNode[] } } }).registry.nodes.toArray();
  }
}

/**
 * Round robin among the nodes that are answering: a node that has missed two heartbeats in a row is
 * not given new calls while another node can take them, during the time left before it is taken for
 * dead. (When every candidate is quiet, one of them is still tried: it may only be slow.)
 */
export class AnsweringRoundRobin extends Strategies.RoundRobin {
  override select(list: Array<{ id: string; local: boolean }>) {
    const discoverer = (this as unknown as { registry: { discoverer: unknown } }).registry.discoverer;
    if (!(discoverer instanceof PromptDiscoverer)) return super.select(list as never);
    const quietAfter = 2 * (this as unknown as { opts: { intervalMs: number } }).opts.intervalMs;
    const answering = list.filter((ep) => ep.local || discoverer.silentFor(ep.id) <= quietAfter);
    return super.select((answering.length ? answering : list) as never);
  }
}

/**
 * Group commit for work that arrives while earlier work is being written: items queued meanwhile
 * are handed over together, so that many callers' steps share one transaction and its round trips
 * (a sealed-bid deadline brings thousands of steps in seconds). At most `concurrency` groups are
 * written at once; an item that arrives when fewer are under way starts one at once, alone, so a
 * quiet platform waits for nothing. Items with the same key never share a group (two steps on one
 * instance: the later goes in the next group, where its compare-and-set sees the first's result).
 */
export class GroupWriter<I extends { key: string }> {
  private readonly queue: I[] = [];
  private running = 0;

  constructor(
    private readonly o: {
      concurrency: number;
      /** items a group at most */
      max: number;
      /** writes a group and settles each of its items itself; must not reject */
      write: (group: I[]) => Promise<void>;
    },
  ) {}

  add(item: I): void {
    this.queue.push(item);
    this.pump();
  }

  /** items waiting for a group */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.running < this.o.concurrency && this.queue.length) {
      const group: I[] = [];
      const keys = new Set<string>();
      const rest: I[] = [];
      for (const item of this.queue) {
        if (group.length < this.o.max && !keys.has(item.key)) {
          group.push(item);
          keys.add(item.key);
        } else rest.push(item);
      }
      this.queue.splice(0, this.queue.length, ...rest);
      this.running++;
      void this.o.write(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}

/**
 * The time every schedule decision uses. Production reads the system clock; tests travel to an
 * instant (the seeded dates are in 2021) without touching the machine's clock.
 */
export class Clock {
  private fixed: Date | null = null;

  now(): Date {
    return new Date(this.nowMs());
  }

  /** The same instant as a number: what the gate reads on every call, without allocating. */
  nowMs(): number {
    return this.fixed ? this.fixed.getTime() : Date.now();
  }

  /** Stop at `at` (tests). */
  travelTo(at: Date | string): void {
    this.fixed = new Date(at);
  }

  /** Back to the system clock. */
  reset(): void {
    this.fixed = null;
  }
}

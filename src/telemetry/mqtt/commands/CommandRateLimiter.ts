import { monotonicMs } from '../../../system/clock.js';

/**
 * A bucket's credit is counted in milliseconds × perMinute: waiting 1 ms earns perMinute, a request
 * costs one minute (60 000), so with a whole-millisecond clock the arithmetic is exact.
 */
interface Bucket {
  credit: number;
  at: number;
}

const MINUTE_MS = 60_000;

/** Buckets kept before full ones are forgotten (a full bucket is the same as no bucket). */
const PRUNE_ABOVE = 64;

/**
 * A token bucket per command: each holds up to `perMinute` requests and refills at `perMinute` a
 * minute, so a burst is allowed once and a flood is cut to the steady rate. Commands do not share
 * a budget: a stream of `volume` requests never locks out `stop`.
 */
export class CommandRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  /** `now` is a monotonic clock in milliseconds (injectable for tests). */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.capacity = perMinute * MINUTE_MS;
  }

  /** Takes one request's token for `command`; false when its budget is spent (the request is refused). */
  take(command: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(command) ?? { credit: this.capacity, at: now };
    bucket.credit = this.creditAt(bucket, now);
    bucket.at = now;
    const allowed = bucket.credit >= MINUTE_MS;
    if (allowed) bucket.credit -= MINUTE_MS;
    this.buckets.set(command, bucket);
    // Requests for made-up command names must not grow the map without bound.
    if (this.buckets.size > PRUNE_ABOVE) this.prune(now);
    return allowed;
  }

  private creditAt(bucket: Bucket, now: number): number {
    return Math.min(this.capacity, bucket.credit + (now - bucket.at) * this.perMinute);
  }

  private prune(now: number): void {
    for (const [command, bucket] of this.buckets) {
      if (this.creditAt(bucket, now) >= this.capacity) this.buckets.delete(command);
    }
  }
}

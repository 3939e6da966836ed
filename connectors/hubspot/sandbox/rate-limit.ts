/**
 * HubSpot's limits as the sandbox enforces them (reference §6): a rolling 10-second window per token
 * (search excluded), a daily count per portal, and search's own 5 requests per second.
 * Rejected requests are not counted, so a client that waits gets through.
 */
import type { HubSpotSandboxLimits } from './types';

const TEN_SECONDS = 10_000;

export interface LimitVerdict {
  ok: boolean;
  headers: Record<string, string>;
  /** 429 body when !ok. */
  body?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, number[]>();
  private search: number[] = [];
  private dailyCount = 0;
  private dailyStart: number;

  constructor(
    private readonly limits: HubSpotSandboxLimits,
    private readonly clock: () => number,
    private readonly portalId: number,
  ) {
    this.dailyStart = dayStart(clock());
  }

  check(token: string, kind: 'api' | 'search'): LimitVerdict {
    const now = this.clock();
    if (dayStart(now) !== this.dailyStart) {
      this.dailyStart = dayStart(now);
      this.dailyCount = 0;
    }
    const daily = this.limits.daily;
    const dailyHeaders = (): Record<string, string> => ({
      'X-HubSpot-RateLimit-Daily': String(daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, daily - this.dailyCount)),
    });
    if (this.dailyCount >= daily) {
      const resetIn = Math.ceil((this.dailyStart + 86_400_000 - now) / 1000);
      return {
        ok: false,
        headers: dailyHeaders(),
        retryAfterSeconds: resetIn,
        body: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', groupName: `publicapi:hapikey-api-calls-daily:${this.portalId}` },
      };
    }
    if (kind === 'search') {
      this.search = this.search.filter((t) => t > now - 1000);
      if (this.search.length >= this.limits.searchPerSecond) {
        const oldest = this.search[0] ?? now;
        return {
          ok: false,
          headers: dailyHeaders(),
          retryAfterSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)),
          body: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', category: 'RATE_LIMITS' },
        };
      }
      this.search.push(now);
      this.dailyCount++;
      return { ok: true, headers: dailyHeaders() };
    }
    let win = this.windows.get(token);
    if (!win) this.windows.set(token, (win = []));
    while (win.length > 0 && (win[0] as number) <= now - TEN_SECONDS) win.shift();
    const max = this.limits.tenSecondly;
    const secondly = Math.max(1, Math.floor(max / 10));
    const lastSecond = (): number => win.filter((t) => t > now - 1000).length;
    const headers = (): Record<string, string> => ({
      ...dailyHeaders(),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(TEN_SECONDS),
      'X-HubSpot-RateLimit-Max': String(max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, max - win.length)),
      'X-HubSpot-RateLimit-Secondly': String(secondly),
      'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.max(0, secondly - lastSecond())),
    });
    if (win.length >= max) {
      const oldest = win[0] as number;
      return {
        ok: false,
        headers: headers(),
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + TEN_SECONDS - now) / 1000)),
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'TEN_SECONDLY_ROLLING',
          groupName: `publicapi:hapikey-api-calls-ten-secondly:${this.portalId}`,
        },
      };
    }
    win.push(now);
    this.dailyCount++;
    return { ok: true, headers: headers() };
  }
}

/** Daily limits reset at midnight in the account's time zone; the sandbox portal uses UTC. */
function dayStart(ms: number): number {
  return ms - (ms % 86_400_000);
}

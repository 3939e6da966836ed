/**
 * Redis connections. ioredis retries forever by default, so a missing Redis would hang a process
 * (and jest) silently: every entry point first checks Redis once and fails with a clear message.
 */
import IORedis, { type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid REDIS_URL)';
  }
}

/** Resolves when Redis answers PING; otherwise rejects within `timeoutMs` with what to do about it. */
export async function assertRedisReachable(url: string, timeoutMs = 2000): Promise<void> {
  const probe = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: NodeJS.ErrnoException | undefined;
  probe.on('error', (e: NodeJS.ErrnoException) => {
    lastError = e;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const code = lastError?.code ?? (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`Redis is not reachable at ${redactRedisUrl(url)} (${code}). Start Redis or set REDIS_URL.`);
  } finally {
    probe.disconnect();
  }
}

export type RedisRole = 'client' | 'worker';

/**
 * `client`: commands fail fast while Redis is away (webhooks answer 503 and the vendor retries),
 * reconnecting in the background. `worker`: BullMQ's blocking connections need
 * maxRetriesPerRequest null and keep waiting for Redis to come back.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): IORedis {
  const base: RedisOptions =
    role === 'client'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const redis = new IORedis(url, { ...base, retryStrategy: (times) => Math.min(times * 100, 2000), ...extra });
  // Connection errors are reported through command failures; unhandled 'error' events would crash.
  redis.on('error', () => {});
  return redis;
}

/** Waits for the 'ready' state (after assertRedisReachable this is quick). */
export async function waitReady(redis: IORedis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(t);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** quit() when connected, disconnect() otherwise (quit waits for a reply that may never come). */
export async function closeRedis(redis: IORedis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}

/** Deletes every key under a queue prefix (tests and benchmarks clean up their own runs with it). */
export async function deletePrefix(prefix: string, url: string): Promise<void> {
  const r = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * A local imitation of HubSpot's HTTP API (reference/hubspot.md) that the unmodified @hubspot/api-client
 * talks to via `basePath`. One portal, one bearer token, HubSpot's rate limits and error shapes.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, Router, type Reply } from './http';
import { resolveOptions } from './options';
import { RateLimiter } from './rate-limit';
import { registerMiscRoutes } from './routes/misc';
import { registerObjectRoutes } from './routes/objects';
import { registerPropertyRoutes } from './routes/properties';
import { registerSearchRoutes } from './routes/search';
import { seedOwners, seedPortal } from './seed-mapping';
import { SandboxState } from './state';
import type { FailureRule, HubSpotSandboxOptions } from './types';

export type { FailureRule, HubSpotSandboxLimits, HubSpotSandboxOptions, CrmRecord, ObjectType, PropertyDef } from './types';
export { SandboxState } from './state';
export { contactIdForSeq, noteHtml } from './seed-mapping';
export { NEWSLETTER_SUBSCRIPTION_ID, SUBSCRIPTIONS, LEGAL_BASIS_VALUES } from './catalog';

export interface HubSpotSandboxStats {
  requests: number;
  rejected429: number;
  /** "METHOD /route/pattern" -> requests. */
  byRoute: Record<string, number>;
  /** TCP connections accepted, and those still open. */
  connections: number;
  openConnections: number;
}

export interface HubSpotSandbox {
  url: string;
  port: number;
  state: SandboxState;
  stats: HubSpotSandboxStats;
  /** Adds a failure rule at run time (same as options.failures). */
  failNext(rule: FailureRule): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json;charset=utf-8';

export async function startHubSpotSandbox(options: HubSpotSandboxOptions): Promise<HubSpotSandbox> {
  const opts = resolveOptions(options);
  const clock = options.clock ?? Date.now;
  const state = new SandboxState(options.portalId ?? 12345678, options.dataHostingLocation ?? 'eu1', clock, options.includeCustomProperties ?? true);
  seedOwners(state);
  if (options.seed) seedPortal(state, options.seed);
  const limiter = opts.limits ? new RateLimiter(opts.limits, clock, state.portalId) : null;
  const stats: HubSpotSandboxStats = { requests: 0, rejected429: 0, byRoute: {}, connections: 0, openConnections: 0 };

  const router = new Router();
  registerSearchRoutes(router);
  registerPropertyRoutes(router);
  registerMiscRoutes(router);
  registerObjectRoutes(router);

  const send = (res: ServerResponse, correlationId: string, reply: Reply): void => {
    if (reply.status === 429) stats.rejected429++;
    const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, 'X-HubSpot-Correlation-Id': correlationId, ...(reply.headers ?? {}) };
    let payload = '';
    if (reply.body !== undefined && reply.status !== 204) {
      const body = reply.status >= 400 && reply.body && typeof reply.body === 'object' ? { ...(reply.body as object), correlationId } : reply.body;
      payload = JSON.stringify(body);
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  };

  const takeFailure = (method: string, path: string): FailureRule | null => {
    const rule = opts.failures.find(
      (f) => f.count > 0 && (!f.method || f.method.toUpperCase() === method) && (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    );
    if (!rule) return null;
    rule.count--;
    return rule;
  };

  const failureReply = (rule: FailureRule & { status: number }): Reply => {
    const retry = rule.retryAfterSeconds ?? (rule.status === 429 ? 10 : 1);
    // Retry-After on 429 is UNCONFIRMED for the real API (reference §6); 477 documents it.
    const headers = { 'Retry-After': String(retry) };
    if (rule.status === 429) {
      const policy = rule.policy ?? 'TEN_SECONDLY_ROLLING';
      const body =
        policy === 'DAILY'
          ? { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', groupName: `publicapi:hapikey-api-calls-daily:${state.portalId}` }
          : policy === 'SECONDLY'
            ? { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', category: 'RATE_LIMITS' }
            : { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', groupName: `publicapi:hapikey-api-calls-ten-secondly:${state.portalId}` };
      return { status: 429, body, headers };
    }
    if (rule.status === 477) return { status: 477, body: { status: 'error', message: 'Migration in progress', category: 'MIGRATION_IN_PROGRESS' }, headers };
    if (rule.status === 423) return { status: 423, body: { status: 'error', message: 'Locked', category: 'LOCKED' }, headers };
    return { status: rule.status, body: { status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' }, headers };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const correlationId = randomUUID();
    stats.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const m = router.match(method, path);
    const routeKey = m ? `${method} ${m.route.pattern}` : 'unmatched';
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
    if (opts.latencyMs > 0) await new Promise((r) => setTimeout(r, opts.latencyMs));

    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${opts.accessToken}`) {
      // Wording from HubSpot answers without valid credentials; category name UNCONFIRMED (reference §7).
      const message =
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';
      send(res, correlationId, { status: 401, body: { status: 'error', message, category: 'INVALID_AUTHENTICATION' } });
      return;
    }
    const failure = takeFailure(method, path);
    if (failure) {
      if (failure.status === 'reset') {
        req.socket.destroy();
        return;
      }
      send(res, correlationId, failureReply({ ...failure, status: failure.status }));
      return;
    }
    let limitHeaders: Record<string, string> = {};
    if (limiter) {
      const verdict = limiter.check(opts.accessToken, m?.route.search ? 'search' : 'api');
      limitHeaders = verdict.headers;
      if (!verdict.ok) {
        // Retry-After on 429 is UNCONFIRMED for the real API (reference §6); the SDK ignores it.
        send(res, correlationId, { status: 429, body: verdict.body, headers: { ...limitHeaders, 'Retry-After': String(verdict.retryAfterSeconds ?? 1) } });
        return;
      }
    }
    if (!m) {
      const status = router.hasPath(path) ? 405 : 404;
      send(res, correlationId, { status, body: { status: 'error', message: status === 405 ? `Method ${method} not allowed` : `Unable to route ${method} ${path}`, category: status === 405 ? 'VALIDATION_ERROR' : 'OBJECT_NOT_FOUND' }, headers: limitHeaders });
      return;
    }
    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        send(res, correlationId, { status: 400, body: { status: 'error', message: 'Invalid input JSON on line 1, column 1: Cannot parse body', category: 'VALIDATION_ERROR' }, headers: limitHeaders });
        return;
      }
    }
    try {
      const reply = await m.route.handler({ method, path, query: url.searchParams, params: m.params, body, state, opts });
      send(res, correlationId, { ...reply, headers: { ...limitHeaders, ...(reply.headers ?? {}) } });
    } catch (err) {
      if (err instanceof HttpError) send(res, correlationId, { status: err.status, body: err.body, headers: { ...limitHeaders, ...err.headers } });
      else send(res, correlationId, { status: 500, body: { status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' }, headers: limitHeaders });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': JSON_TYPE });
      res.end();
    });
  });
  server.on('connection', (socket) => {
    stats.connections++;
    stats.openConnections++;
    socket.once('close', () => stats.openConnections--);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  opts.publicUrl = url;
  return {
    url,
    port,
    state,
    stats,
    failNext: (rule) => opts.failures.push({ ...rule }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

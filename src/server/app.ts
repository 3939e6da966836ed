/**
 * The HTTP app: liveness, readiness, and the three webhook routes. The routes read the raw body
 * (signatures cover the exact bytes) up to a size limit and hand it to handleWebhook, the same code
 * the Lambda handlers run.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Vendor } from '../model';
import { DEFAULT_BODY_LIMIT_BYTES, errorResponse, handleWebhook, type WebhookDeps, type WebhookRequest, type WebhookResponse } from './webhook-handler';

export interface AppDeps extends WebhookDeps {
  /** Database ping for /ready (store open and answering). */
  pingDb?: () => Promise<void>;
  /**
   * Public base URL the vendors call, e.g. https://gdpr.example.com (HubSpot v3 signs the full URL).
   * Without it the URL is rebuilt from the request (X-Forwarded-Proto/Host when `trustProxy`).
   */
  publicBaseUrl?: string;
  trustProxy?: boolean;
}

export async function checkReadiness(deps: Pick<AppDeps, 'queues' | 'pingDb'>, timeoutMs = 1000): Promise<{ ok: boolean; checks: Record<string, 'ok' | 'fail'> }> {
  const within = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
  const checks: Record<string, 'ok' | 'fail'> = {};
  checks.redis = await within(deps.queues.redis.ping()).then(() => 'ok' as const, () => 'fail' as const);
  if (deps.pingDb) checks.db = await within(deps.pingDb()).then(() => 'ok' as const, () => 'fail' as const);
  return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
}

function send(res: Response, r: WebhookResponse): void {
  res.status(r.status).set(r.headers).send(r.body);
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', true);
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const r = await checkReadiness(deps);
    res.status(r.ok ? 200 : 503).json({ status: r.ok ? 'ready' : 'not_ready', checks: r.checks });
  });

  // Every content type as bytes: HubSpot sends JSON, Salesforce text/xml, and the signature is over the raw body.
  const raw = express.raw({ type: () => true, limit });
  for (const vendor of ['hubspot', 'zoho', 'salesforce'] as const satisfies readonly Vendor[]) {
    app.post(`/webhooks/${vendor}`, raw, async (req: Request, res: Response) => {
      const base = deps.publicBaseUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
      const query: Record<string, string | undefined> = {};
      for (const [k, v] of new URL(req.originalUrl, 'http://x').searchParams) query[k] ??= v;
      const wreq: WebhookRequest = {
        method: req.method,
        url: base + req.originalUrl,
        headers: req.headers,
        query,
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      };
      send(res, await handleWebhook(vendor, wreq, deps));
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
  });
  // Body-parser errors (size, aborted uploads) and anything unexpected: JSON, no stack, no body echo.
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return send(res, errorResponse('payload_too_large', `body exceeds ${limit} bytes`));
    if (err.status && err.status >= 400 && err.status < 500) return res.status(err.status).json({ error: { code: 'bad_request', message: err.type ?? 'bad request' } });
    (deps.logger ?? (() => {}))('http.error', { error: err.name, message: err.message.slice(0, 200) });
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });
  return app;
}

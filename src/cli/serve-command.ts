/**
 * `gdpr-crm serve [--workers] [--port N]`: the always-on runtime. An express server with /health,
 * /ready and the vendors' webhook routes; with --workers the BullMQ workers and the per-portal
 * schedules run in the same process. SIGTERM/SIGINT stop it gracefully: the server stops accepting
 * and finishes its requests, workers finish in-flight jobs (or return them to the queue), then the
 * store closes. A second signal exits at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { dataDir } from '../config';
import { postDigestWebhook } from '../jobs/digest-webhook';
import { stderrLogger, type Logger } from '../jobs/types';
import { startWorkers, type WorkerRuntime } from '../jobs/workers';
import { openRuntimeFromEnv, type RuntimeFromEnv } from '../runtime/from-env';
import { RUNTIME_CONCURRENCY } from '../runtime/pipeline-handlers';
import { closeOnSignals, startServer, type RunningServer } from '../server';

export interface ServeOptions {
  workers?: boolean;
  port?: number;
  host?: string;
  policy?: string;
  settings?: string;
  publicUrl?: string;
  trustProxy?: boolean;
  schedules?: boolean;
  digestWebhook?: string;
  /** How long shutdown waits for in-flight jobs (ms). */
  graceMs?: number;
}

export interface ServeRuntime {
  server: RunningServer;
  workers: WorkerRuntime | null;
  runtime: RuntimeFromEnv;
  /** Closes everything in order, once. */
  close(): Promise<void>;
}

export interface ServeHooks {
  /** Environment to read instead of process.env (tests). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Called once everything listens (tests get the handle here). */
  onStarted?(rt: ServeRuntime): void;
  /** Process exit after a signal (tests replace it). */
  exit?(code: number): void;
}

const ServeEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().min(1).optional(),
  REDIS_URL: z.string().url().optional(),
  GDPR_CRM_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').optional(),
  GDPR_CRM_PUBLIC_URL: z.string().url().optional(),
  PUBLIC_BASE_URL: z.string().url().optional(),
  GDPR_CRM_DIGEST_WEBHOOK_URL: z.string().url().optional(),
});

/** Starts the server (and workers); resolves when everything listens. */
export async function startServe(o: ServeOptions, hooks: ServeHooks = {}): Promise<ServeRuntime> {
  const envIn = hooks.env ?? process.env;
  const parsed = ServeEnv.safeParse(envIn);
  if (!parsed.success) throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const senv = parsed.data;
  const log = hooks.logger ?? stderrLogger;
  const redisUrl = senv.REDIS_URL;
  const prefix = senv.GDPR_CRM_QUEUE_PREFIX;

  const runtime = await openRuntimeFromEnv({ env: envIn, policy: o.policy, settingsFile: o.settings, logger: log });
  const { handlers, store } = runtime;
  let server: RunningServer | null = null;
  let workers: WorkerRuntime | null = null;
  try {
    server = await startServer({
      handlers,
      port: o.port ?? senv.PORT ?? 3000,
      host: o.host ?? senv.HOST ?? '0.0.0.0',
      redisUrl,
      prefix,
      publicBaseUrl: o.publicUrl ?? senv.GDPR_CRM_PUBLIC_URL ?? senv.PUBLIC_BASE_URL,
      trustProxy: o.trustProxy,
      hubspot: { clientSecret: runtime.env.HUBSPOT_CLIENT_SECRET },
      pingDb: async () => {
        await sql`select 1`.execute(store.db);
      },
      logger: log,
    });
    if (o.workers) {
      const hook = o.digestWebhook ?? senv.GDPR_CRM_DIGEST_WEBHOOK_URL;
      const digestDir = path.join(dataDir(runtime.env), 'digests');
      workers = await startWorkers({
        handlers,
        redisUrl,
        prefix,
        schedules: o.schedules !== false,
        concurrency: RUNTIME_CONCURRENCY,
        graceMs: o.graceMs,
        logger: log,
        // Slack/Teams when configured; otherwise an email-ready text file per portal and day.
        deliverDigest: hook
          ? postDigestWebhook(hook)
          : async (portalId, text) => {
              mkdirSync(digestDir, { recursive: true });
              writeFileSync(path.join(digestDir, `digest-${portalId.replace(/[^a-z0-9]+/gi, '_')}-${new Date().toISOString().slice(0, 10)}.txt`), text);
            },
      });
    }
  } catch (e) {
    await server?.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    throw e;
  }
  const srv = server;
  let closing: Promise<void> | null = null;
  const rt: ServeRuntime = {
    server: srv,
    workers,
    runtime,
    close() {
      closing ??= (async () => {
        log('serve.stopping', { workers: Boolean(workers) });
        // Stop taking webhooks first, then let jobs finish, then close the store they write to.
        await srv.close();
        await workers?.close();
        await runtime.close();
        log('serve.stopped', {});
      })();
      return closing;
    },
  };
  log('serve.started', { port: srv.port, workers: Boolean(workers), portals: (await handlers.listPortals()).length });
  return rt;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
};

export function registerServe(program: Command, hooks: ServeHooks = {}): Command {
  return program
    .command('serve')
    .description('run the always-on runtime: webhook endpoints, /health and /ready; with --workers also the queue workers and schedules')
    .option('--workers', 'also run the BullMQ workers (sync, evaluate, apply, notify) and the per-portal schedules in this process')
    .addOption(new Option('--port <n>', 'port to listen on (default PORT or 3000)').argParser(port))
    .option('--host <address>', 'address to listen on (default HOST or 0.0.0.0)')
    .option('--policy <name|file>', 'policy pack for portals without their own (default GDPR_CRM_POLICY or avg-default)')
    .option('--settings <file>', 'portal settings (YAML/JSON): defaults and per portal id a policy and schedule (default GDPR_CRM_PORTAL_SETTINGS)')
    .option('--public-url <url>', 'public base URL the vendors call (HubSpot signs it; default GDPR_CRM_PUBLIC_URL)')
    .option('--trust-proxy', 'rebuild the URL from X-Forwarded-Proto/Host (behind a load balancer)')
    .option('--no-schedules', 'with --workers: do not create or update the per-portal schedules')
    .option('--digest-webhook <url>', 'Slack/Teams incoming webhook for the daily digests (default GDPR_CRM_DIGEST_WEBHOOK_URL; otherwise files in <data dir>/digests)')
    .addHelpText(
      'after',
      `
Portals are the ones in the store: install each with "gdpr-crm scan --vendor <vendor>" first.
Webhook URLs: <public url>/webhooks/hubspot, /webhooks/zoho?org=<org id>, /webhooks/salesforce

Environment:
  PORT, HOST, REDIS_URL (default redis://127.0.0.1:6379), GDPR_CRM_QUEUE_PREFIX
  GDPR_CRM_DATA_DIR, DATABASE_URL, GDPR_CRM_MASTER_KEY       the store, as for the other commands
  HUBSPOT_CLIENT_SECRET[_<portal id>]                         verifies HubSpot webhook signatures
  ZOHO_CHANNEL_TOKEN[_<org id>], ZOHO_CHANNEL_ID[_<org id>]   verifies Zoho notifications
  SALESFORCE_ORG_IDS                                          comma-separated orgs allowed to send outbound messages
  HUBSPOT_ACCESS_TOKEN[_<portal id>], ZOHO_*, SALESFORCE_*    API credentials, as for "scan"
  GDPR_CRM_PUBLIC_URL, GDPR_CRM_DIGEST_WEBHOOK_URL, GDPR_CRM_POLICY, GDPR_CRM_PORTAL_SETTINGS
A "_<id>" variable holds one portal's value (id upper-cased) and wins over the shared one.`,
    )
    .action(async (o: ServeOptions) => {
      const rt = await startServe(o, hooks);
      const off = closeOnSignals([() => rt.close()], hooks.exit);
      const close = rt.close.bind(rt);
      rt.close = () => close().finally(off); // closed by hand (tests): the signal handlers go too
      hooks.onStarted?.(rt);
    });
}

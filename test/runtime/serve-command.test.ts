/**
 * `gdpr-crm serve --workers` as the CLI runs it (registerServe on a fresh commander program), configured
 * only through the environment and a settings file: health and readiness, schedules from the settings,
 * a signed webhook handled end to end with credentials from the environment, graceful stop on SIGTERM.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createConnector } from '../../connectors';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../connectors/hubspot/sandbox';
import { registerServe, type ServeRuntime } from '../../src/cli/serve-command';
import { silentLogger } from '../../src/jobs/types';
import { schedulerId } from '../../src/jobs/schedules';
import { runScan } from '../../src/pipeline/scan';
import { compilePolicy } from '../../src/policy/compile';
import { loadPolicy } from '../../src/policy/load';
import { openStore } from '../../src/store';
import { deletePrefix, eventually, requireRedis, REDIS_URL, uniquePrefix } from '../jobs/helpers';
import { closePipelineHandlers, createPipelineHandlers } from '../../src/runtime/env-handlers';
import { addContact, BSN, tasksOf, TOKEN } from './fixtures';

const SECRET = 'serve-app-secret';
let sb: HubSpotSandbox;
let dir: string;
let prefix: string;
let env: NodeJS.ProcessEnv;
let rt: ServeRuntime | undefined;
let portalId: string;
const exits: number[] = [];

beforeAll(async () => {
  await requireRedis();
  prefix = uniquePrefix('serve');
  sb = await startHubSpotSandbox({ accessToken: TOKEN, limits: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'gdpr-crm-serve-'));
  env = {
    GDPR_CRM_DATA_DIR: dir,
    GDPR_CRM_MASTER_KEY: randomBytes(32).toString('base64'),
    REDIS_URL,
    GDPR_CRM_QUEUE_PREFIX: prefix,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_URL: sb.url,
    HUBSPOT_CLIENT_SECRET: SECRET,
  };
  // Install: one full scan into the data directory, as `gdpr-crm scan --vendor hubspot` does.
  const store = await openStore({ dataDir: dir, env });
  try {
    const connector = createConnector({ vendor: 'hubspot', tenantId: 'acme', baseUrl: sb.url, accessToken: TOKEN });
    const s = await runScan({ store, connector, policy: compilePolicy(loadPolicy('avg-default').pack), tenantId: 'acme', mode: 'full', now: new Date(), actor: 'test' });
    portalId = s.portal.id;
  } finally {
    await store.close();
  }
  writeFileSync(path.join(dir, 'portals.yaml'), `defaults:\n  schedule:\n    digest: "0 6 * * 1-5"\nportals:\n  "${portalId}":\n    policy: avg-default\n    schedule:\n      incremental: "45 1 * * *"\n      tz: Europe/Amsterdam\n`);
}, 60_000);

afterAll(async () => {
  await rt?.close();
  await sb?.close();
  if (prefix) await deletePrefix(prefix);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function program(): Command {
  const p = new Command('gdpr-crm').exitOverride();
  registerServe(p, { env, logger: silentLogger, onStarted: (r) => (rt = r), exit: (code) => exits.push(code) });
  return p;
}

test('serve --workers starts the server and the workers; /health and /ready answer', async () => {
  const before = process.listenerCount('SIGTERM');
  await program().parseAsync(['serve', '--workers', '--port', '0', '--host', '127.0.0.1', '--settings', path.join(dir, 'portals.yaml')], { from: 'user' });
  expect(rt).toBeDefined();
  expect(rt!.workers).not.toBeNull();
  expect(process.listenerCount('SIGTERM')).toBe(before + 1);
  const health = await fetch(`${rt!.server.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${rt!.server.url}/ready`);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', db: 'ok' } });
});

test('the portal\'s schedules come from the settings file (portal over defaults over built-in)', async () => {
  const sync = await rt!.workers!.queues.sync.getJobScheduler(schedulerId(portalId, 'incremental'));
  expect(sync).toMatchObject({ pattern: '45 1 * * *', tz: 'Europe/Amsterdam' });
  const digest = await rt!.workers!.queues.notify.getJobScheduler(schedulerId(portalId, 'digest'));
  expect(digest).toMatchObject({ pattern: '0 6 * * 1-5' });
  const full = await rt!.workers!.queues.sync.getJobScheduler(schedulerId(portalId, 'full'));
  expect(full).toMatchObject({ pattern: '0 3 * * 0' });
});

test('a signed HubSpot webhook is verified with HUBSPOT_CLIENT_SECRET and handled with HUBSPOT_ACCESS_TOKEN: a task lands', async () => {
  const id = addContact(sb, { email: 'serve.test@example.nl', firstname: 'S', lastname: 'T' }, [`BSN ${BSN} genoteerd`]);
  const body = JSON.stringify([{ eventId: 1, subscriptionId: 2, portalId: sb.state.portalId, appId: 3, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: Number(id), attemptNumber: 0 }]);
  const url = `${rt!.server.url}/webhooks/hubspot`;
  const ts = String(Date.now());
  const sign = (secret: string) => createHmac('sha256', secret).update(`POST${url}${body}${ts}`).digest('base64');
  const headers = (secret: string) => ({ 'content-type': 'application/json', 'x-hubspot-signature-v3': sign(secret), 'x-hubspot-request-timestamp': ts });
  const bad = await fetch(url, { method: 'POST', body, headers: headers('wrong-secret') });
  expect(bad.status).toBe(401);
  const ok = await fetch(url, { method: 'POST', body, headers: headers(SECRET) });
  expect(ok.status).toBe(200);
  await eventually(() => tasksOf(sb, id).length === 1, 'task written by the serve process');
});

test('SIGTERM stops it gracefully: the server closes, the workers and the store close, exit code 0', async () => {
  const url = rt!.server.url;
  process.emit('SIGTERM');
  await eventually(() => exits.length > 0, 'exit after SIGTERM');
  expect(exits).toEqual([0]);
  await expect(fetch(`${url}/health`)).rejects.toThrow();
  expect(rt!.workers!.workers.every((w) => w.closing !== undefined && !w.isRunning())).toBe(true);
  rt = undefined; // closed
});

test('bad arguments are refused with a message; --help documents the environment', async () => {
  const p = program();
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
  await expect(p.parseAsync(['serve', '--port', '99999'], { from: 'user' })).rejects.toThrow(/port number/);
  let out = '';
  const serve = program().commands.find((c) => c.name() === 'serve')!;
  serve.configureOutput({ writeOut: (s) => (out += s) });
  serve.outputHelp();
  for (const v of ['--workers', 'HUBSPOT_CLIENT_SECRET', 'ZOHO_CHANNEL_TOKEN', 'SALESFORCE_ORG_IDS', 'REDIS_URL']) expect(out).toContain(v);
});

test('the Lambda handlers module builds the same handlers from process.env (GDPR_CRM_HANDLERS_MODULE=../runtime/env-handlers)', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, env, { SALESFORCE_ORG_IDS: '' });
  try {
    const h = await createPipelineHandlers();
    expect(await createPipelineHandlers()).toBe(h); // one per container
    expect(await h.listPortals!()).toEqual([{ portalId }]);
    expect(await h.resolvePortal('hubspot', String(sb.state.portalId))).toEqual({ portalId, secrets: { hubspotClientSecret: SECRET } });
  } finally {
    await closePipelineHandlers();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

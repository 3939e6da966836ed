import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
let out: string;

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

test('`serverless package` builds the stack offline, without AWS credentials', async () => {
  out = mkdtempSync(path.join(tmpdir(), 'sls-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', REDIS_URL: 'redis://cache.internal:6379', NODE_OPTIONS: '' };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  await run(path.join(root, 'node_modules/.bin/serverless'), ['package', '--stage', 'test', '--region', 'eu-west-1', '--package', out], { cwd: root, env, maxBuffer: 10 * 1024 * 1024 });
  const template = JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  const res = Object.values(template.Resources);
  const fns = res.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties);
  expect(fns.map((f) => f.Handler).sort()).toEqual(['dist/src/lambda/entry.health', 'dist/src/lambda/entry.scheduler', 'dist/src/lambda/entry.webhook']);
  for (const f of fns) {
    expect(f.Runtime).toBe('nodejs22.x');
    expect(f.Environment.Variables.REDIS_URL).toBe('redis://cache.internal:6379');
    expect(f.Environment.Variables).toHaveProperty('DATABASE_URL');
  }
  const routes = res.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
  expect(routes).toEqual(['GET /health', 'GET /ready', 'POST /webhooks/{vendor}']);
  const schedules = res.filter((r) => r.Type === 'AWS::Events::Rule').map((r) => [r.Properties.ScheduleExpression, JSON.parse(r.Properties.Targets[0].Input).task]);
  expect(schedules).toEqual([
    ['cron(0 2 * * ? *)', 'incremental'],
    ['cron(0 3 ? * SUN *)', 'full'],
    ['cron(15 * * * ? *)', 'applyDue'],
    ['cron(0 7 * * ? *)', 'digest'],
  ]);
  // The artifact carries the production dependencies the handlers import.
  const { stdout } = await run('unzip', ['-l', path.join(out, 'gdpr-crm.zip')], { maxBuffer: 200 * 1024 * 1024 });
  for (const dep of ['bullmq', 'ioredis', 'express', 'zod', 'sax', 'rate-limiter-flexible']) expect(stdout).toContain(`node_modules/${dep}/package.json`);
  expect(stdout).not.toContain('node_modules/serverless/package.json');
  expect(stdout).not.toContain('node_modules/jest/package.json');
  expect(statSync(path.join(out, 'gdpr-crm.zip')).size).toBeLessThan(250 * 1024 * 1024);
}, 240_000);

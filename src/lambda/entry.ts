/**
 * The Lambda entry points serverless.yml names. Cold start opens the queues (REDIS_URL) once per
 * container and loads the pipeline's handlers from the module named by GDPR_CRM_HANDLERS_MODULE
 * (default ../runtime/env-handlers: the store, policies and connectors from the environment), which must export `createPipelineHandlers(): Promise<PipelineHandlers>`.
 */
import { openQueues } from '../jobs/queues';
import { stderrLogger, type PipelineHandlers } from '../jobs/types';
import { createLambdaHandlers, type LambdaDeps } from './handlers';

let deps: Promise<LambdaDeps> | null = null;

async function load(): Promise<LambdaDeps> {
  const modulePath = process.env.GDPR_CRM_HANDLERS_MODULE ?? '../runtime/env-handlers';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { createPipelineHandlers?: () => Promise<PipelineHandlers> };
  if (typeof mod.createPipelineHandlers !== 'function') throw new Error(`${modulePath} does not export createPipelineHandlers()`);
  const [queues, handlers] = await Promise.all([openQueues({ redisUrl: process.env.REDIS_URL, prefix: process.env.GDPR_CRM_QUEUE_PREFIX }), mod.createPipelineHandlers()]);
  return {
    queues,
    handlers,
    publicBaseUrl: process.env.PUBLIC_BASE_URL,
    hubspot: { clientSecret: process.env.HUBSPOT_CLIENT_SECRET },
    logger: stderrLogger,
  };
}

const handlers = createLambdaHandlers(() => {
  // A failed cold start (Redis down) is retried on the next invocation instead of being cached.
  deps ??= load().catch((e: unknown) => {
    deps = null;
    throw e;
  });
  return deps;
});

export const webhook = handlers.webhook;
export const health = handlers.health;
export const scheduler = handlers.scheduler;

/**
 * The handlers module the Lambda entry loads (src/lambda/entry.ts requires the module named by
 * GDPR_CRM_HANDLERS_MODULE and calls its `createPipelineHandlers()`): set
 * GDPR_CRM_HANDLERS_MODULE=../runtime/env-handlers. Everything comes from the environment (from-env.ts).
 */
import { stderrLogger, type PipelineHandlers } from '../jobs/types';
import { openRuntimeFromEnv } from './from-env';

let opened: ReturnType<typeof openRuntimeFromEnv> | null = null;

/** One runtime per container (Lambda reuses it across invocations). */
export async function createPipelineHandlers(): Promise<PipelineHandlers> {
  opened ??= openRuntimeFromEnv({ logger: stderrLogger }).catch((e: unknown) => {
    opened = null;
    throw e;
  });
  return (await opened).handlers;
}

/** Closes what createPipelineHandlers opened (tests; Lambda containers simply end). */
export async function closePipelineHandlers(): Promise<void> {
  const o = opened;
  opened = null;
  if (o) await (await o).close();
}

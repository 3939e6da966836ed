/**
 * `gdpr-crm serve`: the HTTP server (and, in one process, optionally the workers). Both stop
 * gracefully: the server stops accepting, finishes the requests it has, then the queues close;
 * workers finish in-flight jobs or return them to the queue.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openQueues, type QueueSet } from '../jobs/queues';
import { stderrLogger, type PipelineHandlers } from '../jobs/types';
import { createApp, type AppDeps } from './app';

export { createApp, checkReadiness, type AppDeps } from './app';
export { handleWebhook, type WebhookRequest, type WebhookResponse, type WebhookDeps } from './webhook-handler';

export interface StartServerOptions extends Omit<AppDeps, 'queues' | 'handlers'> {
  handlers: Pick<PipelineHandlers, 'resolvePortal'>;
  port?: number;
  host?: string;
  redisUrl?: string;
  prefix?: string;
  /** Use these queues instead of opening new ones (they are then not closed by close()). */
  queues?: QueueSet;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  queues: QueueSet;
  close(): Promise<void>;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const ownQueues = !opts.queues;
  const queues = opts.queues ?? (await openQueues({ redisUrl: opts.redisUrl, prefix: opts.prefix }));
  const logger = opts.logger ?? stderrLogger;
  const app = createApp({ ...opts, queues, logger });
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? Number(process.env.PORT ?? 3000), host, () => resolve(s));
    s.once('error', reject);
  });
  // Shorter than a load balancer's idle timeout is wrong; longer keeps sockets after shutdown: 65 s is customary.
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  logger('server.listening', { port });
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    queues,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        if (ownQueues) await queues.close();
        logger('server.closed', { port });
      })();
      return closing;
    },
  };
}

/** Closes everything once on SIGTERM/SIGINT, then exits (a second signal exits at once). */
export function closeOnSignals(closers: (() => Promise<void>)[], exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return exit(1);
    stopping = true;
    void Promise.allSettled(closers.map((c) => c())).then((rs) => exit(rs.some((r) => r.status === 'rejected') ? 1 : 0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

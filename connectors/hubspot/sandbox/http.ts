/** Routing, HubSpot-shaped errors and small request helpers for the sandbox server. */
import type { ResolvedOptions } from './options';
import type { SandboxState } from './state';

export interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  state: SandboxState;
  opts: ResolvedOptions;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

/** A HubSpot error answer; `correlationId` is added when it is sent. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? status));
  }
}

export function hsError(status: number, category: string, message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(status, { status: 'error', message, category, ...extra });
}

export const notFound = (id: string): HttpError =>
  hsError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { context: { id: [id] } });

export const badInput = (detail: string): HttpError => hsError(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1, column 1: ${detail}`);

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
  search: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { search?: boolean } = {}): void {
    this.routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), handler, search: opts.search ?? false });
  }

  /** First registered match wins; path ids are percent-decoded (the SDK encodes e-mails as a%40b.org). */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
            break;
          }
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }

  /** Whether some route exists for this path with another method (405 vs 404). */
  hasPath(path: string): boolean {
    return ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].some((m) => this.match(m, path) !== null);
  }
}

/** Array query params arrive repeated (SDK) or comma-separated (docs); accept both. */
export function arrayParam(q: URLSearchParams, name: string): string[] | null {
  const raw = q.getAll(name);
  if (raw.length === 0) return null;
  return raw.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  return (q.get(name) ?? '').toLowerCase() === 'true';
}

export function intParam(q: URLSearchParams, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw hsError(400, 'VALIDATION_ERROR', `Invalid value for query parameter ${name}`);
  return n;
}

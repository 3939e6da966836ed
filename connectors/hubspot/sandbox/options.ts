import type { FailureRule, HubSpotSandboxLimits, HubSpotSandboxOptions } from './types';

export interface ResolvedOptions {
  accessToken: string;
  latencyMs: number;
  limits: HubSpotSandboxLimits | false;
  pageMax: number;
  gdprEnabled: boolean;
  failures: FailureRule[];
  /** Base URL once listening (for paging links). */
  publicUrl: string;
}

export const DEFAULT_LIMITS: HubSpotSandboxLimits = { tenSecondly: 100, daily: 250_000, searchPerSecond: 5 };

export function resolveOptions(o: HubSpotSandboxOptions): ResolvedOptions {
  if (!o.accessToken) throw new Error('startHubSpotSandbox: accessToken is required');
  return {
    accessToken: o.accessToken,
    latencyMs: o.latencyMs ?? 0,
    limits: o.limits === false ? false : { ...DEFAULT_LIMITS, ...(o.limits ?? {}) },
    pageMax: o.pageMax ?? 100,
    gdprEnabled: o.gdprEnabled ?? true,
    failures: (o.failures ?? []).map((f) => ({ ...f })),
    publicUrl: '',
  };
}

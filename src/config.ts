import path from 'node:path';
import { z } from 'zod';

/** Settings from the environment, validated once. Secrets never come from files in the repo. */
const Env = z.object({
  GDPR_CRM_DATA_DIR: z.string().min(1).default('./.gdpr-crm'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
  HUBSPOT_BASE_URL: z.string().url().optional(),
  HUBSPOT_CLIENT_SECRET: z.string().min(1).optional(),
  ZOHO_CLIENT_ID: z.string().min(1).optional(),
  ZOHO_CLIENT_SECRET: z.string().min(1).optional(),
  ZOHO_REFRESH_TOKEN: z.string().min(1).optional(),
  ZOHO_DATA_CENTRE: z.string().min(1).optional(),
  ZOHO_API_DOMAIN: z.string().url().optional(),
  ZOHO_ACCOUNTS_URL: z.string().url().optional(),
  SALESFORCE_INSTANCE_URL: z.string().url().optional(),
  SALESFORCE_ACCESS_TOKEN: z.string().min(1).optional(),
  SALESFORCE_REFRESH_TOKEN: z.string().min(1).optional(),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
});
export type Env = z.infer<typeof Env>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const r = Env.safeParse(env);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${issues}`);
  }
  return r.data;
}

export function dataDir(env: Env = readEnv()): string {
  return path.resolve(env.GDPR_CRM_DATA_DIR);
}

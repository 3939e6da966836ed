/** Delivers a portal's daily digest to a Slack or Teams incoming webhook (both accept `{ "text": ... }`). */
import { z } from 'zod';

const WebhookUrl = z.string().url().refine((u) => u.startsWith('https://') || u.startsWith('http://127.0.0.1'), 'digest webhook must be https');

export function postDigestWebhook(url: string, timeoutMs = 10_000): (portalId: string, text: string) => Promise<void> {
  const target = WebhookUrl.parse(url);
  return async (_portalId, text) => {
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The URL is a secret (it grants posting): never put it in the error.
    if (!res.ok) throw new Error(`digest webhook answered ${res.status}`);
  };
}

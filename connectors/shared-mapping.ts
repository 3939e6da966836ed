/**
 * Mapping pieces that mean the same for every vendor whose CRM has no place of its own for them:
 * the evidence JSON we keep in a long-text field (lawful bases per purpose and consent records the
 * vendor cannot express), lawful-basis merging, and note bodies stored as HTML.
 */
import { z } from 'zod';
import { ConsentRecord, LawfulBasis, type Contact } from '../src/model';

export const EvidenceJson = z.object({
  v: z.literal(1),
  bases: z.array(z.object({ purpose: z.string().min(1), basis: LawfulBasis, recordedAt: z.string().nullable().default(null) })).default([]),
  consents: z.array(ConsentRecord).default([]),
});
export type EvidenceJson = z.infer<typeof EvidenceJson>;

/** The evidence JSON in a field, or null when the field is empty or not ours (never throws). */
export function parseEvidence(raw: unknown): EvidenceJson | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  try {
    const r = EvidenceJson.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Sets the basis for one purpose; an unchanged basis keeps its original recordedAt. */
export function withBasis(current: readonly Contact['lawfulBasis'][number][], purpose: string, basis: LawfulBasis, at: string): Contact['lawfulBasis'] {
  const same = current.find((b) => b.purpose === purpose && b.basis === basis);
  return [...current.filter((b) => b.purpose !== purpose), same ?? { purpose, basis, recordedAt: at }];
}

/** Plain text of a note stored as HTML. */
export function noteText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

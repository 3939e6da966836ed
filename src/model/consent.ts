import { z } from 'zod';
import { IsoDateTime, LawfulBasis } from './common';

export const ConsentStatus = z.enum(['granted', 'withdrawn', 'denied']);
export const CaptureMethod = z.enum([
  'form_checkbox',
  'double_opt_in_email',
  'signature',
  'phone_recording',
  'verbal',
  'import',
  'api',
  'unknown',
]);

/** Proof that a person agreed (or stopped agreeing) to one purpose (Art. 7(1)). */
export const ConsentRecord = z.object({
  purpose: z.string().min(1),
  status: ConsentStatus,
  lawfulBasis: LawfulBasis.default('consent'),
  capturedAt: IsoDateTime.nullable().default(null),
  method: CaptureMethod.default('unknown'),
  /** Where the proof lives (form submission id, signed PDF id, recording id). Never the proof itself. */
  evidenceRef: z.string().nullable().default(null),
  privacyTextVersion: z.string().nullable().default(null),
  /** True when the box was ticked by default: not valid consent (CJEU Planet49, Art. 4(11)). */
  preTicked: z.boolean().nullable().default(null),
  /** Art. 8: a parent or guardian consented for a child. */
  parentalConsent: z.boolean().nullable().default(null),
  withdrawnAt: IsoDateTime.nullable().default(null),
});
export type ConsentRecord = z.infer<typeof ConsentRecord>;
export type ConsentRecordInput = z.input<typeof ConsentRecord>;

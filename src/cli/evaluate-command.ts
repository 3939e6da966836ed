import { existsSync, readFileSync } from 'node:fs';
import { Contact, IsoDateTime, Portal } from '../model';
import { compilePolicy } from '../policy/compile';
import { evaluateContact, evaluatePortal } from '../policy/evaluate';
import { loadPolicy } from '../policy/load';
import { InputError, openInput, readJsonl, writeAtomically, writeLine } from './jsonl';

export interface EvaluateArgs {
  contacts: string;
  policy: string;
  now?: string;
  out?: string;
  portal?: string;
  text?: boolean;
}

/** `gdpr-crm evaluate`: normalised contacts (JSON Lines) -> findings (JSON Lines). */
export async function evaluateCommand(args: EvaluateArgs): Promise<{ contacts: number; findings: number }> {
  const now = args.now ?? new Date().toISOString();
  if (!IsoDateTime.safeParse(now).success) throw new InputError(`--now: expected an ISO-8601 date-time such as 2026-11-25T00:00:00Z, got an invalid value`);
  const nowMs = Date.parse(now);
  const policy = compilePolicy(loadPolicy(args.policy).pack);
  if (args.contacts !== '-' && !existsSync(args.contacts)) throw new InputError(`--contacts: no such file: ${args.contacts}`);
  let contacts = 0;
  let findings = 0;
  await writeAtomically(args.out, async (out) => {
    if (args.portal) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(args.portal, 'utf8'));
      } catch (e) {
        // Never echo the parser's message: Node's includes a snippet of the file.
        throw new InputError(`--portal: cannot read ${args.portal}: ${(e as NodeJS.ErrnoException).code ?? 'not valid JSON'}`);
      }
      const r = Portal.safeParse(raw);
      if (!r.success) throw new InputError(`--portal: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      for (const f of evaluatePortal(r.data, policy, nowMs)) {
        findings += 1;
        await writeLine(out, JSON.stringify(f));
      }
    }
    for await (const { value } of readJsonl(openInput(args.contacts), Contact)) {
      contacts += 1;
      for (const f of evaluateContact(value, policy, nowMs, { scanText: args.text !== false })) {
        findings += 1;
        await writeLine(out, JSON.stringify(f));
      }
    }
  });
  return { contacts, findings };
}

/**
 * Planner: a contact's findings -> the actions that fix them. Pure. Destructive actions carry the due
 * date of the earliest finding that justifies them; a task for the owner is due at once, so a person
 * hears about it when the finding is first seen, and the status properties say what happens when.
 */
import { createHash } from 'node:crypto';
import { STATUS_PROPERTIES } from '../../connectors/types';
import type { Action, AnonymiseStrategy, Contact, Finding } from '../model';
import type { CompiledPolicy } from './compile';

export const DESTRUCTIVE_TYPES: ReadonlySet<Action['type']> = new Set([
  'gdpr_delete',
  'anonymise',
  'clear_property',
  'redact_note',
  'delete_note',
  'unsubscribe',
]);

export function actionId(portalId: string, contactId: string, type: string, target: string): string {
  return createHash('sha1').update(`${portalId}\u0000${contactId}\u0000${type}\u0000${target}`).digest('base64url').slice(0, 22);
}

const minIso = (a: string, b: string) => (a <= b ? a : b);

interface Draft {
  target: string;
  findings: Finding[];
  dueAt: string;
}

/** Keys actions by (type, target) and keeps the earliest due date and every finding behind them. */
class Drafts {
  readonly map = new Map<string, Draft & { type: Action['type']; extra?: Record<string, unknown> }>();
  add(type: Action['type'], target: string, f: Finding, extra?: Record<string, unknown>): void {
    const key = `${type}\u0000${target}`;
    const d = this.map.get(key);
    if (d) {
      d.findings.push(f);
      d.dueAt = minIso(d.dueAt, f.dueAt);
      if (extra?.categories && Array.isArray(d.extra?.categories)) {
        d.extra.categories = [...new Set([...(d.extra.categories as string[]), ...(extra.categories as string[])])];
      }
    } else {
      this.map.set(key, { type, target, findings: [f], dueAt: f.dueAt, extra });
    }
  }
  has(type: Action['type']): boolean {
    for (const d of this.map.values()) if (d.type === type) return true;
    return false;
  }
}

export function planContact(contact: Contact, findings: readonly Finding[], policy: CompiledPolicy, nowMs: number): Action[] {
  if (findings.length === 0) return [];
  const now = new Date(nowMs).toISOString();
  const drafts = new Drafts();
  const taskFindings: Finding[] = [];
  for (const f of findings) {
    switch (f.proposedAction) {
      case 'gdpr_delete':
        drafts.add('gdpr_delete', '', f);
        break;
      case 'anonymise':
        drafts.add('anonymise', '', f);
        break;
      case 'clear_property':
        if (f.field && !f.field.includes(':')) drafts.add('clear_property', f.field, f);
        break;
      case 'redact_note':
      case 'delete_note':
        if (f.field?.startsWith('note:')) {
          drafts.add(f.proposedAction, f.field.slice(5), f, f.proposedAction === 'redact_note' ? { categories: [f.category ?? 'unknown'] } : undefined);
        } else if (f.field) {
          drafts.add('clear_property', f.field, f); // a text property: clear it
        }
        break;
      case 'unsubscribe': {
        const purpose = policy.purposes.find((p) => p.id === f.purpose);
        const subs = purpose
          ? contact.marketing.subscriptions.filter((s) => s.status === 'subscribed' && purpose.subscriptions.has(s.name.toLowerCase()))
          : [];
        for (const s of subs) drafts.add('unsubscribe', s.id, f, { purpose: f.purpose ?? '' });
        if (purpose?.hasPropertyUse) {
          for (const [name, v] of Object.entries(contact.properties)) {
            if (v.value && purpose.usedByProperty(name)) drafts.add('clear_property', name, f);
          }
        }
        if (subs.length === 0 && !purpose?.hasPropertyUse) taskFindings.push(f);
        break;
      }
      case 'set_lawful_basis': {
        const grounds = policy.purposes.filter(
          (p) => p.always && p.basis !== 'consent' && (!p.lifecycle || p.lifecycle.has(contact.lifecycle.stage)),
        );
        if (grounds.length > 0) drafts.add('set_lawful_basis', grounds[0]!.id, f, { basis: grounds[0]!.basis });
        else taskFindings.push(f);
        break;
      }
      case 'create_task':
      case 'set_status':
        taskFindings.push(f);
        break;
      case 'none':
        break;
    }
  }

  // Erasure covers everything else destructive; anonymisation covers field and note fixes.
  const erase = drafts.has('gdpr_delete');
  const anonymise = drafts.has('anonymise');
  const actions: Action[] = [];
  const base = (type: Action['type'], d: Draft) => ({
    id: actionId(contact.portalId, contact.id, type, d.target),
    portalId: contact.portalId,
    tenantId: contact.tenantId,
    contactId: contact.id,
    findingIds: [...new Set(d.findings.map((f) => f.id))],
    ruleIds: [...new Set(d.findings.map((f) => f.ruleId))],
    dueAt: d.dueAt,
    destructive: DESTRUCTIVE_TYPES.has(type),
  });
  for (const d of drafts.map.values()) {
    if (erase && d.type !== 'gdpr_delete' && DESTRUCTIVE_TYPES.has(d.type)) continue;
    if (anonymise && ['clear_property', 'redact_note', 'delete_note'].includes(d.type)) continue;
    switch (d.type) {
      case 'gdpr_delete':
        actions.push({ ...base('gdpr_delete', d), type: 'gdpr_delete' });
        break;
      case 'anonymise': {
        const properties: Record<string, AnonymiseStrategy> = {};
        const cats = new Set(policy.pack.anonymise.categories);
        for (const [name, v] of Object.entries(contact.properties)) {
          if (v.value === null || v.value === '') continue;
          const category = policy.categoryOf(name) ?? v.category;
          if (cats.has(category)) properties[name] = policy.pack.anonymise.strategies[category] ?? 'clear';
        }
        actions.push({ ...base('anonymise', d), type: 'anonymise', properties, notes: policy.pack.anonymise.notes });
        break;
      }
      case 'clear_property':
        actions.push({ ...base('clear_property', d), type: 'clear_property', property: d.target });
        break;
      case 'redact_note':
        if (drafts.map.has(`delete_note\u0000${d.target}`)) break;
        actions.push({ ...base('redact_note', d), type: 'redact_note', noteId: d.target, categories: (d.extra?.categories as string[]) ?? [] });
        break;
      case 'delete_note':
        actions.push({ ...base('delete_note', d), type: 'delete_note', noteId: d.target });
        break;
      case 'unsubscribe':
        actions.push({ ...base('unsubscribe', d), type: 'unsubscribe', subscriptionId: d.target, purpose: String(d.extra?.purpose ?? '') });
        break;
      case 'set_lawful_basis':
        actions.push({
          ...base('set_lawful_basis', d),
          type: 'set_lawful_basis',
          purpose: d.target,
          basis: d.extra?.basis as Extract<Action, { type: 'set_lawful_basis' }>['basis'],
        });
        break;
      default:
        break;
    }
  }

  // One task per contact for the current set of findings: a person hears of it at once.
  const pendingDestructive = actions.filter((a) => a.destructive && a.dueAt > now);
  const taskCause = [...taskFindings, ...findings.filter((f) => pendingDestructive.some((a) => a.findingIds.includes(f.id)))];
  if (taskCause.length > 0) {
    const ids = [...new Set(taskCause.map((f) => f.id))].sort();
    const lines = findings.map((f) => {
      const a = actions.find((x) => x.findingIds.includes(f.id));
      const when = a && a.destructive ? ` -> ${a.type.replace(/_/g, ' ')} on ${a.dueAt.slice(0, 10)} unless resolved` : '';
      return `- ${f.ruleId} (${f.article})${f.field ? ` field ${f.field}` : ''}: ${f.evidence}${when}`;
    });
    const first = pendingDestructive.map((a) => a.dueAt).sort()[0];
    const taskDraft: Draft = { target: ids.join(','), findings: findings.filter((f) => ids.includes(f.id)), dueAt: now };
    actions.push({
      ...base('create_task', taskDraft),
      id: actionId(contact.portalId, contact.id, 'create_task', ids.join(',')),
      type: 'create_task',
      destructive: false,
      subject: `GDPR review: ${ids.length} finding(s) on contact ${contact.id}${first ? `, action on ${first.slice(0, 10)}` : ''}`,
      body: `Found by the GDPR scan. Resolve the cause before the date to cancel the action.\n${lines.join('\n')}`,
      ownerId: contact.ownerId ?? policy.pack.tasks.fallbackOwnerId,
    });
  }

  if (pendingDestructive.length > 0) {
    const next = pendingDestructive.map((a) => a.dueAt).sort()[0]!;
    const rules = [...new Set(pendingDestructive.flatMap((a) => a.ruleIds))].sort().join(';');
    const values = {
      [STATUS_PROPERTIES.status]: 'action_pending',
      [STATUS_PROPERTIES.nextActionAt]: next,
      [STATUS_PROPERTIES.ruleIds]: rules,
    };
    const d: Draft = { target: JSON.stringify(values), findings: pendingDestructive.flatMap((a) => findings.filter((f) => a.findingIds.includes(f.id))), dueAt: now };
    actions.push({ ...base('set_status', d), type: 'set_status', destructive: false, values });
  }
  return actions;
}

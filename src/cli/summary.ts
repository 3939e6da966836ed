import type { Plan } from '../model';
import type { ApplySummary } from '../pipeline/apply';
import type { ScanSummary } from '../pipeline/scan';
import { RULE_ARTICLES } from '../policy/articles';
import type { RuleId } from '../policy/pack-schema';
import { table } from './table';

export function printScanSummary(s: ScanSummary): string {
  const rows = Object.entries(s.byRule)
    .sort((a, b) => b[1] - a[1])
    .map(([rule, n]) => [rule, RULE_ARTICLES[rule as RuleId] ?? '', n]);
  const secs = (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000;
  return [
    `Portal ${s.portal.id} (tenant ${s.portal.tenantId}, data hosted in ${s.portal.region}${s.portal.regionInEea ? ', EU/EEA' : ', outside the EU/EEA'})`,
    `${s.mode} scan: ${s.contacts} contacts in ${secs.toFixed(1)} s; ${s.findings} open findings (${s.newFindings} new, ${s.resolvedFindings} resolved); ${s.plannedActions} actions planned${s.tasksToClose ? `; ${s.tasksToClose} task(s) to close (cause gone)` : ''}${s.deletedInVendor ? `; ${s.deletedInVendor} deleted in the CRM` : ''}`,
    '',
    rows.length > 0 ? table(['rule', 'article', 'findings'], rows) : 'No findings.',
    '',
    s.reportFile ? `Report: ${s.reportFile}` : '',
    'Next: gdpr-crm plan',
    '',
  ].join('\n');
}

export function printPlan(plan: Plan): string {
  const group = (actions: Plan['actions']) => {
    const m = new Map<string, { n: number; first: string; rules: Set<string> }>();
    for (const a of actions) {
      const g = m.get(a.type) ?? { n: 0, first: a.dueAt, rules: new Set<string>() };
      g.n += 1;
      if (a.dueAt < g.first) g.first = a.dueAt;
      a.ruleIds.forEach((r) => g.rules.add(r));
      m.set(a.type, g);
    }
    return [...m].map(([type, g]) => [type, g.n, g.first.slice(0, 10), [...g.rules].slice(0, 3).join(', ') + (g.rules.size > 3 ? ', ...' : '')]);
  };
  return [
    `Plan for ${plan.portalId} (policy ${plan.policy.id}@${plan.policy.version}) as of ${plan.createdAt}`,
    '',
    `Due now (${plan.actions.length} actions; run with apply):`,
    plan.actions.length ? table(['action', 'count', 'due from', 'rules'], group(plan.actions)) : '  nothing due',
    '',
    `Waiting out the grace period (${plan.pending.length} actions; a task sits with the owner meanwhile):`,
    plan.pending.length ? table(['action', 'count', 'first due', 'rules'], group(plan.pending)) : '  nothing pending',
    '',
  ].join('\n');
}

export function printApply(s: ApplySummary): string {
  const rows = Object.entries(s.byType).map(([type, c]) => [type, c.done, c.skipped, c.cancelled, c.failed]);
  return [
    `${s.dryRun ? 'Dry run: would apply' : 'Applied'} ${s.total} actions: ${s.done} done, ${s.skipped} skipped, ${s.cancelled} cancelled (cause gone), ${s.failed} failed${s.alreadyDone ? `, ${s.alreadyDone} already done before` : ''}${s.notDueYet ? `, ${s.notDueYet} not due yet` : ''}${s.claimedElsewhere ? `, ${s.claimedElsewhere} left to another apply running now` : ''}`,
    rows.length ? table(['action', 'done', 'skipped', 'cancelled', 'failed'], rows) : '',
    s.statusUpdates ? `GDPR status moved on (anonymised / resolved) for ${s.statusUpdates} contact(s) whose last pending action ran.` : '',
    s.failed > 0 ? 'Some actions failed; run the same apply again to retry them (done ones are not repeated).' : '',
    '',
  ].join('\n');
}

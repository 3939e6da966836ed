/**
 * One scan of one portal: sync contacts from the vendor, evaluate them, record findings (keeping
 * when each was first seen), plan actions, and write a report. Runs inline from the CLI or from a
 * queue worker; holds no vendor specifics.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connector } from '../../connectors/types';
import type { Contact, Finding, Portal, TransferMechanism } from '../model';
import type { CompiledPolicy } from '../policy/compile';
import { evaluateContact, evaluatePortal } from '../policy/evaluate';
import { planContact } from '../policy/plan';
import type { Store } from '../store';
import { appendAudit } from '../audit';
import { propertiesToFetch } from './properties';
import type { ProgressFn } from './progress';
import { renewClosedTasks, settleResolvedFindings } from './tasks';

export interface ScanOptions {
  store: Store;
  connector: Connector;
  policy: CompiledPolicy;
  tenantId: string;
  mode: 'full' | 'incremental';
  now: Date;
  /** Transfer mechanism recorded for a non-EEA portal (from portal settings). */
  transferMechanism?: TransferMechanism;
  reportDir?: string;
  actor?: string;
  onProgress?: ProgressFn;
  /** Resume a crashed full scan from its last saved page. */
  resume?: boolean;
}

export interface ScanSummary {
  portal: Portal;
  mode: 'full' | 'incremental';
  contacts: number;
  findings: number;
  newFindings: number;
  resolvedFindings: number;
  byRule: Record<string, number>;
  byKind: Record<string, number>;
  plannedActions: number;
  /** Tasks in the CRM to close (close_task planned) because a finding they name resolved. */
  tasksToClose: number;
  deletedInVendor: number;
  reportFile: string | null;
  startedAt: string;
  finishedAt: string;
}

const CHECKPOINT_FULL = 'full-scan';
const CURSOR_INCREMENTAL = 'incremental';

export async function runScan(opts: ScanOptions): Promise<ScanSummary> {
  const { store, connector, policy, tenantId, now } = opts;
  const nowMs = now.getTime();
  const scanAt = now.toISOString();
  const startedAt = new Date().toISOString();

  await store.ensureTenant(tenantId);
  const described = await connector.describePortal();
  const portal: Portal = { ...described, tenantId, transferMechanism: opts.transferMechanism ?? described.transferMechanism };
  await store.upsertPortal(portal);

  const defs = await connector.listProperties();
  const properties = propertiesToFetch(defs, policy);
  const isSuppressed = await store.loadSuppressionSet(tenantId);
  const anonymised = await store.listAnonymisedContactIds(portal.id);

  const since = opts.mode === 'incremental' ? await store.getCheckpoint(portal.id, CURSOR_INCREMENTAL) : null;
  const resumeFrom = opts.mode === 'full' && opts.resume ? await store.getCheckpoint(portal.id, CHECKPOINT_FULL) : null;

  const byRule: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const filled = new Map<string, number>();
  let contacts = 0;
  let findingsCount = 0;
  let newFindings = 0;
  let resolved = 0;
  let planned = 0;
  let tasksToClose = 0;
  let maxModified = since ?? '';
  const seenIds: string[] = [];

  const tally = (fs: Finding[]) => {
    for (const f of fs) {
      byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
      byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    }
    findingsCount += fs.length;
  };
  const allFindings: Finding[] = [];

  // Portal-level findings (residency) first.
  const portalFindings = evaluatePortal(portal, policy, nowMs);
  const pr = await store.recordFindings(portal.id, scanAt, [null], portalFindings);
  tally(pr.findings);
  allFindings.push(...pr.findings);

  for await (const page of connector.streamContacts({
    properties,
    since: since ? new Date(since) : undefined,
    checkpoint: resumeFrom ?? undefined,
    includeNotes: true,
  })) {
    const pageFindings: Finding[] = [];
    const byContact = new Map<string, Contact>();
    for (const raw of page.contacts) {
      const c: Contact = { ...raw, tenantId, portalId: portal.id, suppressionMatch: raw.suppressionMatch || isSuppressed(raw.identifiers) };
      byContact.set(c.id, c);
      for (const [name, v] of Object.entries(c.properties)) if (v.value) filled.set(name, (filled.get(name) ?? 0) + 1);
      if (c.modifiedAt > maxModified) maxModified = c.modifiedAt;
      // An anonymised record is no longer about a person; recording it with no findings resolves its old ones.
      if (anonymised.has(c.id)) continue;
      pageFindings.push(...evaluateContact(c, policy, nowMs));
    }
    const ids = [...byContact.keys()];
    const recorded = await store.recordFindings(portal.id, scanAt, ids, pageFindings);
    newFindings += recorded.findings.filter((f) => f.firstSeenAt === scanAt).length;
    resolved += recorded.resolved.length;
    if (recorded.resolved.length > 0) tasksToClose += (await settleResolvedFindings(store, portal.id, recorded.resolved, now)).closeTasks.length;
    const perContact = new Map<string, Finding[]>();
    for (const f of recorded.findings) {
      if (!f.contactId) continue;
      const list = perContact.get(f.contactId);
      if (list) list.push(f);
      else perContact.set(f.contactId, [f]);
    }
    const actions = await renewClosedTasks(store, portal.id, [...perContact].flatMap(([id, fs]) => planContact(byContact.get(id)!, fs, policy, nowMs)));
    await store.savePlannedActions(portal.id, actions);
    planned += actions.length;
    await store.upsertContactsSeen(portal.id, page.contacts.map((c) => ({ id: c.id, modifiedAt: c.modifiedAt })));
    if (page.checkpoint && opts.mode === 'full') await store.saveCheckpoint(portal.id, CHECKPOINT_FULL, page.checkpoint);
    tally(recorded.findings);
    allFindings.push(...recorded.findings);
    contacts += page.contacts.length;
    seenIds.push(...ids);
    opts.onProgress?.({ phase: 'sync', done: contacts, total: page.total, findings: findingsCount });
  }

  // Contacts deleted in the vendor: forget them and resolve their findings.
  let deletedInVendor = 0;
  const deletedSince = since ? new Date(since) : new Date(0);
  const deleted = await connector.listDeletedSince(deletedSince);
  if (deleted.length > 0) {
    await store.markDeleted(portal.id, deleted);
    const r = await store.recordFindings(portal.id, scanAt, deleted, []);
    resolved += r.resolved.length;
    if (r.resolved.length > 0) tasksToClose += (await settleResolvedFindings(store, portal.id, r.resolved, now)).closeTasks.length;
    deletedInVendor = deleted.length;
  }

  if (opts.mode === 'full') await store.saveCheckpoint(portal.id, CHECKPOINT_FULL, '');
  // Incremental cursor: inclusive (>=) next time, duplicates dropped by id in the connector.
  if (maxModified) await store.saveCheckpoint(portal.id, CURSOR_INCREMENTAL, maxModified);
  // Fill counts are only whole after a full scan; an incremental one saw a few contacts.
  if (opts.mode === 'full') await store.upsertFieldInventory(
    portal.id,
    [...filled].map(([property, filledCount]) => ({ property, category: policy.categoryOf(property) ?? 'unknown', filledCount })),
  );

  let reportFile: string | null = null;
  if (opts.reportDir) {
    mkdirSync(opts.reportDir, { recursive: true });
    reportFile = path.join(opts.reportDir, `scan-${portal.id.replace(/[^a-z0-9]+/gi, '_')}-${scanAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      reportFile,
      JSON.stringify({ portal, policy: { id: policy.pack.id, version: policy.pack.version }, scanAt, mode: opts.mode, contacts, byRule, byKind, findings: allFindings }, null, 2),
    );
  }
  const finishedAt = new Date().toISOString();
  await appendAudit(store, {
    actor: opts.actor ?? 'cli',
    tenantId,
    portalId: portal.id,
    contactId: null,
    ruleId: null,
    action: `scan:${opts.mode}`,
    result: 'done',
    detail: `contacts=${contacts} findings=${findingsCount} new=${newFindings} resolved=${resolved} tasks_to_close=${tasksToClose} policy=${policy.pack.id}@${policy.pack.version}`,
  });
  return {
    portal,
    mode: opts.mode,
    contacts,
    findings: findingsCount,
    newFindings,
    resolvedFindings: resolved,
    byRule,
    byKind,
    plannedActions: planned,
    tasksToClose,
    deletedInVendor,
    reportFile,
    startedAt,
    finishedAt,
  };
}

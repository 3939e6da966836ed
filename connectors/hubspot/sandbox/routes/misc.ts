/** Communication preferences v3, owners, v4 associations and account info (reference §3, §4, §8). */
import { z } from 'zod';
import { hsError, intParam, type Ctx, type Router } from '../http';
import { toObjectType } from '../present';
import { ASSOCIATION_TYPE_IDS } from '../state';
import type { LegalBasisV3, ObjectType } from '../types';
import { parseBody } from './objects';

const LEGAL_BASES = ['LEGITIMATE_INTEREST_PQL', 'LEGITIMATE_INTEREST_CLIENT', 'PERFORMANCE_OF_CONTRACT', 'CONSENT_WITH_NOTICE', 'NON_GDPR', 'PROCESS_AND_STORE', 'LEGITIMATE_INTEREST_OTHER'] as const;
const StatusChange = z.object({
  emailAddress: z.string().min(3),
  subscriptionId: z.union([z.string(), z.number()]).transform(String),
  legalBasis: z.enum(LEGAL_BASES).optional(),
  legalBasisExplanation: z.string().optional(),
});
const BatchIds = z.object({ inputs: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String) })) });

function statusView(ctx: Ctx, email: string, subId: string): Record<string, unknown> | null {
  const def = ctx.state.subscriptionDefinitions.find((d) => d.id === subId);
  if (!def) return null;
  const key = email.trim().toLowerCase();
  const entry = ctx.state.subscriptionStatuses.get(key)?.get(subId);
  const contact = ctx.state.findContactByEmail(key);
  const portalWideOptOut = contact?.properties.hs_email_optout === 'true';
  if (!entry && !portalWideOptOut) return null;
  return {
    id: def.id,
    name: def.name,
    description: def.description,
    status: portalWideOptOut ? 'NOT_SUBSCRIBED' : (entry?.status ?? 'NOT_SUBSCRIBED'),
    sourceOfStatus: portalWideOptOut ? 'PORTAL_WIDE_STATUS' : 'SUBSCRIPTION_STATUS',
    brandId: 0,
    preferenceGroupName: def.purpose,
    legalBasis: entry?.legalBasis ?? undefined,
    legalBasisExplanation: entry?.legalBasisExplanation ?? undefined,
  };
}

function assocType(s: string | undefined): ObjectType {
  const t = toObjectType(s ?? '');
  if (!t) throw hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${s ?? ''}`);
  return t;
}

function assocTypes(from: ObjectType, to: ObjectType): { category: string; typeId: number; label: null }[] {
  const typeId = ASSOCIATION_TYPE_IDS[`${from}->${to}`];
  return typeId ? [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] : [];
}

export function registerMiscRoutes(r: Router): void {
  r.add('GET', '/communication-preferences/v3/definitions', (ctx) => ({
    status: 200,
    body: { subscriptionDefinitions: ctx.state.subscriptionDefinitions },
  }));

  r.add('GET', '/communication-preferences/v3/status/email/:emailAddress', (ctx) => {
    const email = ctx.params.emailAddress ?? '';
    // Only subscriptions with a recorded status are listed (not-specified ones are left out; UNCONFIRMED).
    const statuses = ctx.state.subscriptionDefinitions.map((d) => statusView(ctx, email, d.id)).filter((s) => s !== null);
    return { status: 200, body: { recipient: email, subscriptionStatuses: statuses } };
  });

  const change = (target: 'SUBSCRIBED' | 'NOT_SUBSCRIBED') => (ctx: Ctx) => {
    const b = parseBody(StatusChange, ctx.body);
    const def = ctx.state.subscriptionDefinitions.find((d) => d.id === b.subscriptionId);
    if (!def) throw hsError(400, 'VALIDATION_ERROR', `Subscription ${b.subscriptionId} does not exist`);
    const key = b.emailAddress.trim().toLowerCase();
    const current = ctx.state.subscriptionStatuses.get(key)?.get(b.subscriptionId);
    const contact = ctx.state.findContactByEmail(key);
    if (target === 'SUBSCRIBED') {
      if (ctx.opts.gdprEnabled && (!b.legalBasis || !b.legalBasisExplanation)) {
        throw hsError(400, 'VALIDATION_ERROR', 'Legal basis and legal basis explanation are required for GDPR enabled portals');
      }
      // v3 refuses to resubscribe people who opted out (message text UNCONFIRMED).
      if (current?.status === 'NOT_SUBSCRIBED' || contact?.properties.hs_email_optout === 'true') {
        throw hsError(400, 'VALIDATION_ERROR', `${b.emailAddress} has opted out of ${def.name} and cannot be resubscribed with this API`);
      }
      if (current?.status === 'SUBSCRIBED') throw hsError(400, 'VALIDATION_ERROR', `${b.emailAddress} is already subscribed to subscription ${b.subscriptionId}`);
    } else if (current?.status === 'NOT_SUBSCRIBED') {
      // Real portals answer 400 for a repeated unsubscribe (wording from memory, UNCONFIRMED).
      throw hsError(400, 'VALIDATION_ERROR', `${b.emailAddress} is already unsubscribed from subscription ${b.subscriptionId}`);
    }
    const legalBasis: LegalBasisV3 | null = b.legalBasis ?? current?.legalBasis ?? null;
    ctx.state.setSubscriptionStatus(key, b.subscriptionId, {
      status: target,
      legalBasis,
      legalBasisExplanation: b.legalBasisExplanation ?? current?.legalBasisExplanation ?? null,
    });
    return { status: 200, body: statusView(ctx, key, b.subscriptionId) };
  };
  r.add('POST', '/communication-preferences/v3/subscribe', change('SUBSCRIBED'));
  r.add('POST', '/communication-preferences/v3/unsubscribe', change('NOT_SUBSCRIBED'));

  const listOwners = (ctx: Ctx) => {
    const limit = Math.min(intParam(ctx.query, 'limit', 100), 500);
    const after = intParam(ctx.query, 'after', 0);
    const email = ctx.query.get('email')?.toLowerCase();
    const all = ctx.state.owners.filter((o) => (!email || o.email.toLowerCase() === email) && o.archived === (ctx.query.get('archived') === 'true'));
    const page = all.slice(after, after + limit);
    const body: Record<string, unknown> = { results: page };
    if (after + limit < all.length) body.paging = { next: { after: String(after + limit) } };
    return { status: 200, body };
  };
  r.add('GET', '/crm/v3/owners', listOwners);
  r.add('GET', '/crm/v3/owners/:ownerId', (ctx) => {
    const o = ctx.state.owners.find((x) => x.id === ctx.params.ownerId);
    if (!o) throw hsError(404, 'OBJECT_NOT_FOUND', `Owner ${ctx.params.ownerId ?? ''} not found`);
    return { status: 200, body: o };
  });

  r.add('GET', '/account-info/v3/details', (ctx) => ({
    status: 200,
    body: {
      portalId: ctx.state.portalId,
      accountType: 'STANDARD',
      timeZone: 'Europe/Amsterdam',
      companyCurrency: 'EUR',
      additionalCurrencies: ['GBP'],
      utcOffset: '+01:00',
      utcOffsetMilliseconds: 3_600_000,
      uiDomain: `app-${ctx.state.dataHostingLocation}.hubspot.com`,
      dataHostingLocation: ctx.state.dataHostingLocation,
    },
  }));

  r.add('GET', '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType', (ctx) => {
    const from = assocType(ctx.params.objectType);
    const to = assocType(ctx.params.toObjectType);
    const limit = Math.min(intParam(ctx.query, 'limit', 500), 500);
    const after = intParam(ctx.query, 'after', 0);
    const ids = ctx.state.associatedIds(from, ctx.params.objectId ?? '', to);
    const page = ids.slice(after, after + limit);
    const body: Record<string, unknown> = {
      // toObjectId is a JSON number in real answers (the SDK types it as string).
      results: page.map((id) => ({ toObjectId: Number(id), associationTypes: assocTypes(from, to) })),
    };
    if (after + limit < ids.length) body.paging = { next: { after: String(after + limit) } };
    return { status: 200, body };
  });

  r.add('POST', '/crm/v4/associations/:fromObjectType/:toObjectType/batch/read', (ctx) => {
    const from = assocType(ctx.params.fromObjectType);
    const to = assocType(ctx.params.toObjectType);
    const b = parseBody(BatchIds, ctx.body);
    if (b.inputs.length > 1000) throw hsError(400, 'VALIDATION_ERROR', 'Batch read is limited to 1000 inputs');
    const startedAt = new Date(ctx.state.clock()).toISOString();
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const { id } of b.inputs) {
      const ids = ctx.state.associatedIds(from, id, to);
      if (ids.length === 0) {
        // Real answers report ids without associations as errors in a 207 (from memory; UNCONFIRMED).
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
          message: `No ${to.replace(/s$/, '')} is associated with ${from.replace(/s$/, '')} ${id}.`,
          context: { fromObjectId: [id], fromObjectType: [from], toObjectType: [to] },
        });
        continue;
      }
      results.push({ from: { id }, to: ids.map((x) => ({ toObjectId: Number(x), associationTypes: assocTypes(from, to) })) });
    }
    const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: new Date(ctx.state.clock()).toISOString() };
    if (errors.length) Object.assign(body, { numErrors: errors.length, errors });
    return { status: errors.length ? 207 : 200, body };
  });

  r.add('PUT', '/crm/v4/objects/:fromObjectType/:fromObjectId/associations/default/:toObjectType/:toObjectId', (ctx) => {
    const from = assocType(ctx.params.fromObjectType);
    const to = assocType(ctx.params.toObjectType);
    const fromId = ctx.params.fromObjectId ?? '';
    const toId = ctx.params.toObjectId ?? '';
    if (!ctx.state.get(from, fromId) || !ctx.state.get(to, toId)) throw hsError(400, 'VALIDATION_ERROR', 'One or more objects do not exist');
    ctx.state.associate(from, fromId, to, toId);
    const startedAt = new Date(ctx.state.clock()).toISOString();
    return {
      status: 200,
      body: {
        status: 'COMPLETE',
        results: [{ from: { id: fromId }, to: { id: toId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPE_IDS[`${from}->${to}`] ?? 0 } }],
        startedAt,
        completedAt: startedAt,
      },
    };
  });

  const LabelledSpecs = z.array(z.object({ associationCategory: z.string(), associationTypeId: z.number() })).min(1);
  r.add('PUT', '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType/:toObjectId', (ctx) => {
    const from = assocType(ctx.params.objectType);
    const to = assocType(ctx.params.toObjectType);
    const fromId = ctx.params.objectId ?? '';
    const toId = ctx.params.toObjectId ?? '';
    const specs = parseBody(LabelledSpecs, ctx.body);
    const known = ASSOCIATION_TYPE_IDS[`${from}->${to}`];
    if (specs.some((sp) => sp.associationCategory === 'HUBSPOT_DEFINED' && sp.associationTypeId !== known)) {
      throw hsError(400, 'VALIDATION_ERROR', `Invalid association type for ${from} to ${to}`);
    }
    if (!ctx.state.get(from, fromId) || !ctx.state.get(to, toId)) throw hsError(400, 'VALIDATION_ERROR', 'One or more objects do not exist');
    ctx.state.associate(from, fromId, to, toId);
    return {
      status: 201,
      body: { fromObjectTypeId: from, fromObjectId: Number(fromId), toObjectTypeId: to, toObjectId: Number(toId), labels: [] },
    };
  });

  r.add('DELETE', '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType/:toObjectId', (ctx) => {
    ctx.state.dissociate(assocType(ctx.params.objectType), ctx.params.objectId ?? '', assocType(ctx.params.toObjectType), ctx.params.toObjectId ?? '');
    return { status: 204 };
  });
}

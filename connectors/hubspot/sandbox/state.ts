/**
 * The sandbox portal's in-memory model. Tests may read and mutate it directly; the HTTP routes go
 * through the methods so lastmodifieddate, the e-mail index and subscription mirroring stay right.
 */
import { initialGroups, initialProperties, SUBSCRIPTIONS } from './catalog';
import type {
  CrmRecord,
  ObjectType,
  Owner,
  PropertyDef,
  PropertyGroup,
  SubscriptionDefinition,
  SubscriptionStatusEntry,
} from './types';

/** HUBSPOT_DEFINED association type ids (SDK AssociationTypes). */
export const ASSOCIATION_TYPE_IDS: Record<string, number> = {
  'contacts->notes': 201,
  'notes->contacts': 202,
  'contacts->tasks': 203,
  'tasks->contacts': 204,
};
export const TYPE_ID_TARGETS: Record<number, { from: ObjectType; to: ObjectType }> = {
  201: { from: 'contacts', to: 'notes' },
  202: { from: 'notes', to: 'contacts' },
  203: { from: 'contacts', to: 'tasks' },
  204: { from: 'tasks', to: 'contacts' },
};
export const ASSOCIATION_LABELS: Record<string, string> = {
  'contacts->notes': 'contact_to_note',
  'notes->contacts': 'note_to_contact',
  'contacts->tasks': 'contact_to_task',
  'tasks->contacts': 'task_to_contact',
};

const ID_START: Record<ObjectType, number> = { contacts: 1001, notes: 5_000_001, tasks: 9_000_001 };

export const createdProp = (t: ObjectType): string => (t === 'contacts' ? 'createdate' : 'hs_createdate');
export const modifiedProp = (t: ObjectType): string => (t === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate');

export class SandboxState {
  readonly objects: Record<ObjectType, Map<string, CrmRecord>> = { contacts: new Map(), notes: new Map(), tasks: new Map() };
  /** Ids in ascending numeric order (may hold ids since removed; readers skip those). */
  readonly order: Record<ObjectType, string[]> = { contacts: [], notes: [], tasks: [] };
  readonly nextId: Record<ObjectType, number> = { ...ID_START };
  /** `${fromType}/${fromId}/${toType}` -> ids, kept in both directions. */
  readonly associations = new Map<string, Set<string>>();
  readonly properties: Record<ObjectType, Map<string, PropertyDef>>;
  readonly groups: Record<ObjectType, Map<string, PropertyGroup>>;
  readonly subscriptionDefinitions: SubscriptionDefinition[] = SUBSCRIPTIONS.map((s) => ({ ...s }));
  /** Lower-cased e-mail -> subscription id -> status. Absent = not specified. */
  readonly subscriptionStatuses = new Map<string, Map<string, SubscriptionStatusEntry>>();
  readonly owners: Owner[] = [];
  readonly gdprDeletedIds = new Set<string>();
  readonly blocklistedEmails = new Set<string>();
  /** Lower-cased e-mail -> contact id (live and archived contacts). */
  readonly emailIndex = new Map<string, string>();
  private lastStamp = 0;

  constructor(
    readonly portalId: number,
    public dataHostingLocation: string,
    readonly clock: () => number,
    includeCustomProperties: boolean,
  ) {
    this.properties = {
      contacts: initialProperties('contacts', includeCustomProperties),
      notes: initialProperties('notes', false),
      tasks: initialProperties('tasks', false),
    };
    this.groups = {
      contacts: initialGroups('contacts', includeCustomProperties),
      notes: initialGroups('notes', false),
      tasks: initialGroups('tasks', false),
    };
  }

  /** Monotonic write time, so two writes never share a lastmodifieddate going backwards. */
  stamp(): string {
    const t = Math.max(this.clock(), this.lastStamp + 1);
    this.lastStamp = t;
    return new Date(t).toISOString();
  }

  get(type: ObjectType, id: string): CrmRecord | undefined {
    return this.objects[type].get(id);
  }

  findContactByEmail(email: string): CrmRecord | undefined {
    const id = this.emailIndex.get(email.trim().toLowerCase());
    return id ? this.objects.contacts.get(id) : undefined;
  }

  /** Inserts a record; `at` fixes created/modified times (seeding), otherwise now. */
  insert(type: ObjectType, properties: Record<string, string | null>, at?: { createdAt: string; updatedAt: string }, id?: string): CrmRecord {
    const newId = id ?? String(this.nextId[type]++);
    if (id && Number(id) >= this.nextId[type]) this.nextId[type] = Number(id) + 1;
    const createdAt = at?.createdAt ?? this.stamp();
    const updatedAt = at?.updatedAt ?? createdAt;
    const rec: CrmRecord = {
      id: newId,
      properties: { ...properties, hs_object_id: newId, [createdProp(type)]: createdAt, [modifiedProp(type)]: updatedAt },
      createdAt,
      updatedAt,
      archived: false,
    };
    this.objects[type].set(newId, rec);
    const ord = this.order[type];
    if (ord.length === 0 || Number(ord[ord.length - 1]) < Number(newId)) ord.push(newId);
    else {
      ord.push(newId);
      ord.sort((a, b) => Number(a) - Number(b));
    }
    if (type === 'contacts') this.indexEmail(rec, null);
    return rec;
  }

  /** Applies already-validated values (null clears) and bumps the modified date. */
  update(type: ObjectType, rec: CrmRecord, values: Record<string, string | null>): void {
    const oldEmail = rec.properties.email ?? null;
    for (const [k, v] of Object.entries(values)) rec.properties[k] = v;
    this.touch(type, rec);
    if (type === 'contacts' && 'email' in values) this.indexEmail(rec, oldEmail);
  }

  touch(type: ObjectType, rec: CrmRecord): void {
    const now = this.stamp();
    rec.updatedAt = now;
    rec.properties[modifiedProp(type)] = now;
  }

  archive(type: ObjectType, rec: CrmRecord): void {
    if (rec.archived) return;
    rec.archived = true;
    rec.archivedAt = this.stamp();
    rec.updatedAt = rec.archivedAt;
  }

  /** Removes a record and its association edges for good. */
  purge(type: ObjectType, id: string): void {
    const rec = this.objects[type].get(id);
    if (!rec) return;
    this.objects[type].delete(id);
    if (type === 'contacts') {
      const email = rec.properties.email?.toLowerCase();
      if (email && this.emailIndex.get(email) === id) this.emailIndex.delete(email);
    }
    for (const key of [...this.associations.keys()]) {
      if (!key.startsWith(`${type}/${id}/`)) continue;
      const toType = key.split('/')[2] as ObjectType;
      for (const toId of this.associations.get(key) ?? []) this.associations.get(`${toType}/${toId}/${type}`)?.delete(id);
      this.associations.delete(key);
    }
  }

  /**
   * Links two records. Logging a note on a contact is a write to the contact in HubSpot: its Last Activity
   * Date (notes_last_updated) moves to the note's time if later, and lastmodifieddate moves. Seeding passes
   * `silent` to keep the seed's own timestamps.
   */
  associate(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string, silent = false): void {
    if (!silent) {
      const pair = fromType === 'notes' && toType === 'contacts' ? [toId, fromId] : fromType === 'contacts' && toType === 'notes' ? [fromId, toId] : null;
      const contact = pair ? this.objects.contacts.get(pair[0] as string) : undefined;
      const note = pair ? this.objects.notes.get(pair[1] as string) : undefined;
      const already = pair ? this.associations.get(`contacts/${pair[0]}/notes`)?.has(pair[1] as string) : true;
      if (contact && note && !already) {
        const at = note.properties.hs_timestamp ?? note.createdAt;
        const cur = contact.properties.notes_last_updated;
        if (!cur || Date.parse(at) > Date.parse(cur)) contact.properties.notes_last_updated = at;
        this.touch('contacts', contact);
      }
    }
    const add = (k: string, v: string): void => {
      let s = this.associations.get(k);
      if (!s) this.associations.set(k, (s = new Set()));
      s.add(v);
    };
    add(`${fromType}/${fromId}/${toType}`, toId);
    add(`${toType}/${toId}/${fromType}`, fromId);
  }

  dissociate(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): void {
    this.associations.get(`${fromType}/${fromId}/${toType}`)?.delete(toId);
    this.associations.get(`${toType}/${toId}/${fromType}`)?.delete(fromId);
  }

  /** Associated ids that still exist (archived ones excluded), ascending. */
  associatedIds(fromType: ObjectType, fromId: string, toType: ObjectType): string[] {
    const ids = [...(this.associations.get(`${fromType}/${fromId}/${toType}`) ?? [])];
    return ids.filter((id) => this.objects[toType].get(id)?.archived === false).sort((a, b) => Number(a) - Number(b));
  }

  /** Sets one subscription status and mirrors it into hs_email_optout_<id> of the contact with that e-mail. */
  setSubscriptionStatus(email: string, subscriptionId: string, entry: Omit<SubscriptionStatusEntry, 'updatedAt'> | null, at?: string): void {
    const key = email.trim().toLowerCase();
    let m = this.subscriptionStatuses.get(key);
    if (entry) {
      if (!m) this.subscriptionStatuses.set(key, (m = new Map()));
      m.set(subscriptionId, { ...entry, updatedAt: at ?? this.stamp() });
    } else m?.delete(subscriptionId);
    const rec = this.findContactByEmail(key);
    if (rec) {
      rec.properties[`hs_email_optout_${subscriptionId}`] = entry ? String(entry.status === 'NOT_SUBSCRIBED') : null;
      if (!at) this.touch('contacts', rec);
    }
  }

  private indexEmail(rec: CrmRecord, oldEmail: string | null): void {
    if (oldEmail) {
      const o = oldEmail.toLowerCase();
      if (this.emailIndex.get(o) === rec.id) this.emailIndex.delete(o);
    }
    const e = rec.properties.email;
    if (e) this.emailIndex.set(e.toLowerCase(), rec.id);
  }
}

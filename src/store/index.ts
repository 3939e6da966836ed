export { openStore, type OpenStoreOptions } from './open';
export { PGliteThread, PGliteThreadDialect } from './pglite-thread';
export {
  Store,
  type Backend,
  type TenantKeys,
  type ContactSeen,
  type ContactInventoryRow,
  type FieldInventoryRow,
  type Checkpoint,
  type RecordFindingsResult,
  type ActionRecord,
  type ScannedContacts,
} from './store';
export type { ActionState, Database } from './schema';
export { normaliseEmail, normalisePhone, normaliseIdentifiers, type Identifiers } from './identifiers';

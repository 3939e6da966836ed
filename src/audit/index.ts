export { appendAudit, appendAuditBatch, appendAuditInTransaction, AuditEntry, type AuditRow } from './append';
export { verifyAudit, type VerifyResult } from './verify';
export { listAudit } from './list';
export { GENESIS_HASH, canonicalRow, hashRow } from './chain';

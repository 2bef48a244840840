// Discovery's public API: matters, saved searches, exports, and offline export verification.
export { Discovery, type DiscoveryDeps } from './service.ts';
export { verifyExport, type ExportFinding, type ExportVerifyReport } from './verify.ts';
export {
  EVENTS, exportInput, holdLinkInput, matterChange, matterInput, membersInput, searchInput, MATTER_ID, EXPORT_ID, controlNumber,
  type ExportInput, type ExportRecord, type Matter, type MatterDetail, type SavedSearch,
} from './model.ts';
export { LOAD_FIELDS, DAT_QUOTE, DAT_SEPARATOR, DAT_NEWLINE } from './load-file.ts';
export { MANIFEST_NAME, SIGNATURE_NAME, CUSTODY_NAME, type Manifest, type ManifestSignature } from './manifest.ts';

// How archived messages appear in the vault and on the ledger. Ingest writes them, retention
// destroys them, verify checks them: the names live here, below all three.
import type { MessageEvents } from './verify.ts';

export const MESSAGE_INGESTED = 'message.ingested';
export const MESSAGE_DUPLICATE = 'message.duplicate';
export const MESSAGE_DESTROYED = 'message.destroyed';

/**
 * One flat prefix: in the fs adapter all new objects then share one directory, so one directory
 * fsync covers every message written at the same time (docs/adr/0003).
 */
export const messageKey = (sha256: string) => `messages/${sha256}`;

export const MESSAGE_EVENTS: MessageEvents = {
  stored: [MESSAGE_INGESTED],
  destroyed: [MESSAGE_DESTROYED],
  keyOf: messageKey,
  objectPrefix: 'messages/',
};

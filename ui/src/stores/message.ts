// One archived message as a legal reader sees it: headers, envelope, text, attachments, its
// records facts (category, retain-until, holds, hash, ledger entry) and its thread.
import { defineStore } from 'pinia';
import { readonly, ref, shallowRef } from 'vue';
import { api, describe } from '../api.ts';
import type { Address, SearchHit } from './search.ts';

export interface AttachmentLink {
  n: number;
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

export interface LedgerEntry {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject?: string;
  hash: string;
  prev: string;
  data: Record<string, unknown>;
}

export interface MessageDetail {
  id: string;
  sha256: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  date: string;
  receivedAt: string;
  size: number;
  from: Address[];
  to: Address[];
  cc: Address[];
  /** From the headers and from journal-report envelopes (the Bcc the headers hide). */
  bcc: Address[];
  envelope: { from: string | null; to: string[] };
  body: string;
  hasHtml: boolean;
  attachments: AttachmentLink[];
  flags: string[];
  category: string;
  retainUntil: string;
  holds: string[];
  custodians: string[];
  /** The ledger event of the message's arrival. */
  ingest: LedgerEntry | null;
}

export const messagePaths = {
  raw: (id: string) => `/api/v1/messages/${id}/raw`,
  html: (id: string) => `/api/v1/messages/${id}/html`,
};

export const useMessage = defineStore('message', () => {
  const message = shallowRef<MessageDetail | null>(null);
  const thread = shallowRef<SearchHit[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;

  async function load(id: string): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const [detail, threaded] = await Promise.all([
        api<MessageDetail>(`/api/v1/messages/${id}`),
        api<{ messages: SearchHit[] }>(`/api/v1/messages/${id}/thread`),
      ]);
      if (mine !== generation) return;
      message.value = detail;
      thread.value = threaded.messages;
    } catch (err) {
      if (mine !== generation) return;
      message.value = null;
      thread.value = [];
      error.value = describe(err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  return { message, thread, loading: readonly(loading), error: readonly(error), load };
});

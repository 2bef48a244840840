// A parse worker: parses and seals messages off the main thread, where SMTP and the fsyncs run.
import { parentPort, workerData } from 'node:worker_threads';
import { keyringFromTransfer } from '../../vault/keyring.ts';
import { seal } from '../../vault/seal.ts';
import { loadSodium } from '../../vault/sodium.ts';
import { parseMessage } from './parse-message.ts';

export interface ParseTask {
  id: number;
  raw: Uint8Array;
  objectKey: string;
}

const sodium = await loadSodium();
const keyring = keyringFromTransfer(workerData.keyring);

parentPort!.on('message', async (task: ParseTask) => {
  try {
    const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
    const parsed = await parseMessage(raw);
    const sealed = seal(sodium, keyring, task.objectKey, raw);
    const out = new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    parentPort!.postMessage({ id: task.id, parsed, sealed: out });
  } catch (err) {
    parentPort!.postMessage({ id: task.id, error: (err as Error).message });
  }
});
parentPort!.postMessage({ ready: true });

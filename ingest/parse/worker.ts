// A worker thread for the CPU-heavy steps: full MIME parsing for the index (opening the sealed
// object first when the indexer reads it from the vault), and sealing of large messages, so the
// thread that speaks SMTP, waits on fsyncs and writes the index never stalls.
import { parentPort, workerData } from 'node:worker_threads';
import { keyringFromTransfer } from '../../vault/keyring.ts';
import { seal, unseal } from '../../vault/seal.ts';
import { loadSodium } from '../../vault/sodium.ts';
import { parseMessage } from './parse-message.ts';

export type WorkerTask =
  | { id: number; op: 'parse'; raw: Uint8Array }
  | { id: number; op: 'open-parse'; raw: Uint8Array; objectKey: string }
  | { id: number; op: 'seal'; raw: Uint8Array; objectKey: string };

const sodium = await loadSodium();
const keyring = keyringFromTransfer(workerData.keyring);

parentPort!.on('message', async (task: WorkerTask) => {
  try {
    const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
    if (task.op === 'parse') {
      parentPort!.postMessage({ id: task.id, result: await parseMessage(raw) });
    } else if (task.op === 'open-parse') {
      let plain: Buffer;
      try {
        plain = unseal(sodium, keyring, task.objectKey, raw);
      } catch (err) {
        // Told apart from a parser failure: the caller reads the object again, from another region.
        return parentPort!.postMessage({ id: task.id, error: (err as Error).message, opening: true });
      }
      parentPort!.postMessage({ id: task.id, result: await parseMessage(plain) });
    } else {
      const sealed = seal(sodium, keyring, task.objectKey, raw);
      parentPort!.postMessage({ id: task.id, result: new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength) });
    }
  } catch (err) {
    parentPort!.postMessage({ id: task.id, error: (err as Error).message });
  }
});
parentPort!.postMessage({ ready: true });

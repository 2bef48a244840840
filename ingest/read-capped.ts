// Reads a stream into memory up to a byte cap. Past the cap the rest is drained and dropped
// (so the protocol can still answer) and the result says so: size is checked on the bytes
// received, not on what the sender announced. A shared ReceiveBudget also bounds what all
// receivers hold at once, so many senders of big mail cannot add up to more than it.
import type { Readable } from 'node:stream';

export interface CappedRead {
  raw: Buffer;
  tooLarge: boolean;
  /** The shared budget ran out while reading: a temporary refusal (451 / 503), retry later. */
  overBudget: boolean;
  bytes: number;
  /** Gives the bytes held back to the budget; call once the message is dealt with. */
  release(): void;
}

/**
 * Bytes held by all receivers at once. Each receiver may hold up to the message cap, and there may
 * be hundreds of connections: without this bound, 200 SMTP clients x 64 MiB is 12.8 GiB.
 */
export class ReceiveBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get inUse(): number {
    return this.used;
  }

  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export async function readCapped(stream: Readable, maxBytes: number, budget?: ReceiveBudget): Promise<CappedRead> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let taken = 0;
  let tooLarge = false;
  let overBudget = false;
  const giveBack = () => {
    budget?.give(taken);
    taken = 0;
  };
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (tooLarge || overBudget) continue;
      if (bytes > maxBytes) {
        tooLarge = true;
      } else if (budget && !budget.tryTake(buf.length)) {
        overBudget = true;
      } else {
        taken += budget ? buf.length : 0;
        chunks.push(buf);
        continue;
      }
      chunks.length = 0;
      giveBack();
    }
  } catch (err) {
    giveBack();
    throw err;
  }
  const refused = tooLarge || overBudget;
  return { raw: refused ? Buffer.alloc(0) : Buffer.concat(chunks, bytes), tooLarge, overBudget, bytes, release: giveBack };
}

// The single-message files of the shared corpus of odd messages, by path.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const CORPUS = '../shared/corpus';
/** Expected-output files, licences and raw TNEF blobs sit beside the messages; they are not mail. */
const NOT_MAIL = /(\.(xml|out|json|list|tnef|md)$)|(_decoded[^/]*$)|LICENSE|README|\.unix-offsets/;

/** Every single-message file of the corpus (mbox files go through the mbox importer). */
export async function corpusMessages(dir = CORPUS): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) {
      if (name !== 'mbox') out.push(...(await corpusMessages(path)));
    } else if (!NOT_MAIL.test(path)) {
      out.push(path);
    }
  }
  return out;
}

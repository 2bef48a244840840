// Walks a directory of mail in one fixed order: .eml files (recursively), mbox files, and Maildir
// folders (cur/ and new/, with Maildir++ ".Sub.Folder" subfolders). The order is fixed so that
// "everything up to file X is done" is a meaningful checkpoint for a resumed import.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';

export type TreeFileKind = 'message' | 'mbox';

export interface TreeFile {
  /** Path relative to the root, '/'-separated. */
  rel: string;
  path: string;
  kind: TreeFileKind;
  stats: Stats;
}

/** Single-message files; anything else outside a Maildir is passed over (and counted). */
const MESSAGE_EXT = /\.eml$/i;
const MBOX_EXT = /\.(mbox|mbx)$/i;
/** Maildir's tmp/ holds deliveries still being written: never complete, never imported. */
const MAILDIR_MESSAGE_DIRS = ['cur', 'new'];

/** Orders relative paths as the walk visits them: segment by segment, by code unit. */
export function compareRel(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

async function sortedEntries(dir: string) {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function isMaildir(dir: string): Promise<boolean> {
  const kinds = await Promise.all(MAILDIR_MESSAGE_DIRS.map((d) => stat(join(dir, d)).then((s) => s.isDirectory(), () => false)));
  return kinds.every(Boolean);
}

/**
 * Yields the mail files under `root` in walk order. Symbolic links are not followed (a link
 * loop cannot trap the walk); hidden directories are skipped except Maildir++ subfolders.
 * `onIgnored` hears about files that are not mail by name (e.g. .msf indexes, .DS_Store).
 */
export async function* walkTree(root: string, onIgnored: (rel: string) => void = () => {}, rel = ''): AsyncGenerator<TreeFile> {
  const dir = rel ? join(root, rel) : root;
  const maildir = await isMaildir(dir);
  for (const e of await sortedEntries(dir)) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    const path = join(root, childRel);
    if (maildir) {
      if (e.isDirectory() && MAILDIR_MESSAGE_DIRS.includes(e.name)) yield* maildirFiles(root, childRel);
      else if (e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..') yield* walkTree(root, onIgnored, childRel);
      continue; // dovecot-uidlist, maildirfolder, tmp/ ...: bookkeeping, not mail
    }
    if (e.isDirectory()) {
      if (!e.name.startsWith('.')) yield* walkTree(root, onIgnored, childRel);
    } else if (e.isFile() && (MESSAGE_EXT.test(e.name) || MBOX_EXT.test(e.name))) {
      yield { rel: childRel, path, kind: MBOX_EXT.test(e.name) ? 'mbox' : 'message', stats: await stat(path) };
    } else if (e.isFile()) {
      onIgnored(childRel);
    }
  }
}

/** Every regular file of a Maildir cur/ or new/ is one message, whatever its name. */
async function* maildirFiles(root: string, rel: string): AsyncGenerator<TreeFile> {
  for (const e of await sortedEntries(join(root, rel))) {
    if (!e.isFile() || e.name.startsWith('.')) continue;
    const childRel = `${rel}/${e.name}`;
    const path = join(root, childRel);
    yield { rel: childRel, path, kind: 'message', stats: await stat(path) };
  }
}

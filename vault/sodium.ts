// One place that waits for libsodium's WebAssembly to be ready.
import _sodium from 'libsodium-wrappers';

export type Sodium = typeof _sodium;

export async function loadSodium(): Promise<Sodium> {
  await _sodium.ready;
  return _sodium;
}

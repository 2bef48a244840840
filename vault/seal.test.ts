// Sealed objects open only with the right key and name, and any changed byte is detected.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSteleError } from '../core/errors.ts';
import { loadOrCreateKeyring, rotateMasterKey, type Keyring } from './keyring.ts';
import { loadSodium, type Sodium } from './sodium.ts';
import { seal, unseal } from './seal.ts';

describe('seal', () => {
  let sodium: Sodium;
  let keyring: Keyring;
  before(async () => {
    sodium = await loadSodium();
    keyring = (await loadOrCreateKeyring(await mkdtemp(join(tmpdir(), 'stele-keys-')))).keyring;
  });

  it('round-trips bytes and does not leave them readable', () => {
    const plain = Buffer.from('Subject: lab results\r\n\r\nPatient MRN 12345 hemoglobin 13.2\r\n'.repeat(20));
    const sealed = seal(sodium, keyring, 'messages/ab/abc', plain);
    assert.ok(!sealed.includes(Buffer.from('MRN 12345')));
    assert.ok(sealed.length < plain.length, 'compressed before encryption');
    assert.deepEqual(unseal(sodium, keyring, 'messages/ab/abc', sealed), plain);
  });

  it('detects a flipped byte anywhere and a sealed object moved to another name', () => {
    const sealed = seal(sodium, keyring, 'k1', Buffer.from('hello world'));
    for (const at of [10, sealed.length - 1, sealed.length - 20]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x01;
      assert.throws(() => unseal(sodium, keyring, 'k1', bad), (e) => isSteleError(e, 'integrity'));
    }
    assert.throws(() => unseal(sodium, keyring, 'k2', sealed), (e) => isSteleError(e, 'integrity'));
  });

  it('uses a fresh data key per object', () => {
    const a = seal(sodium, keyring, 'k', Buffer.from('same'));
    const b = seal(sodium, keyring, 'k', Buffer.from('same'));
    assert.notDeepEqual(a, b);
  });

  it('opens what older master keys sealed after a rotation, and seals new objects with the new key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stele-keys-'));
    const before = (await loadOrCreateKeyring(dir)).keyring;
    const old = seal(sodium, before, 'k', Buffer.from('sealed before rotation'));
    const id = await rotateMasterKey(dir);
    const after = (await loadOrCreateKeyring(dir)).keyring;
    assert.equal(after.currentKeyId, id);
    assert.notEqual(id, before.currentKeyId);
    assert.equal(unseal(sodium, after, 'k', old).toString(), 'sealed before rotation');
    const fresh = seal(sodium, after, 'k', Buffer.from('after'));
    assert.match(fresh.toString('latin1'), new RegExp(`"kid":"${id}"`));
    assert.throws(() => unseal(sodium, before, 'k', fresh), (e) => isSteleError(e, 'integrity'), 'the old keyring lacks the new key');
  });
});

// HOTP and TOTP against the RFC test vectors, base32 round trips, the window and replay refusal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, base32Encode, hotp, otpauthUri, totp, totpStep, verifyTotp } from './totp.ts';

const RFC_KEY = Buffer.from('12345678901234567890');

describe('HOTP (RFC 4226 appendix D)', () => {
  it('matches the published values for counters 0-9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => assert.equal(hotp(RFC_KEY, counter), code));
  });
});

describe('TOTP (RFC 6238 appendix B, SHA-1, 8 digits)', () => {
  it('matches the published values', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
      [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) assert.equal(hotp(RFC_KEY, Math.floor(seconds / 30), 8), code, `T=${seconds}`);
  });
});

describe('verifyTotp', () => {
  const at = new Date('2026-03-01T12:00:10Z');
  const step = totpStep(at);

  it('accepts the current code and one step either side, nothing further', () => {
    assert.equal(verifyTotp(RFC_KEY, totp(RFC_KEY, at), at, 0), step);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step - 1), at, 0), step - 1);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step + 1), at, 0), step + 1);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step + 2), at, 0), null);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step - 2), at, 0), null);
  });

  it('refuses a code whose step was already used, and any older one', () => {
    assert.equal(verifyTotp(RFC_KEY, totp(RFC_KEY, at), at, step), null);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step - 1), at, step), null);
    assert.equal(verifyTotp(RFC_KEY, hotp(RFC_KEY, step + 1), at, step), step + 1);
  });

  it('refuses malformed input', () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(verifyTotp(RFC_KEY, bad, at, 0), null);
  });
});

describe('base32 and otpauth URIs', () => {
  it('round-trips and matches RFC 4648 section 10', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
    const key = Buffer.from('0123456789abcdefghij');
    assert.deepEqual(base32Decode(base32Encode(key)), key);
  });

  it('builds the Key Uri Format apps scan', () => {
    const uri = otpauthUri('Stele', 'alice', RFC_KEY);
    assert.match(uri, /^otpauth:\/\/totp\/Stele%3Aalice\?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Stele&algorithm=SHA1&digits=6&period=30$/);
  });
});

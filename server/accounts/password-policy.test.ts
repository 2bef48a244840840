// The password rules: length, the shipped common-password list, the user's own name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSteleError } from '../../core/errors.ts';
import { assertPasswordAcceptable, generatePassword, isCommonPassword, passwordProblems } from './password-policy.ts';

describe('password policy', () => {
  it('refuses short passwords', () => {
    assert.deepEqual(passwordProblems('short-one', 'alice'), ['must be at least 12 characters']);
  });

  it('refuses passwords on the common list, whatever their case', () => {
    assert.ok(isCommonPassword('password1234'));
    assert.ok(isCommonPassword('QwertyUiop123'));
    assert.ok(isCommonPassword('1qaz2wsx3edc'));
    assert.deepEqual(passwordProblems('Password1234', 'alice'), ['is a commonly used or breached password']);
  });

  it('refuses a password containing the user name', () => {
    assert.deepEqual(passwordProblems('my-name-is-Alice-ok', 'alice'), ['must not contain the user name']);
  });

  it('refuses more than bcrypt can read', () => {
    assert.ok(passwordProblems('é'.repeat(40), 'alice').includes('must be at most 72 bytes'));
  });

  it('accepts a long unusual passphrase and generated passwords', () => {
    assert.deepEqual(passwordProblems('violet kettles argue at dawn', 'alice'), []);
    for (let i = 0; i < 20; i++) assert.deepEqual(passwordProblems(generatePassword(), 'alice'), []);
  });

  it('names the broken rules without echoing the password', () => {
    assert.throws(() => assertPasswordAcceptable('password1234', 'bob'), (err) => isSteleError(err, 'bad_request') && !err.message.includes('password1234'));
  });
});

// Configuration is validated at start-up, with a message that names each bad variable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSteleError } from '../core/errors.ts';
import { loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults: two fs regions under the data dir, SQLite index, loopback', () => {
    const c = loadConfig({ STELE_DATA_DIR: '/srv/stele' });
    assert.deepEqual(c.vault, { a: 'fs:/srv/stele/vault/a', b: 'fs:/srv/stele/vault/b' });
    assert.equal(c.index, 'sqlite:/srv/stele/index.db');
    assert.equal(c.bind, '127.0.0.1');
    assert.equal(c.httpPort, 8080);
    assert.equal(c.smtpPort, 2525);
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ STELE_HTTP_PORT: 'eighty', STELE_BIND: 'everywhere', STELE_ADMIN_PASSWORD: 'short' }),
      (err) => {
        assert.ok(isSteleError(err, 'bad_request'));
        for (const name of ['STELE_HTTP_PORT', 'STELE_BIND', 'STELE_ADMIN_PASSWORD']) assert.match(err.message, new RegExp(name));
        return true;
      },
    );
  });

  it('refuses a vault with fewer than two distinct regions', () => {
    assert.throws(() => loadConfig({ STELE_VAULT: 'a=fs:/x' }), /two regions/);
    assert.throws(() => loadConfig({ STELE_VAULT: 'a=fs:/x,b=fs:/x' }), /distinct/);
  });

  it('reads the retention settings: schedule, time zone, four eyes, our domains', () => {
    const c = loadConfig({ STELE_FOUR_EYES: 'true', STELE_INTERNAL_DOMAINS: 'Clinic.example, lab.example', STELE_DISPOSITION_SCHEDULE: '30 3 * * 1' });
    assert.deepEqual(c.retention, { dispositionSchedule: '30 3 * * 1', timezone: 'UTC', fourEyes: true, internalDomains: ['clinic.example', 'lab.example'] });
    assert.throws(() => loadConfig({ STELE_FOUR_EYES: 'yes' }), /STELE_FOUR_EYES/);
  });

  it('wants a TLS certificate and key together', () => {
    assert.throws(() => loadConfig({ STELE_TLS_CERT: '/etc/cert.pem' }), /STELE_TLS_KEY/);
  });
});

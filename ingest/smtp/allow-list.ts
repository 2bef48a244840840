// Which journaling servers may connect over SMTP: a CIDR allow-list.
import { BlockList, isIPv4 } from 'node:net';
import { SteleError } from '../../core/errors.ts';

export interface AllowList {
  allows(ip: string): boolean;
}

export function parseAllowList(cidrs: readonly string[]): AllowList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/');
    const type = isIPv4(addr) ? 'ipv4' : 'ipv6';
    const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) {
      throw new SteleError('bad_request', `STELE_SMTP_ALLOW: bad CIDR ${JSON.stringify(cidr)}`);
    }
    try {
      list.addSubnet(addr, prefix, type);
    } catch {
      throw new SteleError('bad_request', `STELE_SMTP_ALLOW: bad address in ${JSON.stringify(cidr)}`);
    }
  }
  return {
    allows(ip: string): boolean {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
      const plain = mapped ? mapped[1] : ip;
      return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
    },
  };
}

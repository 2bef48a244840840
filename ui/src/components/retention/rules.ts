// Reading and writing rule conditions as people type them: comma-separated addresses,
// a subject pattern, a direction; and one line that says what a rule matches.
import type { DeepReadonly } from 'vue';
import type { RuleMatch } from '../../stores/retention.ts';

export interface RuleDraft {
  id: string | null;
  priority: number;
  category: string;
  from: string;
  to: string;
  participant: string;
  direction: '' | 'inbound' | 'outbound' | 'internal';
  subject: string;
  query: string;
  description: string;
  enabled: boolean;
}

const list = (s: string) => s.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);

export function matchOf(d: RuleDraft): RuleMatch {
  const m: RuleMatch = {};
  if (list(d.from).length) m.from = list(d.from);
  if (list(d.to).length) m.to = list(d.to);
  if (list(d.participant).length) m.participant = list(d.participant);
  if (d.direction) m.direction = d.direction;
  if (d.subject.trim()) m.subject = d.subject.trim();
  if (d.query.trim()) m.query = d.query.trim();
  return m;
}

export function draftOf(r: DeepReadonly<{ id: string; priority: number; category: string; match: RuleMatch; enabled: boolean; description: string }> | null, category = 'default'): RuleDraft {
  const m = r?.match ?? {};
  return {
    id: r?.id ?? null, priority: r?.priority ?? 100, category: r?.category ?? category,
    from: (m.from ?? []).join(', '), to: (m.to ?? []).join(', '), participant: (m.participant ?? []).join(', '),
    direction: m.direction ?? '', subject: m.subject ?? '', query: m.query ?? '',
    description: r?.description ?? '', enabled: r?.enabled ?? true,
  };
}

/** "from alice@x or @y; subject matches /newsletter/" */
export function describeMatch(m: DeepReadonly<RuleMatch>): string {
  const parts: string[] = [];
  if (m.from?.length) parts.push(`from ${m.from.join(' or ')}`);
  if (m.to?.length) parts.push(`to ${m.to.join(' or ')}`);
  if (m.participant?.length) parts.push(`involving ${m.participant.join(' or ')}`);
  if (m.direction) parts.push(m.direction);
  if (m.subject) parts.push(`subject matches /${m.subject}/`);
  if (m.messageId) parts.push(`Message-ID matches /${m.messageId}/`);
  if (m.flag) parts.push(`flagged ${m.flag}`);
  if (m.minBytes !== undefined) parts.push(`at least ${m.minBytes} bytes`);
  if (m.maxBytes !== undefined) parts.push(`at most ${m.maxBytes} bytes`);
  if (m.query) parts.push(`content: ${m.query}`);
  return parts.length ? parts.join('; ') : 'every message';
}

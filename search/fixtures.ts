// A fixed, realistic mailbox for the index contract suite: every message exists to make one
// answer checkable (which ids a lawyer's query must return). Change one, re-check the suite.
import type { Address, AttachmentDoc, IndexDocument } from './port.ts';

type Draft = Partial<IndexDocument> & { id: string; date: string; subject: string };

const addr = (address: string, name?: string): Address => (name ? { name, address } : { address });

const ALICE = addr('alice@acme.com', 'Alice Archer');
const BOB = addr('bob@globex.com', 'Bob Baker');
const CAROL = addr('carol@initech.com', 'Carol Chen');
const CEO = addr('ceo@acme.com', 'Dana Diaz');
const DAVE = addr('dave@acme.com', 'Dave Dunn');
const ERIN = addr('erin@acme.com', 'Erin Evans');
const FRANK = addr('frank@acme.com', 'Frank Fox');
const TEAM = addr('team@acme.com');
const OPS = addr('ops@acme.com', 'Operations');
const NEWS = addr('news@vendor-news.com', 'Vendor News');

const att = (filename: string, contentType: string, size: number, text?: string): AttachmentDoc =>
  text === undefined ? { filename, contentType, size } : { filename, contentType, size, text };

function msg(d: Draft): IndexDocument {
  return {
    sha256: d.id.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64),
    from: [],
    to: [],
    cc: [],
    bcc: [],
    envelopeTo: [],
    receivedAt: d.date,
    size: 5000,
    body: '',
    attachments: [],
    category: 'standard',
    retainUntil: '2031-01-01T00:00:00.000Z',
    custodians: [],
    holds: [],
    flags: [],
    ...d,
  };
}

const QUARTERLY_THREAD: IndexDocument[] = [
  msg({
    id: 'q1-01', date: '2022-03-14T09:00:00.000Z', messageId: '<q1@acme.com>', from: [ALICE], to: [BOB],
    subject: 'Quarterly report Q1', body: 'Please find the quarterly report attached. Revenue is up.',
    attachments: [att('Q1-Report.pdf', 'application/pdf', 240_000, 'Revenue grew twelve percent in the first quarter')],
    size: 250_000, category: 'finance-7y', custodians: ['alice@acme.com'], holds: ['acme-v-globex'],
  }),
  msg({
    id: 'q1-02', date: '2022-03-15T10:00:00.000Z', messageId: '<q1-re@globex.com>', inReplyTo: '<q1@acme.com>',
    references: ['<q1@acme.com>'], from: [BOB], to: [ALICE], subject: 'Re: Quarterly report Q1',
    body: 'Thanks, the report looks good. Let us talk about the merger.',
    category: 'finance-7y', custodians: ['bob@globex.com'], holds: ['acme-v-globex'],
  }),
  msg({
    id: 'q1-03', date: '2022-03-16T08:30:00.000Z', messageId: '<q1-re2@acme.com>', inReplyTo: '<q1-re@globex.com>',
    references: ['<q1@acme.com>', '<q1-re@globex.com>'], from: [ALICE], to: [BOB],
    subject: 'Re: Quarterly report Q1', body: 'Agreed. I will brief the board next week.',
    category: 'finance-7y', custodians: ['alice@acme.com'], holds: ['acme-v-globex'],
  }),
  // A sibling reply: linked to the thread only through the root's Message-ID.
  msg({
    id: 'q1-04', date: '2022-03-17T11:00:00.000Z', messageId: '<q1-carol@initech.com>', inReplyTo: '<q1@acme.com>',
    references: ['<q1@acme.com>'], from: [CAROL], to: [ALICE], cc: [BOB], subject: 'Re: Quarterly report Q1',
    body: 'Late to this thread, sorry. Numbers look fine.', category: 'finance-7y', holds: ['acme-v-globex', 'sec-inquiry'],
  }),
];

const MERGER: IndexDocument[] = [
  msg({
    id: 'mg-01', date: '2022-06-01T09:00:00.000Z', messageId: '<mg-01@acme.com>', from: [CEO], to: [addr('board@acme.com')],
    subject: 'Board update', body: 'The merger agreement was signed yesterday.', category: 'legal-10y',
    custodians: ['ceo@acme.com'], holds: ['acme-v-globex', 'sec-inquiry'],
  }),
  msg({
    id: 'mg-02', date: '2022-06-02T09:00:00.000Z', messageId: '<mg-02@globex.com>', from: [BOB], to: [CEO],
    subject: 'Timeline', body: 'We reached agreement on the merger timeline.', category: 'legal-10y',
  }),
  msg({
    id: 'mg-03', date: '2022-06-03T09:00:00.000Z', messageId: '<mg-03@acme.com>', from: [addr('legal@acme.com')], to: [BOB],
    subject: 'Draft terms', body: 'Comments inline.', size: 80_000, category: 'legal-10y',
    attachments: [att('Merger_Terms.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 70_000,
      'Confidential: price per share of 42 dollars, closing in Q3')],
  }),
  msg({
    id: 'mg-04', date: '2022-06-10T09:00:00.000Z', messageId: '<mg-04@acme.com>', from: [ERIN], to: [DAVE],
    subject: 'Merging the CRM data', body: 'The merging script is ready.',
  }),
];

const RECIPIENTS: IndexDocument[] = [
  // Exchange journal report: the Bcc is known only from the journal envelope, not the headers.
  msg({
    id: 'jr-01', date: '2023-02-10T15:00:00.000Z', messageId: '<jr-01@acme.com>', from: [CEO], to: [addr('board@acme.com')],
    bcc: [addr('lawyer@counsel-llp.com', 'Outside Counsel')], envelopeTo: ['board@acme.com', 'lawyer@counsel-llp.com'],
    envelopeFrom: 'ceo@acme.com', subject: 'Board confidential: litigation strategy', body: 'Do not forward.',
    flags: ['journal-report'], category: 'legal-10y', holds: ['acme-v-globex'],
  }),
  // A list expansion: the people who received it appear only as envelope recipients.
  msg({
    id: 'jr-02', date: '2023-02-11T09:00:00.000Z', messageId: '<jr-02@acme.com>', from: [addr('hr@acme.com', 'HR')],
    to: [addr('all-staff@acme.com')], envelopeTo: ['dave@acme.com', 'erin@acme.com', 'frank@acme.com'],
    envelopeFrom: 'bounce@acme.com', subject: 'Holiday schedule', body: 'The office is closed on Friday.',
    flags: ['journal-report'], category: 'hr-6y',
  }),
  // A Bcc from the sender's own headers.
  msg({
    id: 'hb-01', date: '2023-03-01T10:00:00.000Z', messageId: '<hb-01@acme.com>', from: [ALICE], to: [BOB], bcc: [addr('carol@initech.com')],
    envelopeTo: ['bob@globex.com', 'carol@initech.com'], subject: 'Pricing FYI', body: 'Keeping Carol in the loop quietly.',
    custodians: ['alice@acme.com'],
  }),
  msg({
    id: 'sd-01', date: '2023-04-04T10:00:00.000Z', messageId: '<sd-01@eu.acme.com>', from: [addr('eu-sales@eu.acme.com')], to: [BOB],
    subject: 'EU pipeline', body: 'Forecast for the region is steady.',
  }),
  // Two senders at one domain: the domain facet counts the message once.
  msg({
    id: 'rt-01', date: '2024-03-05T16:00:00.000Z', messageId: '<rt-01@globex.com>',
    from: [addr('press@globex.com'), addr('pr@globex.com')], to: [addr('media@example.org')],
    subject: 'Joint statement', body: 'We jointly announce the partnership.',
  }),
];

const franks = (id: string, date: string, subject: string): IndexDocument =>
  msg({ id, date, messageId: `<${id}@acme.com>`, from: [FRANK], to: [TEAM], subject, body: 'Status notes for the team.' });

/** Edges of the before:/after: rules: one millisecond either side of UTC midnight. */
const DATE_EDGES: IndexDocument[] = [
  franks('ed-01', '2023-12-31T23:59:59.000Z', 'Year end wrap-up'),
  franks('ed-02', '2024-01-01T00:00:00.000Z', 'Happy new year'),
  franks('ed-05', '2024-01-15T12:00:00+00:00', 'Mid January check-in'),
  franks('ed-03', '2024-01-31T23:59:59.999Z', 'January close'),
  franks('ed-04', '2024-02-01T00:00:00.000Z', 'February kickoff'),
];

const SIZES: IndexDocument[] = [
  msg({
    id: 'sz-01', date: '2023-05-05T10:00:00.000Z', from: [addr('scanner@acme.com')], to: [addr('legal@acme.com')],
    subject: 'Scanned contract', size: 8 * 1024 * 1024, flags: ['extract-failed'],
    attachments: [att('scan-0001.pdf', 'application/pdf', 8 * 1024 * 1024 - 2000)],
  }),
  msg({
    id: 'sz-02', date: '2023-05-06T10:00:00.000Z', from: [ERIN], to: [DAVE], subject: 'Presentation deck', size: 1024 * 1024,
    attachments: [att('deck.pptx', 'application/vnd.ms-powerpoint', 1_000_000, 'Roadmap slides for the sales kickoff')],
  }),
  msg({
    id: 'sz-03', date: '2023-05-07T10:00:00.000Z', from: [ERIN], to: [DAVE], subject: 'Photos from the offsite',
    size: 1024 * 1024 + 1, attachments: [att('photo.jpg', 'image/jpeg', 1_040_000)],
  }),
  msg({ id: 'sz-04', date: '2023-05-08T10:00:00.000Z', from: [DAVE], to: [ERIN], subject: 'ok', body: 'ok', size: 900 }),
];

const ACCENTS_AND_CASE: IndexDocument[] = [
  msg({
    id: 'ac-01', date: '2023-07-01T08:00:00.000Z', from: [addr('francois@cafe-muller.de', 'François Müller')], to: [ALICE],
    subject: 'Réunion à Zürich', body: 'Le café est prêt. Über alles, à bientôt.',
  }),
  msg({
    id: 'ac-02', date: '2023-07-02T08:00:00.000Z', from: [addr('zoe@example.org', 'Zoë Brontë')], to: [addr('hr@acme.com')],
    subject: 'My résumé', body: 'Attached is my RÉSUMÉ for the naïve role.', category: 'hr-6y',
    attachments: [att('Résumé-Zoë.pdf', 'application/pdf', 120_000, 'Curriculum vitae: Zoë Brontë, coöperative experience')],
  }),
  msg({ id: 'cs-01', date: '2023-08-01T03:00:00.000Z', from: [OPS], to: [TEAM], subject: 'URGENT: Server outage', body: 'Database down.' }),
  msg({ id: 'cs-02', date: '2023-08-01T04:00:00.000Z', from: [OPS], to: [TEAM], subject: 'Status', body: 'urgent fix needed tonight' }),
  msg({ id: 'cs-03', date: '2023-08-02T09:00:00.000Z', from: [DAVE], to: [OPS], subject: 'Urgent', body: 'Please call me.' }),
  msg({
    id: 'hy-01', date: '2024-04-01T09:00:00.000Z', from: [addr('hr@acme.com', 'HR')], to: [addr('all-staff@acme.com')],
    subject: 'New e-mail retention policy', body: 'All e-mail is archived for six years.', category: 'hr-6y',
  }),
];

const SCRIPTS: IndexDocument[] = [
  msg({
    id: 'cj-01', date: '2023-09-01T01:00:00.000Z', from: [addr('tanaka@nihon.co.jp', '田中太郎')], to: [ALICE],
    subject: '日本語の会議について', body: '東京で会議を行います。資料を添付します。',
    attachments: [att('議事録.pdf', 'application/pdf', 50_000, '会議の議事録')],
  }),
  msg({ id: 'cj-02', date: '2023-09-02T01:00:00.000Z', from: [addr('li@zhongguo.cn', '李明')], to: [ALICE], subject: '合同草案', body: '请审阅合同草案。' }),
  msg({ id: 'cj-03', date: '2023-09-03T01:00:00.000Z', from: [addr('kim@hanguk.kr')], to: [ALICE], subject: '회의 일정', body: '내일 회의가 있습니다' }),
  msg({ id: 'em-01', date: '2023-10-31T15:00:00.000Z', from: [ERIN], to: [TEAM], subject: 'Party time 🎉🎉', body: 'Cake in the kitchen 🍰 at 3pm!' }),
];

/** Five messages with the same instant, listed out of id order: ties must sort by id. */
const NEWSLETTERS: IndexDocument[] = ['nl-03', 'nl-01', 'nl-05', 'nl-02', 'nl-04'].map((id) =>
  msg({
    id, date: '2023-06-01T12:00:00.000Z', messageId: `<${id}@vendor-news.com>`, from: [NEWS], to: [ALICE],
    subject: `Weekly newsletter ${id}`, body: 'Industry news roundup.',
  }),
);

const MISC: IndexDocument[] = [
  // Kept raw: nothing could be parsed but a fragment of text (invariant 2).
  msg({
    id: 'up-01', date: '2021-12-31T23:00:00.000Z', subject: '', body: 'garbled \u00ff\u00fe partial text: invoice 7781',
    size: 700, flags: ['unparsed', 'no-message-id'],
  }),
  msg({
    id: 'bd-01', date: '2021-05-05T09:00:00.000Z', from: [ALICE], to: [DAVE], subject: 'Budget budget budget',
    body: 'The budget is final.',
  }),
  msg({
    id: 'bd-02', date: '2021-05-06T09:00:00.000Z', from: [DAVE], to: [ERIN], subject: 'Notes',
    body: 'Various notes about the offsite: travel, catering, rooms, agenda items, speakers, parking, badges, ' +
      'dietary needs, and one mention of the budget at the end of a long rambling paragraph about logistics.',
  }),
  msg({ id: 'bd-03', date: '2021-05-07T09:00:00.000Z', from: [DAVE], to: [ERIN], subject: 'Tooling', body: 'Budgeting tool rollout next month.' }),
];

export const FIXTURES: readonly IndexDocument[] = [
  ...QUARTERLY_THREAD, ...MERGER, ...RECIPIENTS, ...DATE_EDGES, ...SIZES, ...ACCENTS_AND_CASE, ...SCRIPTS,
  ...NEWSLETTERS, ...MISC,
];

/** A fresh copy, so a test that edits a document cannot change another test's expectations. */
export function fixtureDocs(): IndexDocument[] {
  return structuredClone([...FIXTURES]);
}

export function extraDoc(id: string, overrides: Partial<IndexDocument> = {}): IndexDocument {
  return msg({ id, date: '2020-01-01T00:00:00.000Z', subject: `Extra ${id}`, ...overrides });
}

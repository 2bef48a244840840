// Exchange journal reports (X-MS-Journal-Report): the report's first text part lists the
// envelope (Sender, To/Cc/Bcc, Recipient with Expanded/Forwarded), and the original message
// travels as a message/rfc822 attachment. The envelope is the only place Bcc recipients and
// expanded distribution lists appear, so it is parsed into the archived message's recipients.

export interface JournalEnvelope {
  sender?: string;
  onBehalfOf?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  /** Every recipient named in the envelope, including expanded and forwarded ones. */
  recipients: string[];
}

const ADDRESS = /[^\s<>,;:"]+@[^\s<>,;:"]+/g;

export function isJournalReport(headers: Map<string, unknown>): boolean {
  return headers.has('x-ms-journal-report');
}

export function parseJournalEnvelope(text: string): JournalEnvelope {
  const env: JournalEnvelope = { to: [], cc: [], bcc: [], recipients: [] };
  const seen = new Set<string>();
  const addRecipient = (a: string) => {
    if (!seen.has(a)) (seen.add(a), env.recipients.push(a));
  };
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const field = m[1].toLowerCase();
    const addrs = (m[2].match(ADDRESS) ?? []).map((a) => a.toLowerCase());
    if (addrs.length === 0) continue;
    switch (field) {
      case 'sender':
        env.sender = addrs[0];
        break;
      case 'on-behalf-of':
        env.onBehalfOf = addrs[0];
        break;
      case 'to':
      case 'cc':
      case 'bcc':
        // "To: a@x, Expanded: list@x": the first is the recipient, the rest how it was reached.
        env[field].push(addrs[0]);
        addrs.forEach(addRecipient);
        break;
      case 'recipient':
        addrs.forEach(addRecipient);
        break;
    }
  }
  return env;
}

// Postfix as the yardstick for ingest: a private, throw-away Postfix instance (own config and
// queue directories in a temporary folder, 127.0.0.1 on a free port, no DNS) that accepts the
// benchmark corpus and delivers it into a Maildir, and Postfix's smtp-sink, which speaks SMTP
// and throws the data away (the protocol ceiling). Both are fed by the same client as Stele.
//
//   node --import tsx bench/postfix.ts [--messages 3000] [--connections 8]
import { execFile } from 'node:child_process';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadBenchCorpus, sendAll, type SendFigures } from './smtp-load.ts';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
const SMTP_SINK = '/usr/sbin/smtp-sink';
const DOMAIN = 'bench.example';
/** The Maildir delivery runs as this user (the virtual agent refuses root). */
const MAIL_USER = { name: 'nobody', uid: 65534, gid: 65534 };

export const POSTFIX_INSTALL_HINT =
  "sudo sh -c 'echo \"postfix postfix/main_mailer_type select No configuration\" | debconf-set-selections && " +
  "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix'";

/** Why the Postfix comparison cannot run here, or null when it can. */
export function postfixUnavailable(): string | null {
  if (!existsSync(POSTFIX) || !existsSync(SMTP_SINK)) return `Postfix is not installed (${POSTFIX}, ${SMTP_SINK})`;
  if (process.getuid?.() !== 0) return 'a private Postfix instance must be started as root (its daemons drop to the postfix user)';
  return null;
}

export interface PostfixFigures {
  messages: number;
  megabytes: number;
  connections: number;
  /** Postfix: every message acknowledged (250 after its queue file is fsynced), then all in the Maildir. */
  postfix: SendFigures & { deliveredSeconds: number; delivered: number; version: string };
  sink: SendFigures;
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resolves once something on the port sends an SMTP 220 greeting. */
async function waitForGreeting(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.setTimeout(2000, () => (sock.destroy(), resolve(false)));
      sock.once('data', (d) => (sock.end('QUIT\r\n'), resolve(d.toString().startsWith('220'))));
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing greets on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function mainCf(root: string): string {
  return `# A throw-away Postfix for bench/postfix.ts: private directories, loopback only, no DNS.
compatibility_level = 3.6
queue_directory = ${root}/queue
data_directory = ${root}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = stele-bench.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
biff = no
smtpd_banner = $myhostname ESMTP
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
message_size_limit = 104857600
mailbox_size_limit = 0
virtual_mailbox_limit = 0
# Every message for the bench domain goes to one Maildir (the trailing slash means Maildir).
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_base = ${root}/mail
virtual_mailbox_maps = static:archive/
virtual_minimum_uid = 1
virtual_uid_maps = static:${MAIL_USER.uid}
virtual_gid_maps = static:${MAIL_USER.gid}
virtual_destination_concurrency_limit = 20
maillog_file = ${root}/maillog
maillog_file_prefixes = ${root}
`;
}

function masterCf(port: number): string {
  // service type private unpriv chroot wakeup maxproc command
  return [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup    unix n - n 60 1 pickup',
    'cleanup   unix n - n - 0 cleanup',
    'qmgr      unix n - n 300 1 qmgr',
    'rewrite   unix - - n - - trivial-rewrite',
    'bounce    unix - - n - 0 bounce',
    'defer     unix - - n - 0 bounce',
    'trace     unix - - n - 0 bounce',
    'verify    unix - - n - 1 verify',
    'flush     unix n - n 1000? 0 flush',
    'proxymap  unix - - n - - proxymap',
    'smtp      unix - - n - - smtp',
    'relay     unix - - n - - smtp',
    'showq     unix n - n - - showq',
    'error     unix - - n - - error',
    'retry     unix - - n - - error',
    'discard   unix - - n - - discard',
    'local     unix - n n - - local',
    'virtual   unix - n n - - virtual',
    'anvil     unix - - n - 1 anvil',
    'scache    unix - - n - 1 scache',
    'postlog   unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}

export interface RunningPostfix {
  port: number;
  root: string;
  maildirNew: string;
  version: string;
  stop(): Promise<void>;
}

/** Starts a private Postfix (needs root; its daemons run as the postfix user). */
export async function startPostfix(): Promise<RunningPostfix> {
  const root = await mkdtemp(join(tmpdir(), 'stele-bench-postfix-'));
  await chmod(root, 0o755); // the postfix user must reach the queue and the log below it
  const port = await freePort();
  const conf = join(root, 'conf');
  await mkdir(conf);
  await writeFile(join(conf, 'main.cf'), mainCf(root));
  await writeFile(join(conf, 'master.cf'), masterCf(port));
  await mkdir(join(root, 'mail'));
  await chown(join(root, 'mail'), MAIL_USER.uid, MAIL_USER.gid);
  // `postfix start` creates the queue's subdirectories (post-install create-missing) but not these.
  await mkdir(join(root, 'queue'));
  await mkdir(join(root, 'data'));
  const pf = await userIds('postfix');
  await chown(join(root, 'data'), pf.uid, pf.gid);
  const postfix = (cmd: string) => run(POSTFIX, ['-c', conf, cmd], { env: { ...process.env, MAIL_CONFIG: conf } });
  const stop = async () => {
    await postfix('stop').catch(() => postfix('abort').catch(() => {}));
    await rm(root, { recursive: true, force: true });
  };
  try {
    await postfix('start');
    await waitForGreeting(port);
    const { stdout } = await run('/usr/sbin/postconf', ['-c', conf, '-h', 'mail_version']);
    return { port, root, maildirNew: join(root, 'mail', 'archive', 'new'), version: stdout.trim(), stop };
  } catch (err) {
    const log = await readFile(join(root, 'maillog'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`private Postfix did not start: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
}

/** Polls the Maildir until `n` messages are in it; returns when the last one arrived. */
export async function waitDelivered(maildirNew: string, n: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = (await readdir(maildirNew).catch(() => [])).length;
    if (count >= n || Date.now() > deadline) return count;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts smtp-sink (as the postfix user) with pipelining; it accepts and discards. */
export async function startSmtpSink(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(SMTP_SINK, ['-u', 'postfix', '-c', `127.0.0.1:${port}`, '256'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitForGreeting(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`smtp-sink did not start: ${(err as Error).message} ${stderr}`);
  }
  return { port, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

export async function benchPostfix(corpus: Buffer[], connections: number, log: (l: string) => void = () => {}): Promise<PostfixFigures> {
  const megabytes = corpus.reduce((s, b) => s + b.length, 0) / 1e6;
  const pf = await startPostfix();
  let postfix: PostfixFigures['postfix'];
  try {
    log(`  postfix ${pf.version} on 127.0.0.1:${pf.port}`);
    const started = Date.now();
    const sent = await sendAll(pf.port, corpus, connections, `archive@${DOMAIN}`);
    const delivered = await waitDelivered(pf.maildirNew, sent.accepted, 600_000);
    const deliveredSeconds = (Date.now() - started) / 1000;
    postfix = { ...sent, delivered, deliveredSeconds, version: pf.version };
    log(`  postfix: ${sent.accepted} acknowledged in ${sent.seconds.toFixed(1)} s, ${delivered} in the Maildir after ${deliveredSeconds.toFixed(1)} s`);
  } finally {
    await pf.stop();
  }
  const sink = await startSmtpSink();
  let sinkFigures: SendFigures;
  try {
    sinkFigures = await sendAll(sink.port, corpus, connections, `archive@${DOMAIN}`);
    log(`  smtp-sink: ${sinkFigures.accepted} acknowledged in ${sinkFigures.seconds.toFixed(1)} s`);
  } finally {
    await sink.stop();
  }
  return { messages: corpus.length, megabytes, connections, postfix, sink: sinkFigures };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '3000' }, connections: { type: 'string', default: '8' } } });
  const why = postfixUnavailable();
  if (why) {
    console.error(`${why}. Install it with:\n  ${POSTFIX_INSTALL_HINT}`);
    process.exit(2);
  }
  const corpus = await loadBenchCorpus(Number(values.messages));
  const f = await benchPostfix(corpus, Number(values.connections), (l) => console.log(l));
  const rate = (s: SendFigures) => `${(f.messages / s.seconds).toFixed(0)} msg/s, ${(f.megabytes / s.seconds).toFixed(1)} MB/s, ${s.failures} failures`;
  console.log(`corpus: ${f.messages} messages, ${f.megabytes.toFixed(1)} MB, ${f.connections} connections`);
  console.log(`postfix ${f.postfix.version} acknowledged: ${rate(f.postfix)}`);
  console.log(`postfix in the Maildir: ${(f.messages / f.postfix.deliveredSeconds).toFixed(0)} msg/s (${f.postfix.delivered} delivered)`);
  console.log(`smtp-sink: ${rate(f.sink)}`);
}

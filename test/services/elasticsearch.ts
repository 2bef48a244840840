// Starts one real Elasticsearch 8 node on loopback for the search tests. The distribution comes
// from Maven Central through elasticsearch/pom.xml, unpacked once into the Stele cache; each start
// gets its own config copy, data and logs in a temp dir. See docs/test-services.md.
import { execFile } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile, realpath } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LOOPBACK, STELE_CACHE_DIR, freePort, removeOnExit, startService, unavailable, waitUntil, type Service } from './process.ts';

/** The pom takes its version from here (-Des.version), so the two cannot drift. */
export const ES_VERSION = '8.14.3';

export interface ElasticsearchNode {
  /** http://127.0.0.1:PORT, no credentials (security is off on this loopback-only node). */
  url: string;
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const INSTALL_TIMEOUT_MS = 20 * 60_000;
const READY_TIMEOUT_MS = 180_000;
/** Heap of the test node; ES wants -Xms equal to -Xmx. STELE_ES_HEAP overrides (e.g. 512m). */
const HEAP = process.env.STELE_ES_HEAP ?? '1g';

export interface ElasticsearchStartOptions {
  /** JVM heap, e.g. '2g' (the benchmarks give the node what compose.yaml gives it). Default HEAP. */
  heap?: string;
}

/** Unpacks the distribution into the cache if it is not there yet; returns its home directory. */
export async function installElasticsearch(): Promise<string> {
  const installDir = join(STELE_CACHE_DIR, `elasticsearch-${ES_VERSION}`);
  const home = join(installDir, `elasticsearch-${ES_VERSION}`);
  if (await exists(join(home, '.stele-complete'))) return home;
  await mkdir(STELE_CACHE_DIR, { recursive: true });
  // Unpack beside the final place and rename: a run killed halfway leaves no half-installed node,
  // and two test files installing at once both end with the same complete copy.
  const staging = await mkdtemp(join(STELE_CACHE_DIR, `.elasticsearch-${ES_VERSION}-`));
  try {
    await promisify(execFile)(
      'mvn',
      ['-q', '-B', '-Dstyle.color=never', '-f', join(HERE, 'elasticsearch', 'pom.xml'), `-Des.version=${ES_VERSION}`, `-Des.install.dir=${staging}`, 'generate-resources'],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    ).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`mvn could not fetch Elasticsearch ${ES_VERSION}: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`.trim());
    });
    await writeFile(join(staging, `elasticsearch-${ES_VERSION}`, '.stele-complete'), new Date().toISOString());
    await rm(installDir, { recursive: true, force: true });
    await rename(staging, installDir).catch(async (err: NodeJS.ErrnoException) => {
      if (!(await exists(join(home, '.stele-complete')))) throw err; // lost a race to an equal copy otherwise
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return home;
}

/**
 * One Elasticsearch node bound to 127.0.0.1, ready (cluster health yellow or green) when this
 * resolves. Returns null (after a loud warning) when it cannot be started outside CI; throws in CI.
 */
export async function startElasticsearch(opts: ElasticsearchStartOptions = {}): Promise<ElasticsearchNode | null> {
  let run: string | undefined;
  let service: Service | undefined;
  try {
    const home = await installElasticsearch();
    const javaHome = await findJavaHome();
    run = await mkdtemp(join(tmpdir(), 'stele-es-'));
    removeOnExit(run);
    const conf = join(run, 'config');
    await cp(join(home, 'config'), conf, { recursive: true });
    await writeJvmOptions(conf, run);
    for (const d of ['data', 'logs', 'tmp']) await mkdir(join(run, d));

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const httpPort = await freePort();
      const transportPort = await freePort();
      const url = `http://${LOOPBACK}:${httpPort}`;
      const args = [
        '-Ediscovery.type=single-node',
        `-Enetwork.host=${LOOPBACK}`,
        `-Ehttp.port=${httpPort}`,
        `-Etransport.port=${transportPort}`,
        `-Epath.data=${join(run, 'data')}`,
        `-Epath.logs=${join(run, 'logs')}`,
        '-Ecluster.name=stele-test',
        '-Enode.name=stele-test',
        // Loopback only and throwaway data: no TLS or users to set up in every test.
        '-Expack.security.enabled=false',
        // A nearly full disk must not turn test indices read-only halfway through a run.
        '-Ecluster.routing.allocation.disk.threshold_enabled=false',
      ];
      const bin = join(home, 'bin', 'elasticsearch');
      // Elasticsearch refuses to run as root (CI runs as root). A user namespace gives it a
      // non-root uid while its files stay the caller's: no system user to create.
      const asRoot = process.getuid?.() === 0;
      service = startService(
        asRoot ? 'unshare' : bin,
        asRoot ? ['--user', '--map-user=1000', '--map-group=1000', bin, ...args] : args,
        join(run, `node-${attempt}.log`),
        {
          cwd: run,
          env: {
            ...process.env,
            ES_JAVA_HOME: javaHome,
            ES_PATH_CONF: conf,
            ES_TMPDIR: join(run, 'tmp'),
            ES_JAVA_OPTS: `-Xms${opts.heap ?? HEAP} -Xmx${opts.heap ?? HEAP}`,
          },
        },
      );
      try {
        const svc = service;
        await waitUntil(`Elasticsearch on ${url}`, async () => {
          const res = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(2_000) });
          const body = (await res.json()) as { status?: string };
          return res.ok && (body.status === 'green' || body.status === 'yellow');
        }, { timeoutMs: READY_TIMEOUT_MS, alive: svc.alive, intervalMs: 200 });
        const dir = run;
        return {
          url,
          async stop() {
            await svc.stop(30_000);
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (err) {
        lastError = new Error(`${err instanceof Error ? err.message : String(err)}\n${service.tail(15)}`);
        await service.stop(30_000);
      }
    }
    throw lastError;
  } catch (err) {
    await service?.stop(30_000);
    if (run) await rm(run, { recursive: true, force: true });
    return unavailable(`Elasticsearch ${ES_VERSION}`, err);
  }
}

/**
 * The shipped jvm.options writes GC logs, heap dumps and crash files relative to the working
 * directory; point them into this run's folder and drop the heap dump (a 1 GiB file per crash).
 */
async function writeJvmOptions(conf: string, run: string): Promise<void> {
  const path = join(conf, 'jvm.options');
  const kept = (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => !/^\s*(\d+-?\d*:)?-(Xlog:gc|XX:\+HeapDumpOnOutOfMemoryError|XX:HeapDumpPath|XX:ErrorFile)/.test(line));
  kept.push(`-XX:ErrorFile=${join(run, 'logs', 'hs_err_pid%p.log')}`);
  await writeFile(path, kept.join('\n') + '\n');
}

/** ES_JAVA_HOME, JAVA_HOME, or the JDK of the `java` on PATH (Elasticsearch 8 needs 17+). */
async function findJavaHome(): Promise<string> {
  for (const v of [process.env.ES_JAVA_HOME, process.env.JAVA_HOME]) {
    if (v && (await exists(join(v, 'bin', 'java')))) return v;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'java');
    if (dir && (await exists(candidate))) return dirname(dirname(await realpath(candidate)));
  }
  throw new Error('no Java found: install a JDK 17+ (apt-get install openjdk-17-jre-headless) or set JAVA_HOME');
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

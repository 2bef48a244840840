#!/usr/bin/env node
// The `stele` command: registers the TypeScript loader, then runs the CLI.
// Every durable write waits on fsync in libuv's thread pool; its default of 4 threads would
// serialise concurrent ingests behind each other's fsyncs. Set before any pool work starts.
process.env.UV_THREADPOOL_SIZE ??= '32';
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('../server/cli.ts');
process.exitCode = await main(process.argv.slice(2));

// Worker threads do not inherit the TypeScript loader; this plain module registers it and
// then loads the real worker named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);

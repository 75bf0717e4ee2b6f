import { readFileSync } from 'node:fs';
import { readApkIndexArchive } from '../formats/apkindex.js';
import { readTrustedKeys } from '../sources/keys.js';
import { elapsedMs, medianMs } from './measure.js';
import { bundledPath } from './paths.js';

/** Time to verify the signature of, gunzip and parse the real 4,929-entry v3.16 index. */
const file = bundledPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64', 'APKINDEX.tar.gz');
const bytes = readFileSync(file);
const trustedKeys = await readTrustedKeys(bundledPath('data', 'alpine-sample', 'keys'));

const firstStart = process.hrtime.bigint();
let packages = readApkIndexArchive(bytes, file, { trustedKeys }).packages.length;
const firstRunMs = Math.round(elapsedMs(firstStart) * 100) / 100;
const warmMedianMs = medianMs(() => {
  packages = readApkIndexArchive(bytes, file, { trustedKeys }).packages.length;
}, 15);

console.log(JSON.stringify({ packages, compressedBytes: bytes.length, firstRunMs, warmMedianMs }));

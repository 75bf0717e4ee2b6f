import { readFileSync } from 'node:fs';
import { compareParsed, compareVersions, parseVersion } from '../version/index.js';
import { opsPerSecond } from './measure.js';
import { bundledPath } from './paths.js';

/**
 * Version comparisons per second on the real `V:` strings of the v3.16 index, compared in
 * shuffled pairs (strings read from a file, as the tracker gets them). apk-tools' C code does
 * about 10 million parse-and-compare operations a second on this machine (the issue's figure).
 */
const text = readFileSync(bundledPath('data', 'alpine-sample', 'apkindex', 'v3.16-main-x86_64', 'APKINDEX'), 'utf8');
const versions = text
  .split('\n')
  .filter((line) => line.startsWith('V:'))
  .map((line) => line.slice(2));

// A fixed-seed shuffle so runs are comparable.
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const left = versions.map(() => versions[Math.floor(random() * versions.length)]!);
const right = versions.map(() => versions[Math.floor(random() * versions.length)]!);
const leftParsed = left.map(parseVersion);
const rightParsed = right.map(parseVersion);
const pairs = left.length;

let sink = 0;
const parseAndCompare = opsPerSecond(() => {
  for (let i = 0; i < pairs; i += 1) sink += compareVersions(left[i]!, right[i]!);
  return sink;
}, pairs);
const parseOnce = opsPerSecond(() => {
  for (let i = 0; i < pairs; i += 1) sink += compareParsed(leftParsed[i]!, rightParsed[i]!);
  return sink;
}, pairs);
const parse = opsPerSecond(() => {
  for (let i = 0; i < pairs; i += 1) sink += parseVersion(left[i]!).key.length;
  return sink;
}, pairs);

console.log(
  JSON.stringify({
    versions: pairs,
    parseAndComparePerSecond: parseAndCompare,
    parseOnceComparePerSecond: parseOnce,
    parsePerSecond: parse,
    apkToolsCReferencePerSecond: 10_000_000,
    checksum: sink % 1000,
  }),
);

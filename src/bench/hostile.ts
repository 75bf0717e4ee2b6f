import { Readable } from 'node:stream';
import { parseApkIndexText } from '../formats/apkindex.js';
import { readNvd } from '../formats/nvd.js';
import { parseRejections } from '../formats/rejections.js';
import { parseSecdb } from '../formats/secdb.js';
import { parseApkbuild } from '../formats/secfixes.js';
import { elapsedMs } from './measure.js';

/**
 * The parsers on the hostile inputs their tests read (huge lines, many lines), at 250 kB and 2 MB:
 * the time of each and their ratio. Linear work gives a ratio near 8, quadratic work near 64.
 * The tests prove these inputs are read right; the time is measured here, not asserted there.
 */
const SIZE = 250_000;
const SCALE = 8;

/** Returns whatever the parse returns or throws: a bad input's error is a result too. */
type Parse = (size: number) => Promise<unknown>;

const settle = async (run: () => unknown): Promise<unknown> => {
  try {
    return await run();
  } catch (error) {
    return error;
  }
};

const inKilobytes = (bytes: Buffer): Readable => {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 1024) pieces.push(bytes.subarray(at, at + 1024));
  return Readable.from(pieces);
};

const nvdDocument = (description: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      format: 'NVD_CVE',
      version: '2.0',
      timestamp: '2026-01-01T00:00:00.000',
      vulnerabilities: [
        {
          cve: {
            id: 'CVE-2026-0001',
            published: '2026-01-01T00:00:00.000',
            lastModified: '2026-01-01T00:00:00.000',
            vulnStatus: 'Analyzed',
            descriptions: [{ lang: 'en', value: description }],
          },
        },
      ],
    }),
  );

const parses: Record<string, Parse> = {
  secfixesLongLine: (size) => settle(() => parseApkbuild(`# secfixes:\n#   1.2-r0:\n#     - CVE-2020-0001 ${'x'.repeat(size)}\n`, 'bench')),
  secfixesManyLines: (size) => settle(() => parseApkbuild(`# secfixes:\n${'#   1.2-r0:\n#     - CVE-2020-0001\n'.repeat(size / 32)}`, 'bench')),
  secdbLongString: (size) => settle(() => parseSecdb(JSON.stringify({ distroversion: 'v3.16', reponame: 'main', packages: [{ pkg: { name: 'a', secfixes: { '1.0-r0': [`CVE-2020-1234 ${'x'.repeat(size)}`] } } }] }), 'bench')),
  secdbOpenBrackets: (size) => settle(() => parseSecdb('['.repeat(size), 'bench')),
  rejectionsLongLine: (size) => settle(() => parseRejections(`foo:\n  - CVE-2020-0001 ${'x'.repeat(size)}\n`, 'bench')),
  apkindexManyStanzas: (size) => settle(() => parseApkIndexText('P:a\nV:1.0-r0\nT:x\n\n'.repeat(size / 20), 'bench')),
  nvdLongDescription: (size) =>
    settle(async () => {
      for await (const record of readNvd(inKilobytes(nvdDocument('a'.repeat(size))), 'bench')) void record;
    }),
};

/** The fastest of three runs, in milliseconds: the least disturbed by the rest of the machine. */
async function fastestMs(parse: Parse, size: number): Promise<number> {
  let fastest = Infinity;
  for (let run = 0; run < 3; run += 1) {
    const start = process.hrtime.bigint();
    await parse(size);
    fastest = Math.min(fastest, elapsedMs(start));
  }
  return Math.round(fastest * 100) / 100;
}

const results: Record<string, { ms1x: number; ms8x: number; ratio: number }> = {};
for (const [name, parse] of Object.entries(parses)) {
  await parse(SIZE); // warm up the JIT
  const ms1x = await fastestMs(parse, SIZE);
  const ms8x = await fastestMs(parse, SIZE * SCALE);
  results[name] = { ms1x, ms8x, ratio: Math.round((ms8x / ms1x) * 10) / 10 };
}
console.log(JSON.stringify({ megabytes1x: SIZE / 1e6, scale: SCALE, ...results }));

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNvd } from '../formats/nvd.js';
import { streamInput } from '../sources/file.js';
import { elapsedMs, peakRssMb } from './measure.js';
import { bundledPath } from './paths.js';

/**
 * NVD parsing throughput and peak RSS on a generated 2.0 feed: the six real API 2.0 sample
 * records repeated with fresh ids up to RECORDS, written as one compact feed file.
 */
const RECORDS = Number(process.env.SECFIX_BENCH_NVD_RECORDS ?? 300_000);

interface FeedItem {
  cve: { id: string };
}
const sample = JSON.parse(
  readFileSync(bundledPath('data', 'alpine-sample', 'nvd', 'api-2.0', 'nvdcve-2.0-sample.json'), 'utf8'),
) as { vulnerabilities: FeedItem[] };
const templates = sample.vulnerabilities.map((item) => JSON.stringify(item));

const dir = mkdtempSync(join(tmpdir(), 'secfix-bench-nvd-'));
const feed = join(dir, 'nvdcve-2.0-generated.json');
try {
  const out = createWriteStream(feed);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`{"resultsPerPage":${RECORDS},"startIndex":0,"totalResults":${RECORDS},"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-22T00:00:00.000","vulnerabilities":[`);
  for (let i = 0; i < RECORDS; i += 1) {
    const template = templates[i % templates.length]!;
    const id = `CVE-${2000 + (i % 25)}-${String(100000 + i)}`;
    await write(`${i === 0 ? '' : ','}${template.replace(/"id":"CVE-\d+-\d+"/, `"id":"${id}"`)}`);
  }
  await write(']}');
  out.end();
  await once(out, 'finish');
  const feedBytes = statSync(feed).size;

  global.gc?.();
  const rssBeforeMb = peakRssMb();
  const start = process.hrtime.bigint();
  let records = 0;
  let criteria = 0;
  for await (const cve of readNvd(streamInput(feed), feed)) {
    records += 1;
    for (const configuration of cve.configurations) {
      for (const node of configuration.nodes) criteria += node.matches.length;
    }
  }
  const seconds = elapsedMs(start) / 1000;
  console.log(
    JSON.stringify({
      records,
      criteria,
      feedMegabytes: Math.round(feedBytes / 1e6),
      seconds: Math.round(seconds * 100) / 100,
      recordsPerSecond: Math.round(records / seconds),
      megabytesPerSecond: Math.round(feedBytes / 1e6 / seconds),
      peakRssMb: peakRssMb(),
      rssBeforeParseMb: rssBeforeMb,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

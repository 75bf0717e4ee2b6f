import { readNvd } from '../../formats/nvd.js';
import type { NvdHeader } from '../../formats/nvd.js';
import { streamInput } from '../../sources/file.js';
import type { InspectReader } from './kind.js';

const FORMAT_NAMES = {
  'api-2.0': 'NVD 2.0 feed / API page',
  'feed-1.1': 'NVD 1.1 feed (legacy)',
  'cve-2.0': 'one NVD 2.0 cve record',
} as const;

function describeHeader(header: NvdHeader | undefined): string {
  if (header === undefined) return 'NVD document';
  const details = [
    header.version === undefined ? undefined : `version ${header.version}`,
    header.timestamp === undefined ? undefined : `generated ${header.timestamp}`,
  ].filter((detail) => detail !== undefined);
  return details.length === 0 ? FORMAT_NAMES[header.format] : `${FORMAT_NAMES[header.format]}, ${details.join(', ')}`;
}

/** `secfix inspect nvd FILE`: an NVD CVE JSON document, streamed, gzip or not. */
export const nvdReader: InspectReader = {
  async inspect(file, _options, emit) {
    const reader = readNvd(streamInput(file), file);
    let count = 0;
    let withConfigurations = 0;
    let rejected = 0;
    let oldest: string | undefined;
    let newest: string | undefined;
    for await (const cve of reader) {
      emit(cve);
      count++;
      if (cve.configurations.length > 0) withConfigurations++;
      if (cve.status === 'Rejected') rejected++;
      // Normalized timestamps share one fixed-width form, so text order is time order.
      if (oldest === undefined || cve.lastModified < oldest) oldest = cve.lastModified;
      if (newest === undefined || cve.lastModified > newest) newest = cve.lastModified;
    }
    const total = reader.header?.totalResults;
    return [
      describeHeader(reader.header),
      `${count} CVE record${count === 1 ? '' : 's'}${total !== undefined && total !== count ? ` (the document says ${total} in all)` : ''}`,
      oldest === undefined ? 'lastModified: no records' : `lastModified ${oldest} to ${newest}`,
      `${withConfigurations} with configurations, ${rejected} rejected`,
    ];
  },
};

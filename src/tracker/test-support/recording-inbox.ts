import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a recording inbox received. */
export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An inbox on loopback that records every request and answers what the test queued (201 otherwise). */
export interface RecordingInbox {
  /** `http://127.0.0.1:PORT/inbox`. */
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Statuses for the next requests, in order. */
  readonly answers: number[];
  close(): Promise<void>;
}

export async function startRecordingInbox(): Promise<RecordingInbox> {
  const received: ReceivedRequest[] = [];
  const answers: number[] = [];
  let url = '';
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = answers.shift() ?? 201;
      if (response.statusCode === 201) response.setHeader('location', `${url}/${received.length}`);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`;
  return { url, received, answers, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

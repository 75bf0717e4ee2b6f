import type { ExternalLink } from './urls.js';

/** An answer other than 200 that a route decides on; rendered in the negotiated format. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Where to look instead: shown on the error page and given in the JSON body. */
    readonly links: readonly ExternalLink[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);
export const badRequest = (message: string): HttpError => new HttpError(400, message);
/** A well-formed vulnerability id this tracker holds nothing about, with the sites that may. */
export const notTracked = (id: string, links: readonly ExternalLink[]): HttpError => new HttpError(404, `${id} is not tracked here`, links);

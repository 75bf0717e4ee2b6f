// The part of jsonld.js (9.x) secfix uses; @types/jsonld describes an older API.
declare module 'jsonld' {
  export interface RemoteDocument {
    readonly contextUrl: string | null;
    readonly document: unknown;
    readonly documentUrl: string;
  }
  export interface Options {
    readonly base?: string;
    readonly documentLoader?: (url: string) => Promise<RemoteDocument>;
    /** Fail instead of silently dropping terms or values that do not map to IRIs. */
    readonly safe?: boolean;
  }
  export function expand(input: unknown, options?: Options): Promise<Record<string, unknown>[]>;
  export function compact(input: unknown, context: unknown, options?: Options): Promise<Record<string, unknown>>;
  export function toRDF(input: unknown, options?: Options & { readonly format?: 'application/n-quads' }): Promise<string>;
  const jsonld: { expand: typeof expand; compact: typeof compact; toRDF: typeof toRDF };
  export default jsonld;
}

/** How `secfix inspect` reads one kind of input file. */
interface InspectOptions {
  /** Folder of trusted public keys, for signed inputs. */
  readonly keysDir: string | undefined;
  /** Accept unsigned or unverifiable input. */
  readonly allowUntrusted: boolean;
}

export interface InspectReader {
  /**
   * Parses `file`, handing each normalized record to `emit` in input order, and returns a
   * short human summary (a few lines). Bad input throws InputError.
   */
  inspect(file: string, options: InspectOptions, emit: (record: unknown) => void): Promise<string[]>;
}

/** A KIND of `secfix inspect`: named and described for --help; its reader (and parser) loaded only when it runs. */
export interface InspectKind {
  /** The KIND argument, e.g. "apkindex". */
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  load(): Promise<InspectReader>;
}

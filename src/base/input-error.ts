/**
 * A problem with input data, located precisely enough for a person to find it.
 * Every parser throws only this for bad input, so callers can print one clear
 * line and exit 2 instead of showing a stack trace.
 */
export class InputError extends Error {
  override readonly name = 'InputError';

  /**
   * @param source the file name or URL the input came from
   * @param place where in it: "line 12", "byte 3456", "$.vulnerabilities[3].cve.id", or undefined for the whole input
   * @param problem what is wrong, in words
   */
  constructor(
    readonly source: string,
    readonly place: string | undefined,
    readonly problem: string,
  ) {
    super(place === undefined ? `${source}: ${problem}` : `${source}: ${place}: ${problem}`);
  }
}

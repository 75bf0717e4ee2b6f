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

/** Formats a JSON path such as `$.vulnerabilities[3].cve.id` from its steps. */
export function jsonPath(steps: readonly (string | number)[]): string {
  let path = '$';
  for (const step of steps) {
    if (typeof step === 'number') path += `[${step}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(step)) path += `.${step}`;
    else path += `[${JSON.stringify(step)}]`;
  }
  return path;
}

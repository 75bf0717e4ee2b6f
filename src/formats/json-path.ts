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

import { expect } from 'vitest';
import { InputError } from '../base/input-error.js';

/** Runs `action`, which must throw an InputError, and returns that error for closer checks. */
export function inputErrorFrom(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

/** The async form of `inputErrorFrom`. */
export async function inputErrorFromAsync(action: () => Promise<unknown>): Promise<InputError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

/** For property tests: `action` either succeeds or throws an InputError, nothing else. */
export function expectParsedOrInputError(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
  }
}

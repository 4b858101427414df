/** A problem the user fixes (missing cdk.out, port in use, no Java): one line, no stack. */
export class LocalRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalRuntimeError';
  }
}

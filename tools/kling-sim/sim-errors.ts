/**
 * The official Kling error table (spec §1.8): each service code's HTTP status and explanation,
 * and the error the simulator's handlers throw to answer one.
 */

export const KLING_ERRORS: Readonly<Record<number, { status: number; message: string }>> = {
  1000: { status: 401, message: 'Authentication failed' },
  1001: { status: 401, message: 'Authorization is empty' },
  1002: { status: 401, message: 'Authorization is invalid' },
  1003: { status: 401, message: 'Authorization is not yet valid' },
  1004: { status: 401, message: 'Authorization has expired' },
  1100: { status: 429, message: 'Abnormal account status' },
  1101: { status: 429, message: 'Account in arrears (postpaid)' },
  1102: { status: 429, message: 'Resource pack exhausted or expired (prepaid)' },
  1103: { status: 403, message: 'Unauthorized access to requested resource' },
  1200: { status: 400, message: 'Invalid request parameters' },
  1201: { status: 400, message: 'Invalid parameters' },
  1202: { status: 404, message: 'Requested method is invalid' },
  1203: { status: 404, message: 'Requested resource does not exist' },
  1300: { status: 400, message: 'Request blocked by platform policy' },
  1301: { status: 400, message: 'Content security policy triggered' },
  1302: { status: 429, message: 'Too many requests; rate limit exceeded' },
  // The words the real API answers with (spec §1.8 example), so an injected 1303 looks like a real one.
  1303: { status: 429, message: 'parallel task over resource pack limit' },
  1304: { status: 429, message: 'IP whitelist policy triggered' },
  5000: { status: 500, message: 'Server internal error' },
  5001: { status: 503, message: 'Temporarily unavailable (maintenance)' },
  5002: { status: 504, message: 'Internal timeout (backlog)' },
};

export const KLING_ERROR_CODES: readonly number[] = Object.keys(KLING_ERRORS).map(Number);

/** An answer in the Kling error shape; `message` defaults to the table's explanation. */
export class KlingSimError extends Error {
  readonly code: number;
  readonly status: number;

  constructor(code: number, message?: string, status?: number) {
    const entry = KLING_ERRORS[code];
    super(message ?? entry?.message ?? 'Server internal error');
    this.name = 'KlingSimError';
    this.code = code;
    this.status = status ?? entry?.status ?? 500;
  }
}

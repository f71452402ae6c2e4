/**
 * An undici Agent that can only dial public unicast addresses. The check runs where the socket is
 * opened: every address DNS returns is checked in `connect.lookup`, and the address checked is
 * the address dialled, so a name that resolves to a public address once and to 127.0.0.1 the next
 * time (DNS rebinding) gains nothing. IP-literal hostnames never reach `lookup` (Node dials them
 * directly), so the connector checks those itself before opening a socket.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { literalAddress, nonPublicRange } from './public-address.ts';
import { UrlGuardError } from './url-guard-error.ts';

export type GuardedAgentOptions = {
  /** Lets every address through (local development and tests); the checks are then skipped. */
  allowPrivate: boolean;
  /** Milliseconds to wait for the TCP/TLS handshake. */
  connectTimeoutMs: number;
  /** Milliseconds to wait for the response headers, and between body chunks. */
  ioTimeoutMs: number;
};

export function privateAddressError(host: string, address: string, range: string): UrlGuardError {
  const via = host === address ? 'points to' : `host ${host} resolves to`;
  return new UrlGuardError('private_address', `url ${via} a private address ${address} (${range}); only public addresses may be fetched`);
}

/** `dns.lookup` with `all: true`, refusing the whole answer when any address is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      // Refuse rather than filter: a name that mixes public and private answers is suspect.
      if (range !== null) return callback(privateAddressError(hostname, address, range), []);
    }
    const first = addresses[0];
    if (first === undefined) return callback(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }), []);
    if (options.all === true) return callback(null, addresses);
    return callback(null, first.address, first.family);
  });
};

export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const base = { timeout: options.connectTimeoutMs };
  if (options.allowPrivate) {
    return new Agent({ connect: base, headersTimeout: options.ioTimeoutMs, bodyTimeout: options.ioTimeoutMs });
  }
  const connector = buildConnector({ ...base, lookup: publicOnlyLookup });
  return new Agent({
    headersTimeout: options.ioTimeoutMs,
    bodyTimeout: options.ioTimeoutMs,
    connect(opts, callback) {
      const literal = literalAddress(opts.hostname);
      const range = literal !== null ? nonPublicRange(literal) : null;
      if (literal !== null && range !== null) {
        callback(privateAddressError(literal, literal, range), null);
        return;
      }
      connector(opts, callback);
    },
  });
}

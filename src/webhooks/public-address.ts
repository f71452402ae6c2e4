/**
 * Which IP addresses an outbound request may reach: public unicast only. Pure; the URL guard asks
 * this for IP-literal hostnames before connecting and for every resolved address at connect time.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Words a client reads in the refusal, per ipaddr.js range name. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT 100.64.0.0/10',
  private: 'private network',
  uniqueLocal: 'unique-local',
  reserved: 'reserved',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
  benchmarking: 'benchmarking',
  deprecatedSiteLocal: 'site-local',
  discard: 'discard-only',
};

// ::/8 holds the deprecated IPv4-compatible form (::127.0.0.1), which ipaddr.js calls unicast.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/8');

/**
 * Null when `address` is a public unicast IP; otherwise the name of its range ("loopback",
 * "private network", ...). IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 inside it.
 * Anything that is not an IP address at all is refused as "not an IP address".
 */
export function nonPublicRange(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (net.isIP(bare) === 0) return 'not an IP address';
  let ip = ipaddr.parse(bare);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'unicast') {
    return ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE) ? 'IPv4-compatible' : null;
  }
  return RANGE_WORDS[range] ?? range;
}

/** The hostname of a URL without IPv6 brackets, and whether it is an IP literal (which skips DNS). */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return net.isIP(bare) !== 0 ? bare : null;
}

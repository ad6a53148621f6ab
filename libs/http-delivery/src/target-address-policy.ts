import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses a webhook may not reach unless ALLOW_PRIVATE_TARGETS is on: anything that is not
 * the public internet. Without this an admin could point a webhook at the cloud metadata service or an
 * internal admin port and read the response snippet back through the delivery log (SSRF).
 * Pure: address in, verdict out; no connection is ever opened to classify.
 */
const forbidden = new BlockList();
const FORBIDDEN_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (includes cloud metadata 169.254.169.254)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const FORBIDDEN_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['64:ff9b::', 96, 'NAT64'],
  ['fd00:ec2::', 32, 'cloud metadata'],
];
const reasons: Array<{ list: BlockList; reason: string }> = [];
for (const [network, prefix, reason] of FORBIDDEN_V4) {
  forbidden.addSubnet(network, prefix, 'ipv4');
  const one = new BlockList();
  one.addSubnet(network, prefix, 'ipv4');
  reasons.push({ list: one, reason });
}
for (const [network, prefix, reason] of FORBIDDEN_V6) {
  forbidden.addSubnet(network, prefix, 'ipv6');
  const one = new BlockList();
  one.addSubnet(network, prefix, 'ipv6');
  reasons.push({ list: one, reason });
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

export function classifyTargetAddress(address: string): AddressVerdict {
  let ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(ip);
  if (family === 0) return { allowed: false, reason: `"${address}" is not an IP address` };
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 host: judge it as that.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) ip = mapped[1];
  }
  const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  if (!forbidden.check(ip, type)) return { allowed: true };
  const hit = reasons.find((entry) => entry.list.check(ip, type));
  return { allowed: false, reason: `${ip} is a ${hit?.reason ?? 'non-public'} address` };
}

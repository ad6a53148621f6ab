import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses a webhook may not reach unless ALLOW_PRIVATE_TARGETS is on: anything that is not
 * the public internet. Without this an admin could point a webhook at the cloud metadata service or an
 * internal admin port and read the response snippet back through the delivery log (SSRF).
 * Pure: address in, verdict out; no connection is ever opened to classify.
 *
 * The ranges are ipaddr.js's special-purpose registry (kept up to date upstream), not a hand list: an
 * address is public only when ipaddr.js calls it `unicast`, and an IPv6 one must also be in the global
 * unicast block 2000::/3 (the rest is unallocated). IPv6 forms that carry an IPv4 address are decoded
 * first and judged by that IPv4 address, because that is where the packets end up.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

const RANGE_LABELS: Record<string, string> = {
  unspecified: 'unspecified (this-network)',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (includes cloud metadata 169.254.169.254)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved (documentation, benchmarking, 6to4 relay or future use)',
  as112: 'AS112 (DNS sink)',
  amt: 'AMT (multicast tunnelling)',
  uniqueLocal: 'unique local (private; includes cloud metadata fd00:ec2::254)',
  deprecatedSiteLocal: 'site-local (deprecated, private)',
  discard: 'discard-only',
  benchmarking: 'benchmarking',
  as112v6: 'AS112 (DNS sink)',
  deprecatedOrchid: 'ORCHID (not routable)',
  orchid2: 'ORCHID (not routable)',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tag (not routable)',
  segmentRouting: 'segment routing (SRv6 SIDs)',
};

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_LOCAL_USE = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

export function classifyTargetAddress(address: string): AddressVerdict {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // node:net is strict (no octal, hex or short IPv4 forms); ipaddr.js would accept those too.
  const family = isIP(text);
  if (family === 0) return refused(`"${address}" is not an IP address`);
  if (family === 4) return classifyV4(ipaddr.IPv4.parse(text), text);
  // A zone id only means something for link-local and multicast scopes: never a public listener.
  if (text.includes('%')) return refused(`${text} is a scoped (zone id) address`);
  // ipaddr.js reads "::1.2.3.4" as "::ffff:1.2.3.4"; the WHATWG serialiser writes the bytes the
  // socket will use ("::102:304"), so that is what gets classified.
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return classifyV6(ipaddr.IPv6.parse(canonical), text);
}

function classifyV4(ip: ipaddr.IPv4, shown: string): AddressVerdict {
  const range = ip.range() as string;
  if (range === 'unicast') return { allowed: true };
  return refused(`${shown} is a ${RANGE_LABELS[range] ?? range} address`);
}

function classifyV6(ip: ipaddr.IPv6, shown: string): AddressVerdict {
  const range = ip.range() as string;
  const embedded = embeddedIPv4(ip, range);
  if (embedded) {
    if (embedded.refuse) {
      return refused(`${shown} is an ${embedded.form} address (embeds ${embedded.ipv4[0].toString()})`);
    }
    for (const ipv4 of embedded.ipv4) {
      const verdict = classifyV4(ipv4, ipv4.toString());
      if (!verdict.allowed) return refused(`${shown} is an ${embedded.form} address: ${verdict.reason}`);
    }
    return { allowed: true };
  }
  if (range !== 'unicast') return refused(`${shown} is a ${RANGE_LABELS[range] ?? range} address`);
  if (!ip.match(GLOBAL_UNICAST_V6))
    return refused(`${shown} is outside global unicast 2000::/3 (unallocated)`);
  return { allowed: true };
}

interface EmbeddedIPv4 {
  form: string;
  /** Every IPv4 address the packets could be translated to; all must be public. */
  ipv4: ipaddr.IPv4[];
  /** Forms with no legitimate use as a listener address are refused whatever they embed. */
  refuse?: boolean;
}

/**
 * The IPv4 address(es) an IPv6 transition address reaches, or null when it is not one. `::` and `::1`
 * are not IPv4-compatible addresses (they are unspecified and loopback in their own right).
 */
function embeddedIPv4(ip: ipaddr.IPv6, range: string): EmbeddedIPv4 | null {
  const bytes = ip.toByteArray();
  const v4 = (offset: number) => new ipaddr.IPv4(bytes.slice(offset, offset + 4));
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d: the socket connects to a.b.c.d
      return { form: 'IPv4-mapped', ipv4: [v4(12)] };
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT IPv4-translated)
      return { form: 'IPv4-translated (SIIT)', ipv4: [v4(12)], refuse: true };
    case 'rfc6052':
      return ip.match(NAT64_LOCAL_USE)
        ? { form: 'NAT64 local-use', ipv4: nat64LocalUseCandidates(bytes) }
        : { form: 'NAT64', ipv4: [v4(12)] };
    case '6to4': // 2002:AABB:CCDD::/48: the relay forwards to AA.BB.CC.DD
      return { form: '6to4', ipv4: [v4(2)] };
    case 'teredo': {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC: server IPv4, then the client IPv4 with every bit flipped.
      const client = new ipaddr.IPv4(bytes.slice(12, 16).map((byte) => byte ^ 0xff));
      return { form: 'Teredo', ipv4: [client, v4(4)] };
    }
    default:
      break;
  }
  const isCompatible = bytes.slice(0, 12).every((byte) => byte === 0) && range === 'unicast';
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291): some stacks still route it to a.b.c.d.
  return isCompatible ? { form: 'IPv4-compatible (deprecated)', ipv4: [v4(12)], refuse: true } : null;
}

/**
 * 64:ff9b:1::/48 is for a local NAT64 whose prefix may be /48, /56, /64 or /96 (RFC 8215, RFC 6052 §2.2):
 * the IPv4 address sits in a different place for each, and bits 64–71 are skipped. We cannot know the
 * operator's choice, so every reading must be public.
 */
function nat64LocalUseCandidates(bytes: number[]): ipaddr.IPv4[] {
  const at = (...offsets: number[]) => new ipaddr.IPv4(offsets.map((offset) => bytes[offset] ?? 0));
  return [at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), at(12, 13, 14, 15)];
}

function refused(reason: string): AddressVerdict {
  return { allowed: false, reason };
}

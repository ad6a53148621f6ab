import { classifyTargetAddress } from './target-address-policy';

describe('classifyTargetAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this-network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'],
    ['2001:db8::1', 'reserved'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (address, reason) => {
    const verdict = classifyTargetAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.reason).toContain(reason);
  });

  // The gaps of issue 12: IPv6 transition forms and the ranges a hand-written list had missed.
  it.each([
    ['::7f00:1', 'IPv4-compatible (deprecated) address (embeds 127.0.0.1)'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated) address (embeds 127.0.0.1)'],
    ['::808:808', 'IPv4-compatible (deprecated) address (embeds 8.8.8.8)'],
    ['::ffff:0:7f00:1', 'IPv4-translated (SIIT) address (embeds 127.0.0.1)'],
    ['::ffff:0:808:808', 'IPv4-translated (SIIT) address (embeds 8.8.8.8)'],
    ['2002:a9fe:a9fe::', '6to4 address: 169.254.169.254 is a link-local'],
    ['2002:7f00:1::1', '6to4 address: 127.0.0.1 is a loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 address: 169.254.169.254 is a link-local'],
    ['64:ff9b::10.0.0.1', 'NAT64 address: 10.0.0.1 is a private'],
    ['64:ff9b:1::a9fe:a9fe', 'NAT64 local-use address'],
    ['64:ff9b:1::808:808', 'NAT64 local-use address'], // the /48 reading is 0.0.0.8
    ['fec0::1', 'site-local'],
    // Teredo: server 65.54.227.120 (public), client 127.0.0.1 stored bit-flipped as 80ff:fffe.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo address: 127.0.0.1 is a loopback'],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'Teredo address: 10.0.0.1 is a private'],
    ['192.88.99.1', 'reserved'],
    ['100::1', 'discard-only'],
    ['5f00::1', 'segment routing'],
    ['4000::1', 'outside global unicast 2000::/3'],
    ['fe80::1%eth0', 'scoped (zone id)'],
  ])('refuses the transition or special-purpose address %s', (address, reason) => {
    const verdict = classifyTargetAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.reason).toContain(reason);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '172.15.255.255',
    '2606:4700:4700::1111',
    '::ffff:8.8.4.4',
    // Transition forms whose embedded IPv4 is public reach the public internet.
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo client 8.8.8.8 via server 65.54.227.120
  ])('allows the public address %s', (address) => {
    expect(classifyTargetAddress(address)).toEqual({ allowed: true });
  });

  it.each(['example.com', '0177.0.0.1', '0x7f.1', '127.1', ''])(
    'refuses %p: not an IP address',
    (address) => {
      expect(classifyTargetAddress(address)).toEqual({
        allowed: false,
        reason: `"${address}" is not an IP address`,
      });
    },
  );
});

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
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (address, reason) => {
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
  ])('allows the public address %s', (address) => {
    expect(classifyTargetAddress(address)).toEqual({ allowed: true });
  });

  it('refuses what is not an IP address', () => {
    expect(classifyTargetAddress('example.com')).toEqual({
      allowed: false,
      reason: '"example.com" is not an IP address',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { chainOwner, chainOwners, tableOwner, tableOwnerByName } from '../../../src/backends/owners.js';
import type { TableModel } from '../../../src/ruleset/model.js';

const table = (family: string, name: string, chains: string[] = [], hasXt = false): TableModel => ({
  family,
  name,
  key: `${family} ${name}`,
  chains: chains.map((c) => ({ name: c, type: null, hook: null, prio: null, policy: null, dev: null, rules: [] })),
  sets: [],
  objects: [],
  text: '',
  hasXt,
});

describe('owner classification', () => {
  it.each([
    ['DOCKER', 'docker'],
    ['DOCKER-USER', 'docker'],
    ['DOCKER-ISOLATION-STAGE-1', 'docker'],
    ['DOCKER-FORWARD', 'docker'],
    ['KUBE-SERVICES', 'kube-proxy'],
    ['KUBE-KUBELET-CANARY', 'kube-proxy'],
    ['f2b-sshd', 'fail2ban'],
    ['f2b-chain', 'fail2ban'],
    ['LIBVIRT_INP', 'libvirt'],
    ['ts-input', 'tailscale'],
    ['crowdsec-chain', 'crowdsec'],
    ['CROWDSEC_CHAIN', 'crowdsec'],
    ['cali-FORWARD', 'calico'],
    ['ufw-before-input', 'ufw'],
    ['INPUT_direct', 'firewalld'],
    ['IN_public_allow', 'firewalld'],
    ['NETAVARK_FORWARD', 'podman'],
    ['NETAVARK-1D8721804F16F', 'podman'],
  ])('chain %s belongs to %s', (chain, owner) => {
    expect(chainOwner(chain)).toBe(owner);
  });

  it.each(['INPUT', 'input', 'my-chain', 'DOCKERISH', 'KUBE', 'IN_', 'services'])(
    'chain %s has no known owner',
    (chain) => {
      expect(chainOwner(chain)).toBeNull();
    },
  );

  it('tables by name, in every family', () => {
    expect(tableOwner(table('ip', 'kube-proxy'))).toBe('kube-proxy');
    expect(tableOwner(table('ip6', 'kube-proxy'))).toBe('kube-proxy');
    expect(tableOwner(table('inet', 'f2b-table'))).toBe('fail2ban');
    expect(tableOwner(table('inet', 'firewalld'))).toBe('firewalld');
    expect(tableOwner(table('ip', 'docker-bridges'))).toBe('docker');
    expect(tableOwner(table('ip', 'libvirt_network'))).toBe('libvirt');
    expect(tableOwner(table('ip6', 'crowdsec6'))).toBe('crowdsec');
    expect(tableOwnerByName('crowdsec')).toBe('crowdsec');
    expect(tableOwner(table('ip', 'calico'))).toBe('calico');
    expect(tableOwner(table('inet', 'netavark'))).toBe('podman');
    expect(tableOwner(table('inet', 'lxd'))).toBe('lxd');
    expect(tableOwner(table('inet', 'incus'))).toBe('incus');
    expect(tableOwner(table('inet', 'my-netavark'))).toBeNull();
  });

  it("iptables-nft's tables: by xt expressions or its built-in chains; a user's inet filter stays unknown", () => {
    expect(tableOwner(table('ip', 'filter', ['INPUT', 'DOCKER-USER']))).toBe('iptables-nft-managed');
    expect(tableOwner(table('ip', 'custom', ['x'], true))).toBe('iptables-nft-managed');
    expect(tableOwner(table('inet', 'filter', ['INPUT']))).toBeNull();
    expect(tableOwner(table('ip', 'filter', ['input']))).toBeNull();
    // Only user chains, in iptables' capitals: `iptables -t nat -N DOCKER` before any built-in chain exists.
    expect(tableOwner(table('ip', 'nat', ['DOCKER']))).toBe('iptables-nft-managed');
    expect(tableOwner(table('ip', 'nat', ['DOCKER', 'postrouting']))).toBeNull();
    expect(tableOwner(table('ip', 'nat'))).toBeNull();
    expect(tableOwner(table('inet', 'nat', ['DOCKER']))).toBeNull();
  });

  it("docker's chains inside iptables-nft's ip filter", () => {
    const owners = chainOwners(table('ip', 'filter', ['INPUT', 'FORWARD', 'DOCKER', 'DOCKER-USER', 'mine']));
    expect([...owners]).toEqual([
      ['DOCKER', 'docker'],
      ['DOCKER-USER', 'docker'],
    ]);
  });
});

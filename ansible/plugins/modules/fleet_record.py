#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see the fwsafe repository)
"""Writes the fleet record of a rollout (JSON + Markdown) from the per-host entries on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fleet_record
short_description: Write the fleet record of an fwsafe rollout (JSON and Markdown)
version_added: "0.1.0"
description:
  - Reads the per-host entries the rollout role wrote to I(dir)/I(name).hosts/HOST.json and writes
    I(dir)/I(name).json and I(dir)/I(name).md, one line per host of I(hosts) in order; a host without an entry
    is C(not-started).
  - Runs on the controller (C(delegate_to=localhost), C(run_once=true)).
options:
  dir:
    description: The record directory.
    type: path
    required: true
  name:
    description: The record's name (file names without extension).
    type: str
    required: true
  hosts:
    description: Every host of the play, in rollout order.
    type: list
    elements: str
    required: true
  meta:
    description: What the record says about the rollout as a whole (change, message, timeout, started, ...).
    type: dict
    default: {}
author:
  - fwsafe contributors
'''

EXAMPLES = r'''
- name: Fleet record of this play
  fwsafe.fwsafe.fleet_record:
    dir: "{{ playbook_dir }}/fwsafe-records"
    name: web-443
    hosts: "{{ ansible_play_hosts_all }}"
    meta:
      change: web-443
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
record:
  description: The record as written to NAME.json.
  type: dict
  returned: always
counts:
  description: Hosts per outcome.
  type: dict
  returned: always
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

OK_OUTCOMES = ('confirmed', 'unchanged', 'planned')


def read_entry(path):
    try:
        with open(path) as f:
            entry = json.load(f)
        return entry if isinstance(entry, dict) else None
    except (OSError, ValueError):
        return None


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.fleet-record-')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cell(value):
    if value is None or value == '':
        return '–'
    if isinstance(value, dict):
        user = value.get('user')
        if user is not None:
            return '%s@%s%s' % (user, value.get('host', ''), ' from %s' % value['from'] if value.get('from') else '')
        counts = ['%s %s' % (v, k) for k, v in sorted(value.items()) if str(v) not in ('0', '', 'None')]
        return ', '.join(counts) or '–'
    if isinstance(value, list):
        return ', '.join(str(v) for v in value) or '–'
    return str(value).replace('|', '\\|').replace('\n', ' ')


def markdown(record):
    meta = record['rollout']
    lines = [
        '# Fleet record: %s' % meta.get('change', ''),
        '',
        '%s. Controller user %s; rollback window %s s%s; written %s.' % (
            record['verdict'], cell(meta.get('controller_user')), cell(meta.get('timeout')),
            ' (check mode: nothing applied)' if meta.get('check_mode') else '', record['written']),
        '',
        '| host | outcome | change | version | who | when | findings | note |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for h in record['hosts']:
        who = h.get('confirmed_by') or (h.get('controller_user') and {'user': h.get('controller_user'), 'host': 'controller'})
        when = h.get('confirmed_at') or h.get('rolled_back_at') or h.get('updated')
        note = h.get('error') or ''
        if h.get('outcome') == 'pending':
            note = 'applied, not confirmed: rolls back by itself at %s' % h.get('deadline')
        elif h.get('outcome') == 'rolled-back':
            note = 'rolled back by %s (%s)%s' % (
                'its watchdog' if h.get('rollback_reason') == 'timeout' else 'fwsafe', h.get('rollback_reason'),
                '; ' + note if note else '')
        elif h.get('outcome') == 'unconfirmed':
            note = '%s; its watchdog rolls it back at %s' % (note, h.get('deadline'))
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            cell(h.get('host')), cell(h.get('outcome')), cell(h.get('change_id')), cell(h.get('version')),
            cell(who), cell(when), cell(h.get('findings')), cell(note)))
    lines += ['', 'Outcomes: %s.' % ', '.join('%s %d' % (k, v) for k, v in sorted(record['counts'].items())), '']
    return '\n'.join(lines)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type='path', required=True),
            name=dict(type='str', required=True),
            hosts=dict(type='list', elements='str', required=True),
            meta=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if '/' in p['name'] or p['name'] in ('', '.', '..'):
        module.fail_json(msg='record name %r must be a plain file name' % p['name'])
    entries_dir = os.path.join(p['dir'], p['name'] + '.hosts')
    hosts = []
    for host in p['hosts']:
        entry = read_entry(os.path.join(entries_dir, host + '.json'))
        hosts.append(entry if entry else {'host': host, 'outcome': 'not-started'})
    counts = {}
    for h in hosts:
        counts[h.get('outcome')] = counts.get(h.get('outcome'), 0) + 1
    failed = [h['host'] for h in hosts if h.get('outcome') not in OK_OUTCOMES + ('not-started',)]
    if failed:
        verdict = 'Stopped: %s not confirmed' % ', '.join(failed)
    elif counts.get('not-started'):
        verdict = 'In progress'
    else:
        verdict = 'Complete: every host %s' % ('planned' if p['meta'].get('check_mode') else 'confirmed or unchanged')
    from datetime import datetime, timezone
    record = {
        'schema': 1,
        'rollout': p['meta'],
        'verdict': verdict,
        'written': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'counts': counts,
        'hosts': hosts,
    }
    os.makedirs(p['dir'], mode=0o700, exist_ok=True)
    write_atomic(os.path.join(p['dir'], p['name'] + '.json'), json.dumps(record, indent=2, sort_keys=True) + '\n')
    write_atomic(os.path.join(p['dir'], p['name'] + '.md'), markdown(record))
    module.exit_json(changed=True, record=record, counts=counts,
                     json_path=os.path.join(p['dir'], p['name'] + '.json'), md_path=os.path.join(p['dir'], p['name'] + '.md'))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see the fwsafe repository)
"""Ansible module wrapping the fwsafe CLI's --json contracts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fwsafe
short_description: Plan, apply (under fwsafe's auto-rollback watchdog), confirm, inspect or roll back a firewall change
version_added: "0.1.0"
description:
  - Runs the C(fwsafe) CLI on the target with C(--json) and returns what it says.
  - C(plan) computes the change in a scratch network namespace (kernel-validated diff, findings, lockout probes) and
    fails the host when a finding blocks, unless I(force).
  - C(apply) applies the proposal detached (C(--no-wait)) under a rollback window of I(timeout) seconds; unless a
    C(confirm) arrives from a NEW session before the deadline, the host's own watchdog restores the previous rules.
  - In check mode C(plan) and C(apply) only plan; C(confirm) and C(rollback) change nothing and report the pending change.
  - The proposal file is passed to fwsafe unchanged; fwsafe recognises its format (nft text, and whatever other formats
    the installed fwsafe takes).
options:
  command:
    description: What to run.
    type: str
    choices: [plan, apply, confirm, status, rollback, outcome]
    default: plan
  src:
    description: Path of the proposal file on the target (for C(plan) and C(apply)).
    type: path
  timeout:
    description: Seconds from apply until the automatic rollback.
    type: int
    default: 120
  message:
    description: Why this change (kept in the host's history).
    type: str
    default: ''
  force:
    description: Apply, and let C(plan) succeed, despite blocking findings.
    type: bool
    default: false
  probes:
    description: Run the real-packet lockout probes while planning.
    type: bool
    default: true
  must_allow:
    description: Flows that must stay allowed (C(tcp/443), C(tcp/5432 from 10.0.0.0/8)).
    type: list
    elements: str
    default: []
  must_deny:
    description: Flows that must stay denied.
    type: list
    elements: str
    default: []
  persist:
    description: On confirmation, write the persistent file at this path.
    type: str
  change_id:
    description: For C(confirm), the change to confirm (refused when another one is pending). For C(outcome), the change to look up.
    type: str
  state_dir:
    description: fwsafe's state directory (default C(/var/lib/fwsafe)).
    type: path
  netns:
    description: Act inside this network namespace instead of the one the session runs in.
    type: str
  executable:
    description: The fwsafe executable (default C(fwsafe) on the PATH, or C(/usr/local/bin), C(/opt/fwsafe/bin)).
    type: path
  return_plan:
    description: Return the whole plan (large - proposal, result text, rollback scripts) as C(plan).
    type: bool
    default: false
author:
  - fwsafe contributors
notes:
  - Run C(confirm) over a connection opened after the apply (C(meta reset_connection) and no SSH multiplexing);
    that it connects at all is what proves the change did not lock the controller out.
'''

EXAMPLES = r'''
- name: Plan (fails on blocking findings; shows the diff with --diff)
  fwsafe.fwsafe.fwsafe:
    command: plan
    src: /var/lib/fwsafe-proposals/web.nft

- name: Apply under a 120 s rollback window
  fwsafe.fwsafe.fwsafe:
    command: apply
    src: /var/lib/fwsafe-proposals/web.nft
    timeout: 120
    message: "open 443 (CHG-1234)"
  register: applied

- name: Drop the multiplexed connection
  ansible.builtin.meta: reset_connection

- name: Confirm over a new connection
  fwsafe.fwsafe.fwsafe:
    command: confirm
    change_id: "{{ applied.change_id }}"
  vars:
    ansible_ssh_args: "-o ControlMaster=no -o ControlPath=none"
'''

RETURN = r'''
changes:
  description: (plan, apply in check mode) Whether the proposal changes the live ruleset.
  type: bool
  returned: plan
touched_tables:
  description: Tables the change touches.
  type: list
  returned: plan, apply
summary:
  description: The plan's diff summary (rules/chains/tables/sets added, removed, changed).
  type: dict
  returned: plan
findings:
  description: The plan's findings (code, severity, message, fix, location).
  type: list
  returned: plan
blocking:
  description: The findings that block (severity error).
  type: list
  returned: plan
diff:
  description: The unified diff of the touched tables, for --diff mode.
  type: dict
  returned: plan
change_id:
  description: The change's id.
  type: str
  returned: apply, confirm, status (when pending), rollback, outcome
version_id:
  description: The history version of the change.
  type: int
  returned: apply, confirm, rollback, outcome
deadline:
  description: When the host's watchdog rolls the change back unless confirmed (ISO 8601).
  type: str
  returned: apply, status (when pending)
state:
  description: pending, confirmed, rolled-back, failed (apply, outcome); none when nothing is pending (status).
  type: str
confirmed_by:
  description: Who confirmed, from which address.
  type: dict
  returned: confirm, outcome
result:
  description: fwsafe's JSON output as it came (any fields fwsafe adds are kept).
  type: dict
  returned: always
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

# Where the install task and npm put it when it is not on a root session's PATH.
EXTRA_DIRS = ['/usr/local/bin', '/opt/fwsafe/bin', '/opt/fwsafe/node_modules/.bin']


def fwsafe_argv(module):
    exe = module.params['executable']
    if exe:
        if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
            module.fail_json(msg='fwsafe executable %s is not an executable file' % exe)
        return [exe]
    return [module.get_bin_path('fwsafe', required=True, opt_dirs=EXTRA_DIRS)]


def run_cli(module, args):
    """Runs fwsafe with --json; returns (rc, parsed JSON or None, stdout, stderr)."""
    p = module.params
    argv = fwsafe_argv(module) + args + ['--json']
    if p['state_dir']:
        argv += ['--state-dir', p['state_dir']]
    if p['netns']:
        argv += ['--netns', p['netns']]
    rc, out, err = module.run_command(argv, environ_update={'NO_COLOR': '1', 'LC_ALL': 'C.UTF-8'})
    try:
        data = json.loads(out) if out.strip() else None
    except ValueError:
        data = None
    return rc, data, out, err


def is_cli_error(data):
    # The CLI's error shape is {"error": {"code", "message", ...}}; a result may carry its own "error": null.
    return isinstance(data.get('error'), dict)


def fail_cli(module, what, rc, data, out, err, **extra):
    error = data.get('error') if isinstance(data, dict) else None
    if isinstance(error, dict):
        msg = '%s failed (exit %d, %s): %s' % (what, rc, error.get('code'), error.get('message'))
        actions = error.get('actions') or []
        if actions:
            msg += ' Next: ' + ' '.join(actions)
    else:
        msg = '%s failed (exit %d): %s' % (what, rc, (err or out).strip()[-2000:])
    module.fail_json(msg=msg, rc=rc, error=error, stderr=err, result=data, **extra)


def plan_facts(plan, return_plan):
    diff = plan.get('diff') or {}
    findings = plan.get('findings') or []
    tables = plan.get('touchedTables') or []
    names = ['%s %s' % (t.get('family'), t.get('name')) for t in tables if isinstance(t, dict)]
    facts = {
        'changes': len(tables) > 0,
        'touched_tables': names,
        'summary': diff.get('summary') or {},
        'findings': findings,
        'blocking': [f for f in findings if isinstance(f, dict) and f.get('severity') == 'error'],
        'base_hash': (plan.get('base') or {}).get('hash'),
        'result_hash': (plan.get('result') or {}).get('hash'),
        'diff': {
            'before_header': 'live ruleset (%s)' % ', '.join(names) if names else 'live ruleset',
            'after_header': 'after %s' % ((plan.get('proposal') or {}).get('path') or 'the proposal'),
            'prepared': diff.get('unified') or '',
        },
    }
    if return_plan:
        facts['plan'] = plan
    return facts


def probe_args(p):
    args = [] if p['probes'] else ['--no-probes']
    for spec in p['must_allow']:
        args += ['--must-allow', spec]
    for spec in p['must_deny']:
        args += ['--must-deny', spec]
    return args


def need_src(module):
    src = module.params['src']
    if not src:
        module.fail_json(msg='command=%s needs src (the proposal file on the target)' % module.params['command'])
    if not os.path.isfile(src):
        module.fail_json(msg='proposal %s does not exist on the target' % src)
    return src


def do_plan(module):
    p = module.params
    rc, data, out, err = run_cli(module, ['plan', need_src(module)] + probe_args(p))
    if rc != 0 or not isinstance(data, dict) or is_cli_error(data):
        fail_cli(module, 'fwsafe plan', rc, data, out, err)
    facts = plan_facts(data, p['return_plan'])
    facts['result'] = {k: v for k, v in data.items() if k not in ('proposal', 'result', 'rollback')}
    facts['changed'] = bool(module.check_mode and p['command'] == 'apply' and facts['changes'])
    if facts['blocking'] and not p['force']:
        msg = 'Blocked by %d finding(s): %s' % (len(facts['blocking']), '; '.join(
            '%s: %s' % (f.get('code'), f.get('message')) for f in facts['blocking']))
        module.fail_json(msg=msg, **facts)
    module.exit_json(**facts)


def do_apply(module):
    p = module.params
    if module.check_mode:
        do_plan(module)
    args = ['apply', need_src(module), '--no-wait', '--yes', '--timeout', str(p['timeout'])]
    args += probe_args({'probes': p['probes'], 'must_allow': [], 'must_deny': []})
    if p['message']:
        args += ['--message', p['message']]
    if p['force']:
        args.append('--force')
    if p['persist']:
        args.append('--persist=%s' % p['persist'])
    rc, data, out, err = run_cli(module, args)
    if rc != 0 or not isinstance(data, dict) or is_cli_error(data):
        fail_cli(module, 'fwsafe apply', rc, data, out, err)
    module.exit_json(
        changed=True,
        change_id=data.get('changeId'),
        version_id=data.get('versionId'),
        base_version=data.get('baseVersion'),
        state=data.get('state'),
        deadline=data.get('deadline'),
        timeout_sec=data.get('timeoutSec'),
        touched_tables=data.get('touchedTables') or [],
        watchdog_pid=data.get('watchdogPid'),
        result=data,
    )


def status_facts(data):
    pending = (data or {}).get('pending')
    if not isinstance(pending, dict):
        return {'state': 'none', 'pending': None, 'result': data}
    return {
        'state': 'pending',
        'pending': pending,
        'change_id': pending.get('changeId'),
        'version_id': pending.get('versionId'),
        'deadline': pending.get('deadline'),
        'seconds_left': pending.get('secondsLeft'),
        'watchdog_alive': pending.get('watchdogAlive'),
        'stale': pending.get('stale'),
        'result': data,
    }


def do_status(module, changed=False, **extra):
    rc, data, out, err = run_cli(module, ['status'])
    if rc != 0 or not isinstance(data, dict) or is_cli_error(data):
        fail_cli(module, 'fwsafe status', rc, data, out, err)
    facts = status_facts(data)
    facts.update(extra)
    module.exit_json(changed=changed, **facts)


def do_confirm(module):
    p = module.params
    if module.check_mode:
        do_status(module, check_mode_note='confirm skipped in check mode')
    args = ['confirm'] + ([p['change_id']] if p['change_id'] else [])
    rc, data, out, err = run_cli(module, args)
    if rc != 0 or not isinstance(data, dict) or is_cli_error(data):
        fail_cli(module, 'fwsafe confirm', rc, data, out, err)
    module.exit_json(
        changed=True,
        state='confirmed',
        change_id=data.get('changeId'),
        version_id=data.get('versionId'),
        confirmed_at=data.get('confirmedAt'),
        confirmed_by=data.get('confirmedBy'),
        persisted_to=data.get('persistedTo'),
        result=data,
    )


def do_rollback(module):
    if module.check_mode:
        do_status(module, check_mode_note='rollback skipped in check mode')
    rc, data, out, err = run_cli(module, ['rollback'])
    error = data.get('error') if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get('code') == 'NO_PENDING_CHANGE':
        module.exit_json(changed=False, state='none', msg='nothing pending', result=data)
    inner = (data or {}).get('result') if isinstance(data, dict) else None
    if rc != 0 or not isinstance(inner, dict):
        fail_cli(module, 'fwsafe rollback', rc, data, out, err)
    module.exit_json(
        changed=True,
        state=inner.get('status'),
        change_id=inner.get('changeId'),
        version_id=inner.get('versionId'),
        overwritten=inner.get('overwritten') or [],
        result=data,
    )


def do_outcome(module):
    """The recorded outcome of a change (from `fwsafe log --json`): what a host did while unreachable."""
    p = module.params
    rc, data, out, err = run_cli(module, ['log'])
    if rc != 0 or not isinstance(data, dict) or is_cli_error(data):
        fail_cli(module, 'fwsafe log', rc, data, out, err)
    found = None
    for version in data.get('versions') or []:
        change = version.get('change') if isinstance(version, dict) else None
        if isinstance(change, dict) and (not p['change_id'] or change.get('changeId') == p['change_id']):
            found = (version, change)
    if found is None:
        module.exit_json(changed=False, state='unknown', change_id=p['change_id'], msg='no such change in the history')
    version, change = found
    module.exit_json(
        changed=False,
        state=change.get('state'),
        change_id=change.get('changeId'),
        version_id=version.get('id'),
        rollback_reason=change.get('rollbackReason'),
        rollback_method=change.get('rollbackMethod'),
        rolled_back_at=change.get('rolledBackAt'),
        confirmed_at=change.get('confirmedAt'),
        confirmed_by=change.get('confirmedBy'),
        overwritten=change.get('overwritten') or [],
        error=change.get('error'),
        result=version,
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type='str', default='plan', choices=['plan', 'apply', 'confirm', 'status', 'rollback', 'outcome']),
            src=dict(type='path'),
            timeout=dict(type='int', default=120),
            message=dict(type='str', default=''),
            force=dict(type='bool', default=False),
            probes=dict(type='bool', default=True),
            must_allow=dict(type='list', elements='str', default=[]),
            must_deny=dict(type='list', elements='str', default=[]),
            persist=dict(type='str'),
            change_id=dict(type='str'),
            state_dir=dict(type='path'),
            netns=dict(type='str'),
            executable=dict(type='path'),
            return_plan=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    if module.params['timeout'] < 2:
        module.fail_json(msg='timeout must be at least 2 seconds')
    handlers = {'plan': do_plan, 'apply': do_apply, 'confirm': do_confirm, 'status': do_status,
                'rollback': do_rollback, 'outcome': do_outcome}
    handlers[module.params['command']](module)


if __name__ == '__main__':
    main()

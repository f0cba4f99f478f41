#!/usr/bin/env python3
"""docs/CONFIGURATION.md against .env.example, the programs' config tables and compose.

usage: test_config_docs.py SOURCE_DIR [BUILD_DIR]

Fails when a variable of .env.example, of a config table ({"NAME", RT_CONFIG_...} rows) of a
program in the tree, or of docker-compose.yml's overrides has no row; when a row's default
differs from .env.example or does not mention the program's built-in default; when a row says
that a program in the tree reads a variable it does not read, or misses one that it reads;
and when a relative link of the deployment docs (ARCHITECTURE, CONFIGURATION, OPERATIONS,
SCALING) leads nowhere.
"""
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtsrc  # noqa: E402

ROOT = os.path.abspath(sys.argv[1])
ROW = re.compile(r'^\|\s*`([A-Z_][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|\s*$')
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def main():
    rows = {}
    for n, line in enumerate(rtsrc.read(os.path.join(ROOT, "docs", "CONFIGURATION.md")).splitlines(), 1):
        m = ROW.match(line)
        if not m:
            continue
        name = m.group(1)
        if name in rows:
            fail("CONFIGURATION.md:%d: %s has two rows" % (n, name))
        readers = set(x.strip() for x in m.group(4).split(","))
        rows[name] = (m.group(2).strip(), readers, n)
    envx = rtsrc.env_example(ROOT)
    for name, value, comment in envx:
        if name not in rows:
            fail(".env.example's %s has no row in docs/CONFIGURATION.md" % name)
            continue
        if not comment:
            fail(".env.example's %s has no comment (meaning, default, allowed values)" % name)
        col = rows[name][0]
        if value and col.split(" (")[0] != value:
            fail("CONFIGURATION.md:%d: default of %s is %r, .env.example ships %r" % (rows[name][2], name, col, value))
        if not value and not col.startswith("("):
            fail("CONFIGURATION.md:%d: %s is empty in .env.example, the row says %r" % (rows[name][2], name, col))
    env_names = set(n for n, _, _ in envx)
    for svc in rtsrc.PROGRAMS:
        present, reads = rtsrc.config_vars(ROOT, svc)
        if not present:
            print("note: %s is not in this tree yet: its rows are not checked" % rtsrc.PROGRAMS[svc][0])
            continue
        for name, (where, line, default) in sorted(reads.items()):
            if name not in rows:
                fail("%s reads %s (%s:%d), which has no row in docs/CONFIGURATION.md" % (svc, name, where, line))
                continue
            col, readers, n = rows[name]
            if svc not in readers:
                fail("CONFIGURATION.md:%d: %s is read by %s (%s:%d): add it to 'Read by'" % (n, name, svc, where, line))
            if default and default not in col and not (name in env_names and default == col.split(" (")[0]):
                fail("CONFIGURATION.md:%d: %s's built-in default in %s is %r, the row says %r" % (n, name, svc, default, col))
        if svc == "analyzer":  # the strategies' parameters: STRATEGIES.md, or a row here
            strategies_md = rtsrc.read(os.path.join(ROOT, "docs", "STRATEGIES.md"))
            for name, (where, line) in sorted(rtsrc.strategy_params(ROOT).items()):
                if name not in rows and not re.search(r'\b' + name + r'\b', strategies_md):
                    fail("strategy parameter %s (%s:%d) is in neither CONFIGURATION.md nor STRATEGIES.md"
                         % (name, where, line))
                if name in rows and "analyzer" not in rows[name][1]:
                    fail("CONFIGURATION.md:%d: %s is read by analyzer (%s:%d): add it to 'Read by'"
                         % (rows[name][2], name, where, line))
                reads.setdefault(name, (where, line, None))
        for name, (col, readers, n) in rows.items():
            if svc in readers and name not in reads:
                fail("CONFIGURATION.md:%d: says %s reads %s, but no config row of %s/ does"
                     % (n, svc, name, rtsrc.PROGRAMS[svc][1]))
        print("ok: %s: %d variables, all documented" % (rtsrc.PROGRAMS[svc][0], len(reads)))
    compose = yaml.safe_load(rtsrc.read(os.path.join(ROOT, "docker-compose.yml")))
    for svc, body in compose["services"].items():
        if svc in ("redis", "postgres"):
            continue  # the official images' own variables
        for name in (body.get("environment") or {}):
            if name not in rows:
                fail("docker-compose.yml sets %s for %s: no row in docs/CONFIGURATION.md" % (name, svc))
    # The deployment docs' relative links must lead somewhere.
    for doc in ("ARCHITECTURE.md", "CONFIGURATION.md", "OPERATIONS.md", "SCALING.md"):
        text = rtsrc.read(os.path.join(ROOT, "docs", doc))
        for target in re.findall(r'\]\(([^)#:\s]+)(?:#[^)]*)?\)', text):
            if not os.path.exists(os.path.join(ROOT, "docs", target)):
                fail("docs/%s links to %s, which does not exist" % (doc, target))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("configuration reference checks passed (%d rows)" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""docs/openapi.yaml against the routes the services really register.

usage: test_openapi.py SOURCE_DIR [BUILD_DIR]

For every service present in the tree (its folder builds its binary), the set of (method, path)
under /api/<service>/ in docs/openapi.yaml must equal the routes its sources register with
rt_http_server_route, plus GET /health and GET /metrics that common/src/http.c registers on
every server. A route missing from either side fails, and so does a registration this reader
cannot follow. Services not in the tree yet are reported as not checked. The document itself:
OpenAPI 3, unique operationIds, every $ref resolves, every {param} of a path declared.
"""
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtsrc  # noqa: E402

ROOT = os.path.abspath(sys.argv[1])
SERVICES = ["portfolio", "trader", "analyzer"]
METHODS = ["get", "put", "post", "delete", "patch", "head", "options"]
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                out.append(v)
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)
    return out


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return False
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check_document(doc):
    if not str(doc.get("openapi", "")).startswith("3."):
        fail("openapi: %r, expected 3.x" % doc.get("openapi"))
    ids = {}
    for path, item in doc.get("paths", {}).items():
        declared = set(p.get("name") for p in item.get("parameters", []) if p.get("in") == "path")
        for m in METHODS:
            op = item.get(m)
            if op is None:
                continue
            oid = op.get("operationId")
            if not oid:
                fail("%s %s: no operationId" % (m.upper(), path))
            elif oid in ids:
                fail("operationId %s used by %s and %s %s" % (oid, ids[oid], m.upper(), path))
            else:
                ids[oid] = "%s %s" % (m.upper(), path)
            if not op.get("responses"):
                fail("%s %s: no responses" % (m.upper(), path))
            mine = declared | set(p.get("name") for p in op.get("parameters", []) if p.get("in") == "path")
            for name in re.findall(r'\{([^}]+)\}', path):
                if name not in mine:
                    fail("%s %s: path parameter {%s} not declared" % (m.upper(), path, name))
    for r in refs(doc, []):
        if not resolve(doc, r):
            fail("$ref %s does not resolve" % r)


def documented(doc):
    """{service: {(METHOD, path without the /api/<service> prefix)}}."""
    out = {s: set() for s in SERVICES}
    for path, item in doc.get("paths", {}).items():
        m = re.match(r'^/api/([a-z]+)(/.*)$', path)
        if not m or m.group(1) not in out:
            fail("path %s is not under /api/portfolio|trader|analyzer/" % path)
            continue
        for meth in METHODS:
            if meth in item:
                out[m.group(1)].add((meth.upper(), m.group(2)))
    return out


def main():
    doc = yaml.safe_load(rtsrc.read(os.path.join(ROOT, "docs", "openapi.yaml")))
    check_document(doc)
    docs = documented(doc)
    common, problems = rtsrc.routes(ROOT, os.path.join("common", "src"), only_literal=True)
    for p in problems:
        fail(p)
    if not {("GET", "/health"), ("GET", "/metrics")} <= common:
        fail("common/src/http.c no longer registers GET /health and GET /metrics: %s" % sorted(common))
    for svc in SERVICES:
        binary, folder, _ = rtsrc.PROGRAMS[svc]
        if not rtsrc.builds_binary(ROOT, folder, binary):
            print("note: %s is not in this tree yet: its %d documented routes are not checked"
                  % (binary, len(docs[svc])))
            continue
        registered, problems = rtsrc.routes(ROOT, folder)
        for p in problems:
            fail(p)
        registered |= common
        for meth, path in sorted(registered - docs[svc]):
            fail("%s registers %s %s, missing from docs/openapi.yaml (/api/%s%s)" % (binary, meth, path, svc, path))
        for meth, path in sorted(docs[svc] - registered):
            fail("docs/openapi.yaml has %s /api/%s%s, which %s does not register" % (meth, svc, path, binary))
        if not (registered ^ docs[svc]):
            print("ok: %s: %d routes, all documented" % (binary, len(registered)))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("openapi checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""docker-compose.yml and docker/*.Dockerfile, checked without a Docker engine.

usage: test_compose.py SOURCE_DIR BUILD_DIR

1. `docker-compose config` (Debian's docker-compose) accepts the file with a .env made from
   .env.example, and the resolved file has every service of the design, each with its
   healthcheck, restart policy, depends_on conditions and every .env variable.
2. Services, ports and variables match the programs: the binaries and port variables of ./rt's
   service table; for every program present in this tree, each `environment:` override is a
   variable its config table reads, and the hosts it reads (REDIS_HOST, PGHOST, its bind
   address, the exchange URLs) are overridden for the containers.
3. Each Dockerfile: multi-stage from debian:bookworm-slim, non-root user, curl /health
   healthcheck for services, the binary it copies is the one it runs; the build stage installs
   the build half of ./rt's RT_DEB_PACKAGES and runs the same cmake commands as `./rt build`
   (both are run with a recording cmake and compared); the runtime stage's libraries are
   exactly the packages that own what the built binaries link against (readelf + dpkg -S).
4. The frontend's nginx template (when frontend/ is in the tree) renders for the containers.
Programs not yet in this tree are described by the design's contract and reported as skipped.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtsrc  # noqa: E402

ROOT, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
FAILS = []
NOTES = []

SERVICES = ["redis", "postgres", "migrate", "sim", "gateway", "analyzer", "trader", "portfolio",
            "frontend", "backtest"]
LONG_RUNNING = ["redis", "postgres", "sim", "gateway", "analyzer", "trader", "portfolio", "frontend"]
RUNTIME_PKGS = {"libhiredis0.14", "libpq5", "libjansson4", "libwebsockets17", "libcurl4",
                "libssl3", "libmicrohttpd12"}
RUNTIME_EXTRA = {"ca-certificates", "curl"}  # healthcheck, TLS to the real exchange
BASE_PKGS = {"libc6", "libgcc-s1"}  # in debian:bookworm-slim already
# Container host names: which variable each program must have overridden, and to what.
HOST_OVERRIDES = {"REDIS_HOST": "redis", "PGHOST": "postgres"}
BIND_SUFFIXES = ("_BIND",)


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def env_with_secrets():
    """.env.example with the generated values filled in, as ./rt up would."""
    lines = []
    for raw in rtsrc.read(os.path.join(ROOT, ".env.example")).splitlines():
        m = re.match(r'^([A-Z_]+)=$', raw)
        lines.append(raw + ("0123456789abcdef0123456789abcdef" if m else ""))
    return "\n".join(lines) + "\n"


def compose_config(tmp):
    with open(os.path.join(tmp, ".env"), "w") as f:
        f.write(env_with_secrets())
    r = subprocess.run(["docker-compose", "-f", os.path.join(ROOT, "docker-compose.yml"),
                        "--project-directory", tmp, "config"],
                       capture_output=True, text=True, timeout=120)
    if not check(r.returncode == 0, "docker-compose config failed:\n" + r.stderr):
        return None
    if r.stderr.strip():
        fail("docker-compose config warns:\n" + r.stderr)
    return yaml.safe_load(r.stdout)


# --- 1. the compose file as docker-compose reads it ---------------------------------------------
def check_compose(resolved, raw):
    svcs = resolved.get("services", {})
    check(sorted(svcs) == sorted(SERVICES),
          "compose services %s, expected %s" % (sorted(svcs), sorted(SERVICES)))
    envx = dict((n, v) for n, v, _ in rtsrc.env_example(ROOT))
    for name in SERVICES:
        s = svcs.get(name)
        if s is None:
            continue
        if name in LONG_RUNNING:
            check(s.get("restart") == "unless-stopped",
                  "%s: restart is %r, expected unless-stopped" % (name, s.get("restart")))
            check("healthcheck" in s and s["healthcheck"].get("test"),
                  "%s: no healthcheck" % name)
        else:
            check(s.get("restart") == "no", "%s: a one-shot must not restart" % name)
        for dep, cond in (s.get("depends_on") or {}).items():
            want = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            check(cond.get("condition") == want,
                  "%s depends on %s with %r, expected %s" % (name, dep, cond, want))
        if name in rtsrc.PROGRAMS or name == "frontend":
            env = s.get("environment") or {}
            missing = [k for k in envx if k not in env]
            check(not missing, "%s: .env variables not passed (env_file .env?): %s" % (name, missing))
            check(raw["services"][name].get("env_file", raw.get("x-service", {}).get("env_file")) == ".env"
                  or raw["services"][name].get("<<") is not None,
                  "%s: env_file is not .env" % name)
    # Who needs whom: the database users wait for the migrations, everyone for its servers.
    needs = {"migrate": ["postgres"], "gateway": ["redis", "sim"], "analyzer": ["redis", "sim"],
             "trader": ["redis", "postgres", "migrate"], "portfolio": ["redis", "postgres", "migrate"],
             "frontend": ["portfolio", "trader", "analyzer"]}
    for name, deps in needs.items():
        have = set((svcs.get(name, {}).get("depends_on") or {}))
        check(set(deps) <= have, "%s must depend on %s (has %s)" % (name, deps, sorted(have)))
    dash = envx.get("DASHBOARD_PORT", "3000")
    fpub = published(svcs.get("frontend", {}))
    check(("127.0.0.1", dash, dash) in fpub,
          "frontend: expected 127.0.0.1:${DASHBOARD_PORT}:${DASHBOARD_PORT} (%s), got %s" % (dash, fpub))
    check("pg-data" in (resolved.get("volumes") or {}), "postgres has no named volume pg-data")
    pgvols = [v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
              for v in svcs.get("postgres", {}).get("volumes", [])]
    check("pg-data" in pgvols, "postgres does not mount pg-data (%s)" % pgvols)


# --- 2. services, ports and variables against the programs ---------------------------------------
def published(svc):
    out = []
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            out.append((str(p.get("host_ip", "")), str(p.get("published")), str(p.get("target"))))
        else:
            f = str(p).split("/")[0].split(":")
            out.append((f[0], f[1], f[2]) if len(f) == 3 else ("", f[0], f[-1]))
    return out


def dockerfile_of(raw, name):
    b = raw["services"][name].get("build") or {}
    return os.path.join(ROOT, b.get("dockerfile", "")) if b.get("context") == "." else None


def check_programs(resolved, raw):
    envx = dict((n, v) for n, v, _ in rtsrc.env_example(ROOT))
    table = rtsrc.rt_service_table(ROOT)
    for binary, portvar in table.items():
        svc = [n for n, p in rtsrc.PROGRAMS.items() if p[0] == binary]
        check(svc and rtsrc.PROGRAMS[svc[0]][2] == portvar,
              "./rt runs %s on %s; the compose test expects %s" % (binary, portvar, svc))
    for name, (binary, folder, portvar) in rtsrc.PROGRAMS.items():
        s = resolved["services"].get(name)
        rs = raw["services"].get(name)
        if s is None:
            continue
        df = dockerfile_of(raw, name)
        if check(df and os.path.exists(df), "%s: build.dockerfile missing or context not '.'" % name):
            ep = re.search(r'^ENTRYPOINT\s+\["([^"]+)"', rtsrc.read(df), re.M)
            check(ep and os.path.basename(ep.group(1)) == binary,
                  "%s: %s runs %s, expected %s" % (name, df, ep and ep.group(1), binary))
        overrides = dict(rs.get("environment") or {})
        env = s.get("environment") or {}
        if portvar:
            check(portvar in envx, "%s not in .env.example" % portvar)
            inner = str(env.get(portvar))
            pubs = published(s)
            check(any(h == "127.0.0.1" and p == envx.get(portvar) and t == inner for h, p, t in pubs),
                  "%s: expected 127.0.0.1:${%s}:%s published, got %s" % (name, portvar, inner, pubs))
            test = " ".join(s.get("healthcheck", {}).get("test", []))
            check("curl" in test and "127.0.0.1:%s/health" % inner in test,
                  "%s: healthcheck %r does not curl 127.0.0.1:%s/health" % (name, test, inner))
            binds = [k for k, v in overrides.items() if v == "0.0.0.0"]
            check(len(binds) == 1, "%s: expected one bind-address override to 0.0.0.0, got %s" % (name, binds))
        present, reads = rtsrc.config_vars(ROOT, name)
        if not present:
            NOTES.append("%s (%s) is not in this tree yet: its compose entry follows the design "
                         "(variables not checked against a config table)" % (name, binary))
            continue
        before = len(FAILS)
        for k in overrides:
            check(k in reads, "%s: compose sets %s, which %s does not read (config tables under %s/)"
                  % (name, k, binary, folder))
        for k, host in HOST_OVERRIDES.items():
            if k in reads:
                check(overrides.get(k) == host, "%s reads %s: compose must set it to %s" % (binary, k, host))
        for k in ("EXCHANGE_WS_URL", "EXCHANGE_REST_URL"):
            if k in reads:
                check(str(overrides.get(k, "")).find("sim:") >= 0,
                      "%s reads %s: compose must point it at the sim service" % (binary, k))
        if portvar:
            check(portvar in reads, "%s does not read its port variable %s" % (binary, portvar))
            bind = [k for k in reads if k.endswith(BIND_SUFFIXES) and k not in HOST_OVERRIDES]
            if check(bind, "%s has no bind-address variable (*_BIND): inside a container "
                     "it must listen on 0.0.0.0" % binary):
                check(any(overrides.get(k) == "0.0.0.0" for k in bind),
                      "%s binds with %s: compose must set it to 0.0.0.0" % (binary, bind))
        if len(FAILS) == before:
            print("ok: %s: %d variables read, overrides %s" % (binary, len(reads), sorted(overrides)))


# --- 3. Dockerfiles ------------------------------------------------------------------------------
def stages(text):
    """[(from line, [instruction lines])], continuation lines joined."""
    text = re.sub(r'\\\n', ' ', text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def apt_installs(lines):
    pkgs = []
    for ln in lines:
        if ln.upper().startswith("RUN ") and "apt-get install" in ln:
            seg = ln.split("apt-get install", 1)[1].split("&&")[0]
            pkgs += [w for w in shlex.split(seg) if not w.startswith("-")]
    return pkgs


def record_cmake(tmp, args, cwd, extra_env):
    """Runs args with a cmake on PATH that records its arguments; returns the records."""
    shim = os.path.join(tmp, "shim")
    os.makedirs(shim, exist_ok=True)
    log = os.path.join(tmp, "cmake.log")
    with open(os.path.join(shim, "cmake"), "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\n' % log)
    os.chmod(os.path.join(shim, "cmake"), 0o755)
    # ./rt build installs missing packages first: never from a test (./rt test installed them).
    for tool in ("apt-get", "sudo"):
        with open(os.path.join(shim, tool), "w") as f:
            f.write('#!/bin/sh\necho "test_compose: refusing to run %s $*: install what ./rt needs first" >&2\nexit 1\n' % tool)
        os.chmod(os.path.join(shim, tool), 0o755)
    if os.path.exists(log):
        os.remove(log)
    env = dict(os.environ, PATH=shim + ":" + os.environ["PATH"], RT_JOBS="2", **extra_env)
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("%s exited %d:\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
    return rtsrc.read(log).splitlines() if os.path.exists(log) else []


def check_dockerfiles(tmp, raw):
    deb = rtsrc.rt_deb_packages(ROOT)
    # libclang-rt-14-dev is libFuzzer for `./rt fuzz` (with clang): the images do not fuzz
    build_half = [p for p in deb if (p in ("build-essential", "cmake", "pkg-config") or
                                     p.endswith("-dev")) and p != "libclang-rt-14-dev"]
    rt_build = record_cmake(tmp, [os.path.join(ROOT, "rt"), "build"], ROOT, {})
    rt_build = [ln.replace(ROOT, "ROOT") for ln in rt_build]
    check(len(rt_build) == 2, "./rt build ran cmake %d times: %s" % (len(rt_build), rt_build))
    names = sorted(f for f in os.listdir(os.path.join(ROOT, "docker")) if f.endswith(".Dockerfile"))
    for fn in names:
        path = os.path.join(ROOT, "docker", fn)
        st = stages(rtsrc.read(path))
        tag = "docker/" + fn
        check(len(st) >= 2 and all(re.match(r'FROM debian:bookworm-slim AS \w+$', f) for f, _ in st),
              "%s: stages must all be FROM debian:bookworm-slim AS name: %s" % (tag, [f for f, _ in st]))
        if not st:
            continue
        final = st[-1][1]
        users = [ln.split()[1] for ln in final if ln.upper().startswith("USER ")]
        check(users and users[-1] not in ("root", "0"), "%s: runtime stage must end as a non-root USER" % tag)
        if fn == "frontend.Dockerfile":
            check(set(apt_installs(final)) == {"nginx-light", "curl"},
                  "%s: runtime packages %s" % (tag, apt_installs(final)))
            continue
        ep = re.search(r'ENTRYPOINT \["/usr/local/bin/([^"]+)"\]', " ".join(final))
        binary = ep.group(1) if ep else "?"
        check(any(("COPY --from=build /src/build/bin/%s " % binary) in ln for ln in final),
              "%s: runtime stage must COPY --from=build /src/build/bin/%s" % (tag, binary))
        service = [n for n, p in rtsrc.PROGRAMS.items() if p[0] == binary]
        portvar = rtsrc.PROGRAMS[service[0]][2] if service else None
        hc = [ln for ln in final if ln.upper().startswith("HEALTHCHECK")]
        if portvar:
            check(hc and "curl" in hc[0] and "${%s" % portvar in hc[0] and "/health" in hc[0],
                  "%s: HEALTHCHECK must curl /health on ${%s}: %s" % (tag, portvar, hc))
        check(set(apt_installs(final)) == RUNTIME_PKGS | RUNTIME_EXTRA,
              "%s: runtime packages %s, expected %s" % (tag, sorted(apt_installs(final)),
                                                        sorted(RUNTIME_PKGS | RUNTIME_EXTRA)))
        b = st[0][1]
        check(apt_installs(b) == build_half,
              "%s: build packages %s, expected ./rt's build half %s" % (tag, apt_installs(b), build_half))
        # The build stage's cmake commands, run as the shell would run them, /src -> ROOT.
        # Only RUN steps made of cmake commands alone (never the apt-get step, which names the
        # cmake package: that one must not run on this machine).
        cmds = [ln[4:] for ln in b if ln.upper().startswith("RUN ") and
                all(c.strip().startswith("cmake ") for c in ln[4:].split("&&"))]
        script = "set -e\n" + "\n".join(c.replace("/src", ROOT) for c in cmds) + "\n"
        got = record_cmake(tmp, ["sh", "-c", script], ROOT, {})
        got = [ln.replace(ROOT, "ROOT") for ln in got]
        check(got == rt_build, "%s: build stage runs cmake as\n  %s\n./rt build runs\n  %s"
              % (tag, "\n  ".join(got), "\n  ".join(rt_build)))
        check_runtime_libs(tag, binary)


def owner_package(lib_path):
    r = subprocess.run(["dpkg", "-S", lib_path], capture_output=True, text=True)
    if r.returncode != 0:
        real = os.path.realpath(lib_path)
        r = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
    return r.stdout.split(":")[0].strip() if r.returncode == 0 else None


def check_runtime_libs(tag, binary):
    exe = os.path.join(BUILD, "bin", binary)
    if not os.path.exists(exe):
        NOTES.append("%s: %s not built in this tree: its libraries not checked" % (tag, binary))
        return
    needed = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]',
                        subprocess.run(["readelf", "-d", exe], capture_output=True, text=True).stdout)
    if any(so.startswith(("libasan", "libubsan")) for so in needed):
        # The sanitizer runtime links more (its own dependencies, no --as-needed effect): the
        # images are built without it, so only the plain build tells what they need.
        NOTES.append("%s: %s is a sanitized build: its libraries are checked in the plain build"
                     % (tag, binary))
        return
    ldd = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    where = dict(re.findall(r'^\s*(\S+) => (\S+)', ldd, re.M))
    pkgs = set()
    for so in needed:
        pkg = owner_package(where.get(so, so))
        if not check(pkg, "%s: %s needs %s, owned by no package" % (tag, binary, so)):
            continue
        pkgs.add(pkg.split(":")[0])
    extra = pkgs - RUNTIME_PKGS - BASE_PKGS
    check(not extra, "%s: %s links libraries of %s, missing from the runtime stage" % (tag, binary, sorted(extra)))
    print("ok: %s: %s needs %s" % (tag, binary, sorted(pkgs)))


# --- 4. the frontend's nginx configuration, rendered for the containers --------------------------
def check_frontend(tmp):
    src = os.path.join(ROOT, "frontend", "nginx.conf.in")
    if not os.path.exists(src):
        src = os.path.join(ROOT, "frontend", "nginx.conf")
    if not os.path.exists(src):
        NOTES.append("frontend/nginx.conf.in is not in this tree yet: the render check is skipped")
        return
    out = os.path.join(tmp, "nginx.conf")
    r = subprocess.run(["sh", os.path.join(ROOT, "docker", "frontend-entrypoint.sh"), "--render-only", src, out],
                       capture_output=True, text=True, timeout=30)
    if not check(r.returncode == 0, "frontend-entrypoint.sh cannot render %s: %s" % (src, r.stderr)):
        return
    text = rtsrc.read(out)
    check("127.0.0.1" not in text, "rendered nginx.conf still names 127.0.0.1 (unreachable between containers)")
    for svc in ("portfolio", "trader", "analyzer"):
        check("http://%s:" % svc in text, "rendered nginx.conf does not proxy to %s" % svc)
    check(re.search(r'listen 3000;', text), "rendered nginx.conf does not listen on 3000 (all addresses)")
    # nginx -t on the same render with the upstreams on 127.0.0.1 (the containers' names do not
    # resolve here) and the state folder in tmp: the syntax and the directives must hold.
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not check(nginx, "nginx not found (nginx-light is in RT_DEB_PACKAGES)"):
        return
    var = os.path.join(tmp, "nginx-var")
    for d in ("log", "run", "nginx"):
        os.makedirs(os.path.join(var, d), exist_ok=True)
    local = os.path.join(tmp, "nginx-local.conf")
    env = dict(os.environ, RT_NGINX_VAR=var, RT_FRONTEND_DIR=os.path.join(ROOT, "frontend"),
               PORTFOLIO_UPSTREAM="127.0.0.1", TRADER_UPSTREAM="127.0.0.1", ANALYZER_UPSTREAM="127.0.0.1")
    r = subprocess.run(["sh", os.path.join(ROOT, "docker", "frontend-entrypoint.sh"), "--render-only", src, local],
                       env=env, capture_output=True, text=True, timeout=30)
    if check(r.returncode == 0, "render for nginx -t failed: " + r.stderr):
        r = subprocess.run([nginx, "-t", "-c", local, "-e", os.path.join(var, "log", "error.log")],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "nginx -t refuses the rendered configuration:\n" + r.stdout + r.stderr)
    print("ok: %s renders for the containers (nginx -t)" % os.path.relpath(src, ROOT))


def main():
    with tempfile.TemporaryDirectory(prefix="rt-compose.") as tmp:
        raw = yaml.safe_load(rtsrc.read(os.path.join(ROOT, "docker-compose.yml")))
        resolved = compose_config(tmp)
        if resolved:
            check_compose(resolved, raw)
            check_programs(resolved, raw)
        check_dockerfiles(tmp, raw)
        check_frontend(tmp)
        check(os.path.exists(os.path.join(ROOT, ".dockerignore")) and
              ".env" in rtsrc.read(os.path.join(ROOT, ".dockerignore")).split(),
              ".dockerignore must keep .env (secrets) out of the build context")
    for n in NOTES:
        print("note: " + n)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("all compose checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the sources say, for the compose and docs tests: the programs (./rt's service table and
the design), the variables each program reads (the {"NAME", RT_CONFIG_...} rows of its config
tables), the routes each service registers (rt_http_server_route calls), .env.example."""
import os
import re

# compose service -> (binary, source folder, port variable or None). The binaries, folders and
# port variables are ARCHITECTURE.md section 3 and ./rt's RT_SERVICE_TABLE (checked below).
PROGRAMS = {
    "sim": ("rt-exchange-sim", "sim", "SIM_PORT"),
    "gateway": ("rt-gateway", "gateway", "GATEWAY_PORT"),
    "analyzer": ("rt-analyzer", "analyzer", "ANALYZER_PORT"),
    "trader": ("rt-trader", "trader", "TRADER_PORT"),
    "portfolio": ("rt-portfolio", "portfolio", "PORTFOLIO_PORT"),
    "migrate": ("rt-migrate", "db", None),
    "backtest": ("rt-backtest", "backtest", None),
}

# rt-migrate takes its connection from libpq's environment, not from a config table.
LIBPQ_VARS = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]

ROW_RE = re.compile(r'\{\s*"([A-Z_][A-Z0-9_]*)"\s*,\s*RT_CONFIG_(STRING|INT|DOUBLE|MONEY|BOOL|ENUM|LIST|URL|PORT)\b'
                    r'(?:\s*,\s*(NULL|"(?:[^"\\]|\\.)*"))?')
STR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def c_sources(root, folder):
    """Every .c file under root/folder, sorted (empty when the folder does not exist)."""
    out = []
    base = os.path.join(root, folder)
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if x not in ("node_modules", "build"))
        out += [os.path.join(d, f) for f in sorted(files) if f.endswith(".c")]
    return out


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r'//[^\n]*', "", text)


def builds_binary(root, folder, binary):
    """True when folder/CMakeLists.txt declares add_executable(binary ...)."""
    p = os.path.join(root, folder, "CMakeLists.txt")
    if not os.path.exists(p):
        return False
    return re.search(r'add_executable\s*\(\s*' + re.escape(binary) + r'\b', read(p)) is not None


def config_vars(root, service):
    """(present, {name: (file, line, default)}) of the variables the service's program reads
    (default: the row's default text, None when required or not literal). present is False
    while the program is not in this tree (no add_executable of its binary)."""
    binary, folder, _ = PROGRAMS[service]
    if not builds_binary(root, folder, binary):
        return False, {}
    if service == "migrate":
        return True, {v: ("libpq environment", 0, None) for v in LIBPQ_VARS}
    found = {}
    for path in c_sources(root, folder):
        text = strip_comments(read(path))
        for m in ADHOC_RE.finditer(text):  # rt_config_get(cfg, "NAME", ...) and getenv("NAME")
            line = text.count("\n", 0, m.start()) + 1
            found.setdefault(m.group(1), (os.path.relpath(path, root), line, None))
        for m in ROW_RE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            d = m.group(3)[1:-1] if m.group(3) and m.group(3) != "NULL" else None
            found.setdefault(m.group(1), (os.path.relpath(path, root), line, d))
    return True, found


ADHOC_RE = re.compile(r'(?:rt_config_get\s*\([^,()]*,|getenv\s*\()\s*"([A-Z_][A-Z0-9_]*)"')
PARAM_RE = re.compile(r'\{\s*"([A-Z_][A-Z0-9_]*)"\s*,\s*AN_PARAM_[A-Z]+\b')


def strategy_params(root):
    """{name: (file, line)} of the strategy parameters (AN_PARAM rows under analyzer/), which
    rt-analyzer reads from the environment and .env through its strategy registry."""
    found = {}
    for path in c_sources(root, "analyzer"):
        text = strip_comments(read(path))
        for m in PARAM_RE.finditer(text):
            found.setdefault(m.group(1), (os.path.relpath(path, root), text.count("\n", 0, m.start()) + 1))
    return found


def env_example(root):
    """[(name, value, comment lines above it)] of .env.example, in order."""
    out, comment, after_var = [], [], False
    for raw in read(os.path.join(root, ".env.example")).splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if after_var:
                comment, after_var = [], False
            comment.append(line.lstrip("#").strip())
        elif not line:
            comment, after_var = [], False
        else:
            m = re.match(r'(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$', line)
            if m:  # a variable right below another shares its comment
                out.append((m.group(1), m.group(2).strip(), comment))
            after_var = True
    return out


def rt_service_table(root):
    """{binary: port variable} of the programs in ./rt's RT_SERVICE_TABLE."""
    text = read(os.path.join(root, "rt"))
    m = re.search(r'RT_SERVICE_TABLE=\((.*?)\n\)', text, re.S)
    out = {}
    for row in re.findall(r'"([^"]*)"', m.group(1) if m else ""):
        f = row.split("|")
        if len(f) >= 3 and f[0].startswith("rt-"):
            out[f[0]] = f[2]
    return out


def rt_deb_packages(root):
    text = read(os.path.join(root, "rt"))
    m = re.search(r'RT_DEB_PACKAGES=\((.*?)\n\)', text, re.S)
    pkgs = []
    for line in (m.group(1) if m else "").splitlines():
        pkgs += line.split("#", 1)[0].split()
    return pkgs


def _table_paths(text, array):
    """String literals that start with / in the initializer of `array[] = { ... };`."""
    m = re.search(r'\b' + re.escape(array) + r'\s*\[\s*\]\s*=\s*\{', text)
    if not m:
        return None
    end = text.find("};", m.end())
    return [s for s in STR_RE.findall(text[m.end():end]) if s.startswith("/")]


HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")


def _table_rows(text, array):
    """(METHOD, path) of the rows {"METHOD", "/path", ...} of `array[] = { ... };`."""
    m = re.search(r'\b' + re.escape(array) + r'\s*\[\s*\]\s*=\s*\{', text)
    if not m:
        return None
    end = text.find("};", m.end())
    return re.findall(r'\{\s*"(' + "|".join(HTTP_METHODS) + r')"\s*,\s*"(/[^"]*)"', text[m.end():end])


def _calls(text, name):
    """(offset, [argument texts]) of every call of name in text (balanced parentheses)."""
    for m in re.finditer(r'\b' + name + r'\s*\(', text):
        depth, i, start, args = 1, m.end(), m.end(), []
        while i < len(text) and depth:
            c = text[i]
            if c == '"':
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "," and depth == 1:
                args.append(text[start:i].strip())
                start = i + 1
            i += 1
        args.append(text[start:i - 1].strip())
        yield m.start(), args


def routes(root, folder, only_literal=False):
    """(routes, problems): {(METHOD, path)} that the sources under folder register with
    rt_http_server_route, either with literal arguments or from a table of paths
    (`tbl[i].path` with a literal method); problems lists calls this reader cannot follow.
    The function's own declaration and definition are skipped."""
    found, problems = set(), []
    for path in c_sources(root, folder):
        text = strip_comments(read(path))
        for off, args in _calls(text, "rt_http_server_route"):
            if any("const char" in a or "rt_http_server_t" in a for a in args):
                continue  # the prototype or the definition
            where = "%s:%d" % (os.path.relpath(path, root), text.count("\n", 0, off) + 1)
            if len(args) < 3:
                problems.append(where + ": cannot read this call")
                continue
            method = STR_RE.fullmatch(args[1])
            lit = STR_RE.fullmatch(args[2])
            if method and lit:
                found.add((method.group(1), lit.group(1)))
                continue
            if only_literal:
                continue
            tm = re.fullmatch(r'(\w+)\s*\[\s*\w+\s*\]\s*\.\s*\w+', args[2])
            mm = re.fullmatch(r'(\w+)\s*\[\s*\w+\s*\]\s*\.\s*\w+', args[1])
            rows = None
            if tm and method:  # literal method, paths from a table
                paths = _table_paths(text, tm.group(1))
                rows = [(method.group(1), p) for p in paths] if paths else None
            elif tm and mm and tm.group(1) == mm.group(1):  # {"METHOD", "/path", ...} rows
                rows = _table_rows(text, tm.group(1))
            if not rows:
                problems.append(where + ": cannot follow rt_http_server_route(%s)" % ", ".join(args[:3]))
                continue
            found.update(rows)
    return found, problems

/* rt-backtest: replays candles through the live cores, prints a summary, writes reports and
 * sweeps parameters. See docs/BACKTEST.md. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backtest/engine.h"
#include "backtest/fetch.h"
#include "backtest/report.h"
#include "backtest/sweep.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/time.h"

#define MAX_SETS 64

extern char **environ;

typedef struct {
    const char *data[BT_SYMBOLS_MAX];
    const char *symbol[BT_SYMBOLS_MAX];
    size_t ndata;
    const char *fetch[BT_SYMBOLS_MAX];
    size_t nfetch;
    const char *interval;
    const char *since, *until, *url;
    const char *exchange_info; /* a saved exchangeInfo reply */
    bool no_filters;
    const char *strategy;
    const char *sets[MAX_SETS]; /* NAME=VALUE */
    size_t nsets;
    const char *cash, *quantity, *risk, *fee_rate, *slippage_bps, *fill;
    const char *json_out; /* "-" for stdout */
    bool json;
    const char *trades, *report, *signals;
    bt_axis_t axes[BT_AXES_MAX];
    size_t naxes;
    const char *rank;
    unsigned threads;
    size_t top;
    bool quiet;
} cli_t;

typedef struct {
    bt_series_t series[BT_SYMBOLS_MAX];
    rt_candle_t *owned[BT_SYMBOLS_MAX];
    tr_filters_t filters[BT_SYMBOLS_MAX]; /* series[i].filters points here when loaded */
    size_t n;
    char url[256];             /* the exchange of --fetch */
    char filters_source[1100]; /* where the filters come from, for the reports */
} data_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: rt-backtest (--data FILE [--symbol NAME])... | (--fetch SYMBOL)... "
               "[options]\n"
               "  --data FILE            candle CSV (open_time_ms,open,high,low,close,volume)\n"
               "  --symbol NAME          symbol of the preceding --data (default: from the file "
               "name)\n"
               "  --fetch SYMBOL         fetch klines over REST (--url, default "
               "http://127.0.0.1:$SIM_PORT)\n"
               "  --interval I --since T --until T   for --fetch (T: ms or YYYY-MM-DD[THH:MM])\n"
               "  --exchange-info FILE   exchange filters (tick, step, notional) from a saved\n"
               "                         exchangeInfo reply; with --fetch they come from the\n"
               "                         same exchange; --no-filters: none (no rounding)\n"
               "  --strategy NAME        e.g. SimpleMA_Cross (--list-strategies)\n"
               "  --param NAME=VALUE     strategy parameter or trader setting (STOP_LOSS_PCT=3)\n"
               "  --cash N --quantity Q (fixed size) | --risk F (RISK_PER_TRADE, a fraction)\n"
               "  --fee-rate F --slippage-bps B\n"
               "  --fill close|next_open (default next_open)\n"
               "  --json                 one JSON object on stdout instead of the summary\n"
               "  --trades FILE.csv      every fill;  --report FILE.html  the HTML report\n"
               "  --signals FILE.csv     every signal and the risk manager's decision\n"
               "  --sweep NAME=FROM:TO:STEP (repeatable) --rank METRIC --top N --threads N\n"
               "  --quiet                no progress bar\n");
}

static void list_strategies(void)
{
    size_t n;
    const an_strategy_t *const *all = an_registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        printf("%s: %s\n", all[i]->name, all[i]->rule);
        for (size_t k = 0; k < all[i]->param_count; k++) {
            const an_param_def_t *d = &all[i]->params[k];
            char v[64], what[128];
            if (an_param_format(d, d->def, v, sizeof v) == 0)
                snprintf(v, sizeof v, "?");
            if (an_param_describe(d, what, sizeof what) == 0)
                what[0] = '\0';
            printf("  %-28s default %-8s %s (%s)\n", d->name, v, what, d->help);
        }
    }
    char names[512];
    if (bt_config_trader_names(names, sizeof names) > 0)
        printf("trader settings: %s\n", names);
}

/* Parses the command line into *cli. Returns 0, 1 when the program should exit 0 (help), or
 * RT_EINVAL after printing why. */
static int parse_args(int argc, char **argv, cli_t *cli)
{
    enum {
        O_DATA = 256,
        O_SYMBOL,
        O_FETCH,
        O_INTERVAL,
        O_SINCE,
        O_UNTIL,
        O_URL,
        O_EXINFO,
        O_NO_FILTERS,
        O_STRATEGY,
        O_PARAM,
        O_CASH,
        O_QTY,
        O_RISK,
        O_FEE,
        O_SLIP,
        O_FILL,
        O_JSON,
        O_TRADES,
        O_REPORT,
        O_SIGNALS,
        O_SWEEP,
        O_RANK,
        O_THREADS,
        O_TOP,
        O_QUIET,
        O_LIST,
        O_HELP
    };
    static const struct option opts[] = {
        {"data", required_argument, NULL, O_DATA},
        {"symbol", required_argument, NULL, O_SYMBOL},
        {"fetch", required_argument, NULL, O_FETCH},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"url", required_argument, NULL, O_URL},
        {"exchange-info", required_argument, NULL, O_EXINFO},
        {"no-filters", no_argument, NULL, O_NO_FILTERS},
        {"strategy", required_argument, NULL, O_STRATEGY},
        {"param", required_argument, NULL, O_PARAM},
        {"cash", required_argument, NULL, O_CASH},
        {"quantity", required_argument, NULL, O_QTY},
        {"risk", required_argument, NULL, O_RISK},
        {"fee-rate", required_argument, NULL, O_FEE},
        {"slippage-bps", required_argument, NULL, O_SLIP},
        {"fill", required_argument, NULL, O_FILL},
        {"json", no_argument, NULL, O_JSON},
        {"trades", required_argument, NULL, O_TRADES},
        {"report", required_argument, NULL, O_REPORT},
        {"signals", required_argument, NULL, O_SIGNALS},
        {"sweep", required_argument, NULL, O_SWEEP},
        {"rank", required_argument, NULL, O_RANK},
        {"threads", required_argument, NULL, O_THREADS},
        {"top", required_argument, NULL, O_TOP},
        {"quiet", no_argument, NULL, O_QUIET},
        {"list-strategies", no_argument, NULL, O_LIST},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof *cli);
    cli->top = 10;
    cli->rank = "sharpe";
    int c;
    char err[BT_ERR_CAP];
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        long long v;
        switch (c) {
        case O_DATA:
            if (cli->ndata == BT_SYMBOLS_MAX)
                goto too_many;
            cli->data[cli->ndata++] = optarg;
            break;
        case O_SYMBOL:
            if (cli->ndata == 0 || cli->symbol[cli->ndata - 1] != NULL) {
                fprintf(stderr, "rt-backtest: --symbol %s must follow its --data FILE\n", optarg);
                return RT_EINVAL;
            }
            cli->symbol[cli->ndata - 1] = optarg;
            break;
        case O_FETCH:
            if (cli->nfetch == BT_SYMBOLS_MAX)
                goto too_many;
            cli->fetch[cli->nfetch++] = optarg;
            break;
        case O_INTERVAL:
            cli->interval = optarg;
            break;
        case O_SINCE:
            cli->since = optarg;
            break;
        case O_UNTIL:
            cli->until = optarg;
            break;
        case O_URL:
            cli->url = optarg;
            break;
        case O_EXINFO:
            cli->exchange_info = optarg;
            break;
        case O_NO_FILTERS:
            cli->no_filters = true;
            break;
        case O_STRATEGY:
            cli->strategy = optarg;
            break;
        case O_PARAM:
            if (cli->nsets == MAX_SETS || strchr(optarg, '=') == NULL) {
                fprintf(stderr, "rt-backtest: --param %s: expected NAME=VALUE\n", optarg);
                return RT_EINVAL;
            }
            cli->sets[cli->nsets++] = optarg;
            break;
        case O_CASH:
            cli->cash = optarg;
            break;
        case O_QTY:
            cli->quantity = optarg;
            break;
        case O_RISK:
            cli->risk = optarg;
            break;
        case O_FEE:
            cli->fee_rate = optarg;
            break;
        case O_SLIP:
            cli->slippage_bps = optarg;
            break;
        case O_FILL:
            cli->fill = optarg;
            break;
        case O_JSON:
            cli->json = true;
            break;
        case O_TRADES:
            cli->trades = optarg;
            break;
        case O_REPORT:
            cli->report = optarg;
            break;
        case O_SIGNALS:
            cli->signals = optarg;
            break;
        case O_SWEEP:
            if (cli->naxes == BT_AXES_MAX) {
                fprintf(stderr, "rt-backtest: at most %d --sweep axes\n", BT_AXES_MAX);
                return RT_EINVAL;
            }
            if (bt_axis_parse(optarg, &cli->axes[cli->naxes], err, sizeof err) != RT_OK) {
                fprintf(stderr, "rt-backtest: %s\n", err);
                return RT_EINVAL;
            }
            cli->naxes++;
            break;
        case O_RANK:
            cli->rank = optarg;
            break;
        case O_THREADS:
        case O_TOP:
            errno = 0;
            v = strtoll(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < (c == O_TOP ? 1 : 0) ||
                v > 1000) {
                fprintf(stderr, "rt-backtest: --%s %s: an integer in %d..1000\n",
                        c == O_TOP ? "top" : "threads", optarg, c == O_TOP ? 1 : 0);
                return RT_EINVAL;
            }
            if (c == O_TOP)
                cli->top = (size_t)v;
            else
                cli->threads = (unsigned)v;
            break;
        case O_QUIET:
            cli->quiet = true;
            break;
        case O_LIST:
            list_strategies();
            return 1;
        case O_HELP:
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return RT_EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rt-backtest: unexpected argument %s\n", argv[optind]);
        return RT_EINVAL;
    }
    if (cli->naxes > 0 && (cli->trades || cli->report || cli->signals)) {
        fprintf(stderr, "rt-backtest: --trades, --report and --signals describe one run: run the "
                        "sweep's best point alone with them\n");
        return RT_EINVAL;
    }
    if (cli->exchange_info != NULL && cli->no_filters) {
        fprintf(stderr, "rt-backtest: --exchange-info and --no-filters exclude each other\n");
        return RT_EINVAL;
    }
    if (cli->ndata + cli->nfetch == 0) {
        fprintf(stderr, "rt-backtest: no candles: give --data FILE or --fetch SYMBOL\n");
        usage(stderr);
        return RT_EINVAL;
    }
    return RT_OK;
too_many:
    fprintf(stderr, "rt-backtest: at most %d symbols\n", BT_SYMBOLS_MAX);
    return RT_EINVAL;
}

/* The symbol from a file name like ../shared/data/btcusdt_1m_2023-03-01.csv: BTCUSDT. */
static int symbol_from_path(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = 0;
    while (base[n] != '\0' && isalnum((unsigned char)base[n]) && n + 1 < cap) {
        out[n] = (char)toupper((unsigned char)base[n]);
        n++;
    }
    out[n] = '\0';
    return n > 0 && n <= 20 ? RT_OK : RT_EINVAL;
}

/* A symbol is 1..20 upper-case letters or digits (it reaches file names, HTML and URLs). */
static bool symbol_ok(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= 20 || !((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
            return false;
    return n > 0;
}

static int add_series(data_t *d, const char *symbol, rt_candle_t *candles, size_t count)
{
    bt_series_t *s = &d->series[d->n];
    memset(s, 0, sizeof *s);
    d->owned[d->n] = candles;
    d->n++;
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->candles = candles;
    s->count = count;
    if (bt_split_symbol(symbol, s->base_asset, sizeof s->base_asset, s->quote_asset,
                        sizeof s->quote_asset) != RT_OK) {
        fprintf(stderr,
                "rt-backtest: %s: cannot tell its quote asset (known: USDT, USDC, FDUSD, "
                "BUSD, TUSD, USD, EUR, BTC, ETH, BNB)\n",
                symbol);
        return RT_EINVAL;
    }
    if (count == 0) {
        fprintf(stderr, "rt-backtest: %s: no candles\n", symbol);
        return RT_EINVAL;
    }
    return RT_OK;
}

/* rt-backtest-fetch, beside this program (see fetch_main.c: why --fetch is another program). */
static int fetch_helper_path(char *out, size_t cap)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return RT_EIO;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return RT_EIO;
    *slash = '\0';
    int k = snprintf(out, cap, "%s/rt-backtest-fetch", self);
    return k > 0 && (size_t)k < cap ? RT_OK : RT_ETOOBIG;
}

/* Starts rt-backtest-fetch with args (argv[0] is set here) and its stdout into a pipe:
 * *rfd is the pipe's read end (the caller closes it, then helper_wait). Returns 0, or RT_EIO
 * with the reason on stderr. */
static int helper_start(char **argv, pid_t *pid, int *rfd)
{
    static const char self_name[] = "rt-backtest-fetch";
    char path[PATH_MAX + 32];
    if (fetch_helper_path(path, sizeof path) != RT_OK) {
        fprintf(stderr, "rt-backtest: --fetch: cannot find %s beside me\n", self_name);
        return RT_EIO;
    }
    argv[0] = path;
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "rt-backtest: --fetch: cannot make a pipe\n");
        return RT_EIO;
    }
    /* neither end stays open in the helper but as its stdout */
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    int err = posix_spawn_file_actions_init(&fa);
    if (err == 0) {
        err = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        if (err == 0)
            err = posix_spawn(pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    argv[0] = NULL;
    close(fds[1]);
    if (err != 0) {
        close(fds[0]);
        char msg[128] = "unknown error";
        (void)strerror_r(err, msg, sizeof msg);
        fprintf(stderr, "rt-backtest: --fetch: cannot run %s: %s\n", path, msg);
        return RT_EIO;
    }
    *rfd = fds[0];
    return RT_OK;
}

/* Waits for the helper (its pipe closed first: a helper still writing gets EPIPE and ends).
 * Returns 0 when it succeeded, RT_EIO otherwise (it said why on stderr, or we do). */
static int helper_wait(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return RT_OK;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fprintf(stderr, "rt-backtest: --fetch: rt-backtest-fetch failed (status %d)\n", status);
    return RT_EIO;
}

/* The closed candles of symbol/interval in [since, until) from url, through rt-backtest-fetch:
 * it prints them as CSV into a pipe, read here as a file would be. Returns 0 with *out (caller
 * frees) and *count; on error the reason is on stderr (the helper's own, or ours). */
static int fetch_series(const char *url, const char *symbol, const char *interval, int64_t since,
                        int64_t until, rt_candle_t **out, size_t *count)
{
    char a_since[24], a_until[24];
    snprintf(a_since, sizeof a_since, "%lld", (long long)since);
    snprintf(a_until, sizeof a_until, "%lld", (long long)until);
    char *argv[] = {NULL,
                    (char *)(uintptr_t)url,
                    (char *)(uintptr_t)symbol,
                    (char *)(uintptr_t)interval,
                    a_since,
                    a_until,
                    NULL};
    pid_t pid = -1;
    int fd = -1;
    int rc = helper_start(argv, &pid, &fd);
    if (rc != RT_OK)
        return rc;
    rt_candle_t *c = NULL;
    size_t n = 0, line = 0;
    char why[512];
    why[0] = '\0';
    rc = rt_csv_candles_read_fd(fd, "the fetched klines", symbol, interval, &c, &n, &line, why,
                                sizeof why);
    close(fd);
    if (helper_wait(pid) != RT_OK) {
        free(rc == RT_OK ? c : NULL);
        return RT_EIO;
    }
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: --fetch %s: %s\n", symbol, why[0] ? why : rt_strerror(rc));
        return rc;
    }
    *out = c;
    *count = n;
    return RT_OK;
}

/* exchangeInfo of the n symbols from url, through rt-backtest-fetch (the exchange's JSON
 * through a pipe), parsed here. Returns as bt_fetch_exchange_info; the helper's errors are on
 * stderr already (why empty then). */
static int fetch_exchange_info(const char *url, const char *const *symbols, size_t n,
                               rt_exinfo_t *out, char *why, size_t cap)
{
    char *argv[3 + BT_SYMBOLS_MAX + 1];
    if (n == 0 || n > BT_SYMBOLS_MAX)
        return RT_EINVAL;
    argv[0] = NULL;
    argv[1] = (char *)(uintptr_t) "--exchange-info";
    argv[2] = (char *)(uintptr_t)url;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = (char *)(uintptr_t)symbols[i];
    argv[3 + n] = NULL;
    pid_t pid = -1;
    int fd = -1;
    int rc = helper_start(argv, &pid, &fd);
    if (rc != RT_OK)
        return rc;
    size_t len = 0, bcap = 1 << 16;
    char *buf = malloc(bcap + 1);
    rc = buf != NULL ? RT_OK : RT_ENOMEM;
    while (rc == RT_OK) {
        if (len == bcap) {
            char *g = bcap < RT_EXPARSE_MAX_INPUT ? realloc(buf, bcap * 2 + 1) : NULL;
            if (g == NULL) {
                rc = bcap < RT_EXPARSE_MAX_INPUT ? RT_ENOMEM : RT_ETOOBIG;
                break;
            }
            buf = g;
            bcap *= 2;
        }
        ssize_t got = read(fd, buf + len, bcap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got == 0 ? RT_OK : RT_EIO;
            break;
        }
        len += (size_t)got;
    }
    close(fd);
    if (helper_wait(pid) != RT_OK) {
        free(buf);
        why[0] = '\0';
        return RT_EIO;
    }
    if (rc != RT_OK)
        snprintf(why, cap, "exchangeInfo: reading %s's reply: %s", url, rt_strerror(rc));
    else {
        buf[len] = '\0';
        rc = bt_parse_exchange_info(buf, len, url, out, why, cap);
    }
    free(buf);
    return rc;
}

static int load_data(const cli_t *cli, data_t *d)
{
    char why[512], sym[RT_SYMBOL_CAP];
    if (cli->url != NULL) {
        snprintf(d->url, sizeof d->url, "%s", cli->url);
    } else {
        const char *port = getenv("SIM_PORT");
        snprintf(d->url, sizeof d->url, "http://127.0.0.1:%s", port && *port ? port : "9090");
    }
    for (size_t i = 0; i < cli->ndata; i++) {
        if (cli->symbol[i] != NULL)
            snprintf(sym, sizeof sym, "%s", cli->symbol[i]);
        else if (symbol_from_path(cli->data[i], sym, sizeof sym) != RT_OK) {
            fprintf(stderr, "rt-backtest: %s: give its --symbol\n", cli->data[i]);
            return RT_EINVAL;
        }
        rt_candle_t *c = NULL;
        size_t n = 0, line = 0;
        why[0] = '\0';
        int rc =
            rt_csv_candles_load(cli->data[i], sym, cli->interval, &c, &n, &line, why, sizeof why);
        if (rc != RT_OK) {
            fprintf(stderr, "rt-backtest: %s: %s\n", cli->data[i], why[0] ? why : rt_strerror(rc));
            return rc;
        }
        rc = add_series(d, sym, c, n);
        if (rc != RT_OK)
            return rc;
    }
    if (cli->nfetch == 0)
        return RT_OK;
    int64_t since = 0, until = 0;
    if (cli->interval == NULL || cli->since == NULL || bt_parse_time(cli->since, &since) != RT_OK ||
        (cli->until != NULL && bt_parse_time(cli->until, &until) != RT_OK)) {
        fprintf(stderr, "rt-backtest: --fetch needs --interval and --since (and --until): ms or "
                        "YYYY-MM-DD[THH:MM]\n");
        return RT_EINVAL;
    }
    if (cli->until == NULL)
        until = rt_time_now_ms();
    const char *url = d->url;
    for (size_t i = 0; i < cli->nfetch; i++) {
        if (!symbol_ok(cli->fetch[i])) {
            fprintf(stderr,
                    "rt-backtest: --fetch %s: a symbol is 1..20 upper-case letters or "
                    "digits\n",
                    cli->fetch[i]);
            return RT_EINVAL;
        }
        if (d->n == BT_SYMBOLS_MAX) {
            fprintf(stderr, "rt-backtest: at most %d symbols\n", BT_SYMBOLS_MAX);
            return RT_EINVAL;
        }
        rt_candle_t *c = NULL;
        size_t n = 0;
        int rc = fetch_series(url, cli->fetch[i], cli->interval, since, until, &c, &n);
        if (rc != RT_OK)
            return rc;
        rc = add_series(d, cli->fetch[i], c, n);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* The exchange filters of the run's symbols, as the trader has them (docs/BACKTEST.md):
 * --exchange-info FILE for every symbol; else, with --fetch, exchangeInfo from the same
 * exchange for the fetched symbols; else (or --no-filters) none. */
static int load_filters(const cli_t *cli, data_t *d)
{
    char why[1024];
    why[0] = '\0';
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    size_t first = 0; /* the series that take filters: [first, d->n) */
    int rc = RT_OK;
    if (cli->no_filters || (cli->exchange_info == NULL && cli->nfetch == 0)) {
        snprintf(d->filters_source, sizeof d->filters_source, "none");
        return RT_OK;
    }
    if (cli->exchange_info != NULL) {
        rc = bt_load_exchange_info(cli->exchange_info, &info, why, sizeof why);
        snprintf(d->filters_source, sizeof d->filters_source, "%s", cli->exchange_info);
    } else {
        first = cli->ndata; /* --data series come first (load_data) */
        const char *syms[BT_SYMBOLS_MAX];
        for (size_t i = first; i < d->n; i++)
            syms[i - first] = d->series[i].symbol;
        rc = fetch_exchange_info(d->url, syms, d->n - first, &info, why, sizeof why);
        if (rc != RT_OK && why[0] == '\0')
            return rc; /* rt-backtest-fetch said why */
        snprintf(d->filters_source, sizeof d->filters_source, "%s/api/v3/exchangeInfo", d->url);
    }
    for (size_t i = first; rc == RT_OK && i < d->n; i++) {
        rc = bt_filters_for(&info, d->series[i].symbol, &d->filters[i], why, sizeof why);
        if (rc == RT_OK)
            d->series[i].filters = &d->filters[i];
    }
    if (rc != RT_OK)
        fprintf(stderr, "rt-backtest: %s (--no-filters runs without them)\n",
                why[0] ? why : rt_strerror(rc));
    rt_exinfo_cleanup(&info);
    return rc;
}

static int set_one(bt_config_t *cfg, const char *name, const char *value)
{
    char err[BT_ERR_CAP];
    err[0] = '\0';
    int rc = bt_config_set(cfg, name, value, err, sizeof err);
    if (rc != RT_OK)
        fprintf(stderr, "rt-backtest: %s\n", err[0] ? err : rt_strerror(rc));
    return rc;
}

static int build_config(const cli_t *cli, bt_config_t *cfg)
{
    bt_config_default(cfg);
    if (cli->strategy != NULL) {
        const an_strategy_t *s = an_registry_find(cli->strategy);
        if (s == NULL) {
            size_t n;
            const an_strategy_t *const *all = an_registry_all(&n);
            char names[512];
            if (an_strategy_names(all, n, names, sizeof names) == 0)
                names[0] = '\0';
            fprintf(stderr, "rt-backtest: unknown strategy %s; valid: %s\n", cli->strategy, names);
            return RT_EINVAL;
        }
        cfg->strategy = s;
        an_params_defaults(&cfg->params, s);
    }
    if (cli->fill != NULL && bt_fill_model_parse(cli->fill, &cfg->fill_model) != RT_OK) {
        fprintf(stderr, "rt-backtest: --fill %s: close or next_open\n", cli->fill);
        return RT_EINVAL;
    }
    if (cli->cash != NULL && (rt_money_parse(cli->cash, &cfg->cash) != RT_OK || cfg->cash <= 0)) {
        fprintf(stderr, "rt-backtest: --cash %s: a positive decimal amount\n", cli->cash);
        return RT_EINVAL;
    }
    struct {
        const char *value, *name;
    } map[] = {
        {cli->quantity, "TRADE_QUANTITY"},
        {cli->quantity ? "0" : NULL, "RISK_PER_TRADE"}, /* a fixed size: no risk sizing */
        {cli->quantity ? "0" : NULL, "TRADE_QUOTE_QUANTITY"}, /* nor a fixed value */
        {cli->risk, "RISK_PER_TRADE"},
        {cli->fee_rate, "DEMO_FEE_RATE"},
        {cli->slippage_bps, "DEMO_SLIPPAGE_BPS"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].value != NULL && set_one(cfg, map[i].name, map[i].value) != RT_OK)
            return RT_EINVAL;
    for (size_t i = 0; i < cli->nsets; i++) {
        char name[128];
        const char *eq = strchr(cli->sets[i], '=');
        size_t n = (size_t)(eq - cli->sets[i]);
        if (n == 0 || n >= sizeof name) {
            fprintf(stderr, "rt-backtest: --param %s: expected NAME=VALUE\n", cli->sets[i]);
            return RT_EINVAL;
        }
        memcpy(name, cli->sets[i], n);
        name[n] = '\0';
        if (set_one(cfg, name, eq + 1) != RT_OK)
            return RT_EINVAL;
    }
    /* every swept name must be known: try its first value now, for a clear message */
    for (size_t k = 0; k < cli->naxes; k++) {
        bt_config_t probe = *cfg;
        char text[48];
        snprintf(text, sizeof text, "%.10g", cli->axes[k].from);
        char err[BT_ERR_CAP];
        err[0] = '\0';
        if (bt_config_set(&probe, cli->axes[k].name, text, err, sizeof err) == RT_ENOTFOUND) {
            fprintf(stderr, "rt-backtest: --sweep: %s\n", err);
            return RT_EINVAL;
        }
    }
    return RT_OK;
}

static int write_file(const char *path, const bt_report_ctx_t *ctx, const bt_result_t *r,
                      int (*fn)(FILE *, const bt_report_ctx_t *, const bt_result_t *))
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        char why[128];
        if (strerror_r(errno, why, sizeof why) != 0)
            snprintf(why, sizeof why, "error %d", errno);
        fprintf(stderr, "rt-backtest: cannot write %s: %s\n", path, why);
        return RT_EIO;
    }
    int rc = fn(f, ctx, r);
    if (fclose(f) != 0 && rc == RT_OK)
        rc = RT_EIO;
    if (rc != RT_OK)
        fprintf(stderr, "rt-backtest: writing %s: %s\n", path, rt_strerror(rc));
    return rc;
}

static int run_single(const cli_t *cli, bt_config_t *cfg, const data_t *d, int64_t t0)
{
    bt_result_t r;
    char err[BT_ERR_CAP];
    err[0] = '\0';
    cfg->record = cli->trades != NULL || cli->report != NULL || cli->signals != NULL;
    int rc = bt_run(cfg, d->series, d->n, &r, err, sizeof err);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: %s\n", err);
        return rc;
    }
    bt_report_ctx_t ctx = {cfg, d->series, d->n, rt_time_mono_ms() - t0, d->filters_source};
    if (cli->json)
        rc = bt_report_json(stdout, &ctx, &r);
    else
        rc = bt_report_summary(stdout, &ctx, &r);
    if (rc == RT_OK && cli->trades != NULL)
        rc = write_file(cli->trades, &ctx, &r, bt_report_trades_csv);
    if (rc == RT_OK && cli->report != NULL)
        rc = write_file(cli->report, &ctx, &r, bt_report_html);
    if (rc == RT_OK && cli->signals != NULL)
        rc = write_file(cli->signals, &ctx, &r, bt_report_signals_csv);
    bt_result_cleanup(&r);
    return rc;
}

static void progress_bar(void *ud, size_t done, size_t total)
{
    (void)ud;
    int width = 40;
    int fill = total ? (int)((double)done / (double)total * width) : width;
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%% %zu/%zu", total ? (int)(done * 100 / total) : 100, done, total);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int run_sweep(const cli_t *cli, const bt_config_t *cfg, const data_t *d, int64_t t0)
{
    bt_rank_t rank;
    if (bt_rank_parse(cli->rank, &rank) != RT_OK) {
        fprintf(stderr, "rt-backtest: --rank %s: one of %s\n", cli->rank, bt_rank_names());
        return RT_EINVAL;
    }
    bt_sweep_result_t sr;
    char err[BT_ERR_CAP];
    err[0] = '\0';
    bool bar = !cli->quiet && isatty(STDERR_FILENO);
    int rc = bt_sweep_run(cfg, cli->axes, cli->naxes, d->series, d->n, cli->threads, rank, cli->top,
                          bar ? progress_bar : NULL, NULL, &sr, err, sizeof err);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-backtest: %s\n", err[0] ? err : rt_strerror(rc));
        return rc;
    }
    int64_t elapsed = rt_time_mono_ms() - t0;
    if (cli->json) {
        printf("{\"strategy\":\"%s\",\"rank\":\"%s\",\"points\":%zu,\"ran\":%zu,\"invalid\":%zu,"
               "\"elapsed_ms\":%lld,\"top\":[",
               cfg->strategy->name, cli->rank, sr.total, sr.ran, sr.invalid, (long long)elapsed);
        for (size_t i = 0; i < sr.top_count; i++) {
            const bt_sweep_entry_t *e = &sr.top[i];
            bt_config_t one;
            if (bt_sweep_point(cfg, cli->axes, cli->naxes, e->index, &one, NULL, NULL, 0) != RT_OK)
                one = *cfg;
            bt_report_ctx_t ctx = {&one, d->series, d->n, -1, d->filters_source};
            printf("%s{\"index\":%zu,\"values\":{", i ? "," : "", e->index);
            for (size_t k = 0; k < cli->naxes; k++)
                printf("%s\"%s\":%.10g", k ? "," : "", cli->axes[k].name, e->values[k]);
            printf("},\"result\":");
            fflush(stdout);
            rc = bt_report_json(stdout, &ctx, &e->result);
            if (rc != RT_OK)
                break;
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("sweep  %s: %zu points, %zu ran, %zu refused by parameter rules, %lld ms, "
               "ranked by %s\n",
               cfg->strategy->name, sr.total, sr.ran, sr.invalid, (long long)elapsed, cli->rank);
        printf("%4s", "#");
        for (size_t k = 0; k < cli->naxes; k++)
            printf(" %14s", cli->axes[k].name);
        printf(" %10s %9s %8s %8s %7s %7s %14s\n", "return%", "maxdd%", "sharpe", "sortino", "pf",
               "trades", "final_equity");
        for (size_t i = 0; i < sr.top_count; i++) {
            const bt_sweep_entry_t *e = &sr.top[i];
            char fe[RT_MONEY_FMT_MAX];
            if (rt_money_format_fixed(e->result.final_equity, 2, RT_ROUND_NEAREST, fe, sizeof fe) ==
                0)
                snprintf(fe, sizeof fe, "?");
            printf("%4zu", i + 1);
            for (size_t k = 0; k < cli->naxes; k++)
                printf(" %14.10g", e->values[k]);
            printf(" %10.3f %9.3f %8.3f %8.3f %7.3f %7zu %14s\n", e->result.return_pct,
                   e->result.max_drawdown_pct, e->result.sharpe, e->result.sortino,
                   isinf(e->result.profit_factor) ? 999.0 : e->result.profit_factor,
                   e->result.closed_trades, fe);
        }
    }
    bt_sweep_result_cleanup(&sr);
    return rc;
}

int main(int argc, char **argv)
{
    int64_t t0 = rt_time_mono_ms();
    cli_t cli;
    data_t data;
    memset(&data, 0, sizeof data);
    int rc = parse_args(argc, argv, &cli);
    if (rc == 1)
        return 0;
    bt_config_t cfg;
    if (rc == RT_OK)
        rc = build_config(&cli, &cfg);
    if (rc == RT_OK)
        rc = load_data(&cli, &data);
    if (rc == RT_OK)
        rc = load_filters(&cli, &data);
    if (rc == RT_OK)
        rc = cli.naxes > 0 ? run_sweep(&cli, &cfg, &data, t0) : run_single(&cli, &cfg, &data, t0);
    for (size_t i = 0; i < data.n; i++)
        free(data.owned[i]);
    return rc == RT_OK ? 0 : 1;
}

/* Replay mode of rt-analyzer: candles from a CSV file through the engine, no Redis. */
#ifndef AN_REPLAY_H
#define AN_REPLAY_H

#include <stdio.h>

/** Runs `rt-analyzer --replay FILE.csv [--symbol S] [--interval I] [--strategies A,B]
 *  [--param NAME=VALUE ...] [--indicators]` (argv as main got it). Signals go to out as one
 *  JSON line each (the signal message format); with --indicators, a CSV of the reference
 *  indicators instead. Errors go to err. Returns the process exit status: 0, or 2 for bad
 *  arguments or input, 1 for a failure while running. */
int an_replay_main(int argc, char **argv, FILE *out, FILE *err);

#endif

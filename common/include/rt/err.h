/* Error codes of the whole project: 0 is success, a negative RT_E* value an error.
 * Codes are never renumbered (logs and metrics name them). */
#ifndef RT_ERR_H
#define RT_ERR_H

enum rt_err {
    RT_OK = 0,
    RT_EINVAL = -1,     /* invalid argument or malformed input */
    RT_ENOMEM = -2,     /* allocation failed */
    RT_ERANGE = -3,     /* value out of range, overflow */
    RT_EIO = -4,        /* I/O or system call failed */
    RT_ECONN = -5,      /* connection failed or lost */
    RT_ETIMEDOUT = -6,  /* deadline passed */
    RT_ENOTFOUND = -7,  /* no such thing */
    RT_EEXIST = -8,     /* already exists (duplicate) */
    RT_ETOOBIG = -9,    /* input larger than allowed */
    RT_EPROTO = -10,    /* peer broke the protocol (unexpected reply) */
    RT_EAUTH = -11,     /* authentication failed or missing */
    RT_EDB = -12,       /* database error */
    RT_EEXCHANGE = -13, /* the exchange returned an error ({code,msg}) */
    RT_ERATELIMIT = -14,/* rate limited (429/418): back off */
    RT_EUNKNOWN = -15,  /* outcome unknown (5xx from the exchange): look it up */
    RT_ESTATE = -16,    /* not allowed in the current state */
    RT_EAGAIN = -17,    /* nothing yet; try again */
};

/** Static text for an rt_err code (never NULL). */
const char *rt_strerror(int err);

#endif

#include "rt/err.h"

const char *rt_strerror(int err)
{
    switch (err) {
    case RT_OK: return "success";
    case RT_EINVAL: return "invalid input";
    case RT_ENOMEM: return "out of memory";
    case RT_ERANGE: return "out of range";
    case RT_EIO: return "I/O error";
    case RT_ECONN: return "connection error";
    case RT_ETIMEDOUT: return "timed out";
    case RT_ENOTFOUND: return "not found";
    case RT_EEXIST: return "already exists";
    case RT_ETOOBIG: return "too big";
    case RT_EPROTO: return "protocol error";
    case RT_EAUTH: return "authentication error";
    case RT_EDB: return "database error";
    case RT_EEXCHANGE: return "exchange error";
    case RT_ERATELIMIT: return "rate limited";
    case RT_EUNKNOWN: return "outcome unknown";
    case RT_ESTATE: return "not allowed in this state";
    case RT_EAGAIN: return "try again";
    default: return "unknown error";
    }
}

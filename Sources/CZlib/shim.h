// zlib (Debian: zlib1g-dev): gzopen/gzread inflate both gzip and plain files.
#ifndef RBM_CZLIB_SHIM_H
#define RBM_CZLIB_SHIM_H
#include <zlib.h>
#endif

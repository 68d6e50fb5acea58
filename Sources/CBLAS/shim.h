// CBLAS from OpenBLAS (Debian: libopenblas-dev). The header sits in the multiarch include
// folder, which clang searches by default on Debian.
#ifndef RBM_CBLAS_SHIM_H
#define RBM_CBLAS_SHIM_H
#include <cblas.h>
#endif

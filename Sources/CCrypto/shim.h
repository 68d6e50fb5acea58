// OpenSSL's libcrypto (Debian: libssl-dev): the SHA-256 of feature files' provenance.
#ifndef RBM_CCRYPTO_SHIM_H
#define RBM_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif

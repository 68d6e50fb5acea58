// The CPU's features, detected once (pthread_once) and read by every kernel that picks a path.
#include "cpu_features.h"

#include <pthread.h>

static int avx2 = 0, fma = 0, avx512 = 0;
static pthread_once_t detected = PTHREAD_ONCE_INIT;

static void detect(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    fma = __builtin_cpu_supports("fma") ? 1 : 0;
    avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? 1 : 0;
#endif
}

int rbm_cpu_avx2(void) {
    pthread_once(&detected, detect);
    return avx2;
}

int rbm_cpu_avx2_fma(void) {
    pthread_once(&detected, detect);
    return avx2 && fma;
}

int rbm_cpu_avx512(void) {
    pthread_once(&detected, detect);
    return avx512;
}

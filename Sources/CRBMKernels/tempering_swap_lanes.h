// The swap kernels' body, written once for any vector width (tempering_swap.c includes it for
// AVX2 + FMA, 8 floats, and for AVX-512, 16 floats; not for Swift). The includer defines:
//   VEC, COND            the float vector and a per-lane condition
//   LANES                floats per vector
//   NAME(x)              the function names of this width
//   RBM_LANES_TARGET     the target attribute (RBM_LANES_INLINE: the same, always inlined)
//   SET1, ZERO, ADD, SUB, MUL, FMADD(a, b, c) = a·b + c, FNMADD(a, b, c) = c − a·b, MAX,
//   LOADU, STOREU, ABS, NEG_ABS (−|x|), GREATER (a > b, ordered), SELECT(cond, then, else),
//   ONES_WHERE(cond) (1 where cond, else 0), REDUCE (the lanes' float sum),
//   EXP2_INT(n) (2^n for a vector of integers n held as floats' bits of n + 1.5·2²³).
//
// softplus(y) = max(y, 0) + log(1 + e^(−|y|)): e^z by the Cephes polynomial (relative error below
// 2·10⁻⁷), log z for z in (1, 2] by Cephes' logf polynomial after one halving (relative error
// below 2·10⁻⁷; the rounding of 1 + u costs at most 6·10⁻⁸ absolute).

// e^x for x ≤ 0 (clamped below at −87).
RBM_LANES_INLINE
static inline VEC NAME(exp_nonpositive)(VEC x) {
    x = MAX(x, SET1(-87.0f));
    const VEC magic = SET1(0x1.8p+23f);
    VEC shifted = FMADD(x, SET1(0x1.715476p+0f), magic);
    VEC n = SUB(shifted, magic);
    VEC r = FNMADD(n, SET1(0x1.63p-1f), x);
    r = FNMADD(n, SET1(-0x1.bd0106p-13f), r);
    VEC p = SET1(0x1.a0d2cep-13f);
    p = FMADD(p, r, SET1(0x1.6e879cp-10f));
    p = FMADD(p, r, SET1(0x1.11121p-7f));
    p = FMADD(p, r, SET1(0x1.555382p-5f));
    p = FMADD(p, r, SET1(0x1.555554p-3f));
    p = FMADD(p, r, SET1(0x1p-1f));
    VEC polynomial = ADD(FMADD(MUL(p, r), r, r), SET1(1.0f));
    return MUL(polynomial, EXP2_INT(shifted, magic));
}

// log z for z in [1, 2]: z = 2^e·m with m in [√½, √2), e = 0 or 1.
RBM_LANES_INLINE
static inline VEC NAME(log_one_to_two)(VEC z) {
    COND large = GREATER(z, SET1(1.41421354f));
    VEC m = SELECT(large, MUL(z, SET1(0.5f)), z);
    VEC e = ONES_WHERE(large);
    VEC x = SUB(m, SET1(1.0f));
    VEC x2 = MUL(x, x);
    VEC p = SET1(7.0376836292e-2f);
    p = FMADD(p, x, SET1(-1.1514610310e-1f));
    p = FMADD(p, x, SET1(1.1676998740e-1f));
    p = FMADD(p, x, SET1(-1.2420140846e-1f));
    p = FMADD(p, x, SET1(1.4249322787e-1f));
    p = FMADD(p, x, SET1(-1.6668057665e-1f));
    p = FMADD(p, x, SET1(2.0000714765e-1f));
    p = FMADD(p, x, SET1(-2.4999993993e-1f));
    p = FMADD(p, x, SET1(3.3333331174e-1f));
    VEC y = MUL(MUL(x, x2), p);
    y = FMADD(e, SET1(-2.12194440e-4f), y);
    y = FNMADD(SET1(0.5f), x2, y);
    return FMADD(e, SET1(0.693359375f), ADD(x, y));
}

RBM_LANES_INLINE
static inline VEC NAME(softplus)(VEC y) {
    VEC u = NAME(exp_nonpositive)(NEG_ABS(y));
    return ADD(MAX(y, ZERO()), NAME(log_one_to_two)(ADD(u, SET1(1.0f))));
}

/// The hidden terms over the first ⌊count / LANES⌋·LANES units (tempering_swap.h): unitwise, in
/// partial sums of 64 units in float, then double.
RBM_LANES_TARGET
static long NAME(swap_terms)(const float *xs, const float *xt, const float *c, long count, float bs, float bt,
                             const float *own_first_in, float *own_second_out, float *crossed_second_out,
                             double *sum, double *magnitude) {
    const long vectors = count / LANES * LANES;
    const VEC beta_s = SET1(bs), beta_t = SET1(bt), one = SET1(1.0f);
    double total = 0, total_magnitude = 0;
    long index = 0;
    while (index < vectors) {
        VEC block = ZERO(), block_magnitude = ZERO();
        for (int in_block = 0; in_block < 64 / LANES && index < vectors; in_block++, index += LANES) {
            VEC bias = LOADU(c + index);
            VEC first = ADD(LOADU(xs + index), bias);
            VEC second = ADD(LOADU(xt + index), bias);
            VEC crossed_first = NAME(softplus)(MUL(beta_s, second));
            VEC crossed_second = NAME(softplus)(MUL(beta_t, first));
            // softplus(β_s·x_s) is the same value the previous pair computed, when it is given.
            VEC own_first = own_first_in ? LOADU(own_first_in + index) : NAME(softplus)(MUL(beta_s, first));
            VEC own_second = NAME(softplus)(MUL(beta_t, second));
            if (own_second_out) STOREU(own_second_out + index, own_second);
            if (crossed_second_out) STOREU(crossed_second_out + index, crossed_second);
            VEC crossed = ADD(crossed_first, crossed_second), own = ADD(own_first, own_second);
            block = ADD(block, SUB(crossed, own));
            VEC absolute = ADD(ABS(first), ABS(second));
            block_magnitude = ADD(block_magnitude, ADD(ADD(crossed, own), FMADD(beta_s, absolute, one)));
        }
        total += (double)REDUCE(block);
        total_magnitude += (double)REDUCE(block_magnitude);
    }
    *sum = total;
    *magnitude = total_magnitude;
    return vectors;
}

/// The visible terms over the first ⌊count / LANES⌋·LANES units (tempering_swap.h).
RBM_LANES_TARGET
static long NAME(visible_terms)(const float *vs, const float *vt, const float *b, long count,
                                double *sum, double *magnitude) {
    const long vectors = count / LANES * LANES;
    double total = 0, total_magnitude = 0;
    long index = 0;
    while (index < vectors) {
        VEC block = ZERO(), block_magnitude = ZERO();
        for (int in_block = 0; in_block < 64 / LANES && index < vectors; in_block++, index += LANES) {
            VEC bias = LOADU(b + index);
            VEC first = LOADU(vs + index), second = LOADU(vt + index);
            block = FMADD(bias, SUB(second, first), block);
            VEC absolute = ADD(ABS(first), ABS(second));
            block_magnitude = FMADD(ABS(bias), absolute, block_magnitude);
        }
        total += (double)REDUCE(block);
        total_magnitude += (double)REDUCE(block_magnitude);
    }
    *sum = total;
    *magnitude = total_magnitude;
    return vectors;
}

#ifndef RBM_TEMPERING_SWAP_H
#define RBM_TEMPERING_SWAP_H

/// The hidden part of parallel tempering's swap log ratio (`TemperingSwap`, Swift), with
/// x_s = xs + c and x_t = xt + c:
///   Σ_j [softplus(bs·x_tj) + softplus(bt·x_sj) − softplus(bs·x_sj) − softplus(bt·x_tj)]
/// over the first ⌊count / 8⌋·8 units, in single precision with AVX-512 (16 units at a time) or
/// AVX2 and FMA (8; unitwise terms, partial sums of 64 in float, then double), into *sum;
/// and into *magnitude the sum over those
/// units of the four softplus terms + bs·(|x_sj| + |x_tj|) + 1, which bounds its error
/// (relative error below 10⁻⁶ of it). The bits need not match the Swift code's: the caller
/// decides from the double-precision ratio wherever the bound leaves a decision open.
/// `own_first`, when not NULL, holds softplus(bs·x_s) per unit (as this function computed it for
/// the previous pair: the next pair's first chain is this pair's second, or after an accepted
/// swap its first); `own_second` and `crossed_second`, when not NULL, receive softplus(bt·x_t)
/// and softplus(bt·x_s) for that use. Returns the number of units done: ⌊count / 8⌋·8 on an
/// AVX2 + FMA CPU, else 0.
long rbm_swap_hidden_terms(const float *xs, const float *xt, const float *c, long count, float bs, float bt,
                           const float *own_first, float *own_second, float *crossed_second,
                           double *sum, double *magnitude);

/// Which code the two functions run here: "avx512", "avx2" or "portable" (the caller's).
const char *rbm_swap_path(void);

/// For tests: 1 keeps the two functions to their 8-unit AVX2 code on an AVX-512 CPU, 0 (the
/// default) lets them take 16 units at a time where the CPU can; for the calling thread only.
void rbm_swap_avx2_only(int only);

/// The visible part's sum Σ_i b_i(vt_i − vs_i) over the first ⌊count / 8⌋·8 units into *sum
/// (single precision, partial sums of 64, then double), and Σ_i |b_i|(|vs_i| + |vt_i|) into
/// *magnitude. Returns the number of units done (0 without AVX2 and FMA).
long rbm_swap_visible_terms(const float *vs, const float *vt, const float *b, long count, double *sum, double *magnitude);

#endif

// The C kernels of the RBM module, one header per purpose.
#include "binary_products.h"
#include "box_muller.h"
#include "categorical.h"
#include "categorical_log_sum.h"
#include "logistic.h"
#include "philox_bernoulli.h"
#include "tempering_swap.h"

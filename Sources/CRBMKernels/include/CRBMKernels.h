// The C kernels of the RBM module, one header per purpose.
#include "binary_products.h"
#include "box_muller.h"
#include "categorical.h"
#include "logistic.h"
#include "philox_bernoulli.h"
#include "tempering_swap.h"

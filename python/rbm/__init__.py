"""Restricted Boltzmann Machines from Python, trained by the `rbm` Swift trainer.

    from rbm import RBM
    model = RBM(n_components=256, n_iter=10, random_state=0).fit(X)
    features = model.transform(X)
"""

from ._binary import RBMError, find_binary
from ._estimator import RBM

__all__ = ["RBM", "RBMError", "find_binary"]
__version__ = "0.1.0"

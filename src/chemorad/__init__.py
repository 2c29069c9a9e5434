"""chemorad: executable, cited models of chemotherapy and radiotherapy resistance."""

from chemorad.errors import ChemoradError

__version__ = "0.1.0"
__all__ = ["ChemoradError", "__version__"]

"""kscale_lab — the Kubernetes Scalability Lab's package.

Naive and improved models of the bottlenecks that large Kubernetes clusters exposed, one
module (or subpackage) per chapter, on a shared model of the control plane. Importing the
package is cheap: it imports no chapter, no NumPy and no Matplotlib; ``kscale_lab.chapters``
is the registry of chapter models.
"""

__version__ = "0.1.0"

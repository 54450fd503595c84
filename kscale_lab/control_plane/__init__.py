"""The control plane the chapters' clients talk to: etcd, the apiserver, and their load."""

from kscale_lab.control_plane.load import MUTATING_VERBS, VERBS, ApiLoad

__all__ = ["MUTATING_VERBS", "VERBS", "ApiLoad"]

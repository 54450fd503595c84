"""Everything else a cluster keeps in etcd, per node: its Pods, Services and Endpoints.

Chapter 2's heartbeats share etcd's quota with the rest of the cluster, so the chapter needs
a default for "everything else" that belongs to a real cluster, not a guess. It is derived
here from mechanisms and from SIG Scalability's thresholds (``kubernetes-facts.md``), by
building the objects and measuring them:

* **Pods.** The thresholds give 150,000 pods for 5,000 nodes: :data:`PODS_PER_NODE` = 30.
  One Pod is :func:`pod_object` — metadata with the labels and owner reference a Deployment's
  pod has, a spec of one container with a few env vars, a port, resources and two volume
  mounts (a ConfigMap and the service account token's Secret), and a running status —
  serialized as compact JSON (:func:`~kscale_lab.endpoints.wire.json_bytes`).
* **Services and their Endpoints.** The thresholds give 10,000 services: 2 per node
  (:data:`SERVICES_PER_NODE`). Each Service is :func:`service_object` (a ClusterIP Service,
  one port) and its ``Endpoints`` object, sized by chapter 8's
  :func:`~kscale_lab.endpoints.sizes.object_sizes` for :data:`BACKENDS_PER_SERVICE`
  backends: 150,000 pods over 10,000 services, 15 each — *illustrative*: it assumes every
  pod backs exactly one Service (the thresholds do not say so).

The per-node default is ``PODS_PER_NODE × pod + SERVICES_PER_NODE × (Service + Endpoints)``,
:data:`OTHER_BYTES_PER_NODE`, rounded to whole KiB as :data:`OTHER_KIB_PER_NODE`. It is a
**prediction**: the ratios come from the thresholds, the object sizes from objects the lab
builds. The values inside the objects (names, image, env vars, volumes, times) are
illustrative and fixed-width; field names follow the Kubernetes API (checked against the
models of the official Python client, ``kubernetes`` 37.0.2); that every field shown
existed in the talk's era (1.11–1.15) is unverified. Left out, so the default is a lower
bound: Deployments and ReplicaSets, Secrets and ConfigMaps, Namespaces and ServiceAccounts,
the Nodes and Leases themselves (chapter 2 counts those), and Events (large clusters keep
them in a separate etcd, an SLO prerequisite). JSON is the measure, as for the Lease; the
encoding etcd stores for built-in types may be more compact (unverified here).

The thresholds are for the largest clusters, and smaller clusters' limits are proportionally
lower (``thresholds.md``), so the same bytes *per node* serve a cluster of any size.

>>> OTHER_BYTES_PER_NODE == PODS_PER_NODE * POD_BYTES + SERVICES_PER_NODE * (
...     SERVICE_BYTES + ENDPOINTS_BYTES)
True
"""

from __future__ import annotations

from typing import Any

from kscale_lab.endpoints.objects import NAMESPACE, PORT, Backend, backends
from kscale_lab.endpoints.sizes import object_sizes
from kscale_lab.endpoints.wire import json_bytes
from kscale_lab.units import KiB

__all__ = ["BACKENDS_PER_SERVICE", "ENDPOINTS_BYTES", "OTHER_BYTES_PER_NODE",
           "OTHER_KIB_PER_NODE", "PODS_PER_NODE", "POD_BYTES", "SERVICES_PER_NODE",
           "SERVICE_BYTES", "pod_object", "service_object"]

# --- the thresholds (community sig-scalability thresholds.md, via kubernetes-facts.md) ------
THRESHOLD_NODES = 5_000
THRESHOLD_PODS = 150_000
THRESHOLD_SERVICES = 10_000

#: Pods per node at the envelope: 150,000 pods / 5,000 nodes.
PODS_PER_NODE = THRESHOLD_PODS // THRESHOLD_NODES
#: Services per node at the envelope: 10,000 services / 5,000 nodes.
SERVICES_PER_NODE = THRESHOLD_SERVICES // THRESHOLD_NODES
#: Backends per Service if every pod backs exactly one Service (illustrative):
#: 150,000 / 10,000.
BACKENDS_PER_SERVICE = THRESHOLD_PODS // THRESHOLD_SERVICES

SERVICE = "web"
CREATED = "2019-05-21T09:00:00Z"
STARTED = "2019-05-21T09:00:05Z"
IMAGE = "registry.example.com/web/frontend:1.4.2"          # illustrative


def pod_object(backend: Backend | None = None) -> dict[str, Any]:
    """A running ``core/v1`` Pod of a Deployment, as etcd would hold it.

    Parameters
    ----------
    backend : Backend, optional
        The pod's name, uid, IP and node (chapter 8's fixed-width synthetic backends); by
        default the first backend of Service ``web``.

    Returns
    -------
    dict
        The object with the API's field names: metadata (labels, the ReplicaSet owner),
        a spec of one container (3 env vars, one port, requests and limits, a ConfigMap
        and the service account token's Secret mounted), the two default tolerations
        (not-ready and unreachable, 300 s), and a ``Running`` status with four conditions
        and one container status. Values are illustrative.
    """
    b = backend if backend is not None else backends(SERVICE, 1)[0]
    template = b.pod.rsplit("-", 1)[0]
    condition = {"type": "", "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": STARTED}
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": b.pod, "generateName": template + "-", "namespace": NAMESPACE,
            "uid": b.uid, "resourceVersion": "123456789", "creationTimestamp": CREATED,
            "labels": {"app": SERVICE, "pod-template-hash": template.rsplit("-", 1)[1]},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": template,
                                 "uid": "3d6f0a2b-7c4e-4f1a-9b8d-5e2c7a1f0b93",
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "volumes": [
                {"name": "config", "configMap": {"name": f"{SERVICE}-config",
                                                 "defaultMode": 420}},
                {"name": "default-token-x7k2p", "secret": {"secretName": "default-token-x7k2p",
                                                           "defaultMode": 420}},
            ],
            "containers": [{
                "name": SERVICE, "image": IMAGE,
                "ports": [{"name": PORT["name"], "containerPort": PORT["port"],
                           "protocol": PORT["protocol"]}],
                "env": [{"name": "LOG_LEVEL", "value": "info"},
                        {"name": "CONFIG_PATH", "value": "/etc/web/config.yaml"},
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {
                            "apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                "resources": {"limits": {"cpu": "500m", "memory": "512Mi"},
                              "requests": {"cpu": "250m", "memory": "256Mi"}},
                "volumeMounts": [
                    {"name": "config", "readOnly": True, "mountPath": "/etc/web"},
                    {"name": "default-token-x7k2p", "readOnly": True,
                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst", "serviceAccountName": "default",
            "serviceAccount": "default", "nodeName": b.node, "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": f"node.kubernetes.io/{taint}", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300}
                for taint in ("not-ready", "unreachable")],
            "priority": 0,
        },
        "status": {
            "phase": "Running",
            "conditions": [dict(condition, type=t) for t in
                           ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "hostIP": "10.0.12.34", "podIP": b.ip, "startTime": CREATED,
            "containerStatuses": [{
                "name": SERVICE, "state": {"running": {"startedAt": STARTED}},
                "lastState": {}, "ready": True, "restartCount": 0, "image": IMAGE,
                "imageID": "docker-pullable://registry.example.com/web/frontend@sha256:"
                           + "4f" * 32,
                "containerID": "docker://" + "9c" * 32,
            }],
            "qosClass": "Burstable",
        },
    }


def service_object(service: str = SERVICE) -> dict[str, Any]:
    """A ``core/v1`` ClusterIP Service with one port, selecting ``app: <service>``.

    Values are illustrative; ``status.loadBalancer`` is empty, as for every ClusterIP
    Service.
    """
    return {
        "kind": "Service", "apiVersion": "v1",
        "metadata": {"name": service, "namespace": NAMESPACE,
                     "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64",
                     "resourceVersion": "123456789", "creationTimestamp": CREATED,
                     "labels": {"app": service}},
        "spec": {"ports": [{"name": PORT["name"], "protocol": PORT["protocol"],
                            "port": 80, "targetPort": PORT["port"]}],
                 "selector": {"app": service}, "clusterIP": "10.96.123.45",
                 "type": "ClusterIP", "sessionAffinity": "None"},
        "status": {"loadBalancer": {}},
    }


#: One Pod (:func:`pod_object`) as compact JSON, in bytes: measured.
POD_BYTES = json_bytes(pod_object())
#: One Service (:func:`service_object`) as compact JSON, in bytes: measured.
SERVICE_BYTES = json_bytes(service_object())
#: The Endpoints object of a Service with :data:`BACKENDS_PER_SERVICE` backends, compact
#: JSON (chapter 8's measurement, :func:`~kscale_lab.endpoints.sizes.object_sizes`).
ENDPOINTS_BYTES = int(object_sizes("json").endpoints_bytes(BACKENDS_PER_SERVICE))
#: Everything else per node, in bytes: a **prediction** derived from the thresholds and the
#: objects measured above (see the module docstring for what it leaves out).
OTHER_BYTES_PER_NODE = (PODS_PER_NODE * POD_BYTES
                        + SERVICES_PER_NODE * (SERVICE_BYTES + ENDPOINTS_BYTES))
#: :data:`OTHER_BYTES_PER_NODE` rounded to whole KiB: chapter 2's default for
#: ``other_kib_per_node``.
OTHER_KIB_PER_NODE = float(round(OTHER_BYTES_PER_NODE / KiB))

"""The real systems beside the models: a private etcd, iptables in a private network namespace.

Where the real thing runs on a learner's machine, the course runs it next to the model and
the tests check that the two agree. Each helper here says plainly when the binary or the
privilege it needs is missing, instead of failing with a traceback.
"""

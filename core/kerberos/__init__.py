"""Kerberos for the ``kerberos`` and ``negotiate`` schemes: what both share.

- ``names``: the service principal (``HTTP/<host as typed>``, ``WSMAN/``, the port) and the user's principal;
- ``logon``: a password's logon into a ticket cache in memory, or the current user's ticket cache;
- ``context``: pyspnego's contexts, put together as Windows' client does (the one place that uses pyspnego's private
  parts);
- ``attempt``: one try within a test, its exchanges with the KDC under the test's deadline (``core.offload``);
- ``errors``: what MIT's error numbers mean, as failure kinds; ``clock``: which clock is off.

Nothing here is imported until a Kerberos test runs: MIT's libraries load with the first use.
"""

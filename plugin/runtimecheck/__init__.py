"""docker-runtimecheck: will this builder's OCI runtime survive this BuildKit?"""

__version__ = "0.1.0"

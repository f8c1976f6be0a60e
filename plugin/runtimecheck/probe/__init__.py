"""Runtime capability discovery: who a runtime binary is, and which of the command lines
BuildKit sends it accepts, asked on the host (`host`) or inside a container (`incontainer`).

`identify` and `observe` are pure; `host` and `incontainer` run the binary.
"""

# docker-runtimecheck: the zipapp's __main__.py (scripts/build-zipapp fills in the two
# values below). It answers the CLI plugin metadata request without unpacking anything, picks
# the extraction root, then hands over to shiv's bootstrap, telling the package explicitly
# which archive it runs from, where it is unpacked and whether this run unpacks it.
import os
import sys

METADATA = "@METADATA@"
BUILD_ID = "@BUILD_ID@"
LAUNCH_ENV = "RUNTIMECHECK_LAUNCH"


def extraction_root():
    """SHIV_ROOT, else ~/.shiv, else (HOME not writable) a private directory under TMPDIR."""
    import stat
    import tempfile

    if os.environ.get("SHIV_ROOT"):
        return os.path.expanduser(os.environ["SHIV_ROOT"])
    home_root = os.path.join(os.path.expanduser("~"), ".shiv")
    try:
        os.makedirs(home_root, exist_ok=True)
        if os.access(home_root, os.W_OK):
            return home_root
    except OSError:
        pass
    uid = os.getuid() if hasattr(os, "getuid") else 0
    fallback = os.path.join(tempfile.gettempdir(), f"docker-runtimecheck-{uid}")
    os.makedirs(fallback, 0o700, exist_ok=True)
    info = os.lstat(fallback)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        program = (
            "docker runtimecheck"
            if os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND")
            else "docker-runtimecheck"
        )
        sys.stderr.write(f"{program}: {fallback} is not a private directory; set SHIV_ROOT\n")
        sys.exit(3)
    os.environ["SHIV_ROOT"] = fallback
    return fallback


def launch():
    if sys.argv[1:] == ["docker-cli-plugin-metadata"]:
        sys.stdout.write(METADATA + "\n")
        sys.exit(0)
    archive = os.path.dirname(os.path.abspath(__file__))
    root = extraction_root()
    # shiv names the unpacked tree after the archive's resolved file name and the build id.
    name = os.path.basename(os.path.realpath(archive))
    tree = os.path.join(root, f"{name}_{BUILD_ID}")
    site = os.path.join(tree, "site-packages")
    first = "0" if os.path.isdir(site) else "1"
    os.environ[LAUNCH_ENV] = "\x1f".join((archive, site, first))
    import _bootstrap

    _bootstrap.bootstrap()


if __name__ == "__main__":
    launch()

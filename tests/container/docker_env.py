"""A private Docker daemon, a local Debian base image and the qualify image build.

Used by the container test (session fixtures in ``conftest.py``) and as a script::

    python3 tests/container/docker_env.py build     # start daemon, base, wheels, build; print facts
    python3 tests/container/docker_env.py measure   # the same, then image sizes and a cold run time
    python3 tests/container/docker_env.py shell     # build, then leave the daemon running (prints DOCKER_HOST)

No container registry is reachable where this runs, so nothing is pulled:

* ``dockerd`` is started by us with its own exec-root, pidfile and socket under a temporary
  folder, ``--bridge=none --iptables=false --ip-masq=false`` (no container network), and is
  stopped by its pid.  Its data-root is kept at ``/var/lib/qualify-docker`` (override:
  ``QUALIFY_DOCKER_DATA_ROOT``) so the base image and build layers stay cached between runs on
  the same machine; if another run holds that data-root, a throwaway one is used instead.
* The base image is a ``debootstrap --variant=minbase`` Debian bookworm root file system with
  ``python3, python3-venv, ca-certificates``, taken from the machine's own apt mirror and
  ``docker import``-ed.  Its tarball is cached under ``/var/cache/qualify-base`` (override:
  ``QUALIFY_CACHE_DIR``), keyed by a hash of the debootstrap arguments.
* The pinned wheels of ``requirements/runtime.txt`` are downloaded on the host (checked against
  their hashes) for the base image's Python, served on 127.0.0.1 by a small HTTP server, and the
  image is built with ``--network host --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=...``.

Anything missing (a binary, root, a daemon that will not come up) raises ``DockerUnavailable``
with the reason; the test turns that into a failure, never a skip.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import functools
import hashlib
import http.server
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_REQUIREMENTS = REPO_ROOT / "requirements" / "runtime.txt"

DATA_ROOT = Path(os.environ.get("QUALIFY_DOCKER_DATA_ROOT", "/var/lib/qualify-docker"))
CACHE_DIR = Path(os.environ.get("QUALIFY_CACHE_DIR", "/var/cache/qualify-base"))
DEFAULT_MIRROR = "http://deb.debian.org/debian"

SUITE = "bookworm"
VARIANT = "minbase"
INCLUDE = ("python3", "python3-venv", "ca-certificates")
# Bump when the way the root file system is trimmed or imported changes.
BASE_RECIPE = "1"

IMAGE_TAG = "qualify:ci"

# Facts about the image and its runs (sizes, timings) that the test session prints at the end.
FACTS: dict[str, object] = {}


class DockerUnavailable(RuntimeError):
    """Docker (or something it needs) cannot be started on this machine; the message says why."""


def log(msg: str) -> None:
    print(f"[docker_env] {msg}", file=sys.stderr, flush=True)


def _which(name: str, purpose: str, env_var: str | None = None) -> str:
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not path:
        raise DockerUnavailable(
            f"'{name}' not found on PATH ({purpose}); install it, e.g. "
            f"'apt-get install -y docker.io debootstrap' as .ci/run does"
        )
    return path


def _is_dockerd(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd"
    except OSError:
        return False


def _unmount_under(folder: Path) -> None:
    """Unmount whatever is still mounted below ``folder`` (deepest first)."""
    try:
        mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    except OSError:
        return
    prefix = str(folder).rstrip("/") + "/"
    for mp in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True, check=False)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------------------------


class Daemon:
    """A dockerd of our own; ``docker(...)`` runs the client against it."""

    def __init__(self, data_root: Path = DATA_ROOT) -> None:
        self.requested_data_root = data_root
        self.data_root: Path | None = None
        self.fresh_data_root = False
        self.tmp: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self.env: dict[str, str] = {}
        self.cli = ""
        self.startup_seconds = 0.0

    # -- life cycle -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> Daemon:
        if os.name != "posix" or platform.system() != "Linux":
            raise DockerUnavailable(f"dockerd needs Linux, this is {platform.system()}")
        if os.geteuid() != 0:
            raise DockerUnavailable("dockerd must run as root here (no rootless setup); run as root")
        dockerd = _which("dockerd", "the Docker daemon, Debian package docker.io", "QUALIFY_DOCKERD")
        for tool in ("containerd", "runc"):
            _which(tool, "needed by dockerd, Debian package docker.io")
        self.cli = _which("docker", "the Docker client, Debian package docker.io", "QUALIFY_DOCKER_CLI")

        self.tmp = Path(tempfile.mkdtemp(prefix="qualify-dockerd-"))
        self.data_root = self._claim_data_root()
        self.fresh_data_root = not (self.data_root / "image").exists()
        sock = self.tmp / "docker.sock"
        pidfile = self.tmp / "dockerd.pid"
        logfile = self.tmp / "dockerd.log"
        cmd = [
            dockerd,
            "--data-root", str(self.data_root),
            "--exec-root", str(self.tmp / "exec"),
            "--pidfile", str(pidfile),
            "--host", f"unix://{sock}",
            "--bridge=none", "--iptables=false", "--ip-masq=false",
        ]  # fmt: skip
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        (self.tmp / "client-config").mkdir()
        self.env.update(
            DOCKER_HOST=f"unix://{sock}",
            DOCKER_CONFIG=str(self.tmp / "client-config"),  # no user credential helpers
            DOCKER_BUILDKIT="0",  # the classic builder: no frontend image to pull, --network host works
            DOCKER_CLI_HINTS="false",
        )
        t0 = time.monotonic()
        log(f"starting dockerd (data-root {self.data_root}, fresh={self.fresh_data_root})")
        with open(logfile, "wb") as out:
            try:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            except OSError as exc:
                raise DockerUnavailable(f"cannot execute {dockerd}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                msg = f"dockerd exited with code {self.proc.returncode} while starting; its log:\n{_tail(logfile)}"
                self.stop()
                raise DockerUnavailable(msg)
            if sock.exists():
                probe = subprocess.run(
                    [self.cli, "version", "--format", "{{.Server.Version}}"],
                    env=self.env, capture_output=True, text=True, timeout=30,
                )  # fmt: skip
                if probe.returncode == 0:
                    break
            if time.monotonic() > deadline:
                msg = f"dockerd did not answer within {timeout:.0f}s; its log:\n{_tail(logfile)}"
                self.stop()
                raise DockerUnavailable(msg)
            time.sleep(0.25)
        self.startup_seconds = time.monotonic() - t0
        self._set_holder()
        atexit.register(self.stop)  # also on an interrupted run
        log(f"dockerd {probe.stdout.strip()} up in {self.startup_seconds:.1f}s, pid {self.proc.pid}")
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                log("dockerd did not stop in 45s; killing it and its containerd")
                proc.kill()
                proc.wait(timeout=15)
                self._kill_containerd()
        self._release_lock()
        if self.tmp is not None:
            _unmount_under(self.tmp)  # dockerd leaves exec-root/netns/default mounted
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _kill_containerd(self) -> None:
        assert self.tmp is not None
        pidfile = self.tmp / "exec" / "containerd" / "containerd.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)

    @property
    def _holder_file(self) -> Path:
        root = self.requested_data_root
        return root.parent / f".{root.name}.dockerd-pid"

    def _claim_data_root(self) -> Path:
        """The persistent data-root if no other run of ours holds it, else a throwaway one.

        Held by an flock for our lifetime, and by a pid file naming the dockerd using it (so a
        daemon left running by ``docker_env.py shell`` is not joined by a second one)."""
        assert self.tmp is not None
        root = self.requested_data_root
        try:
            root.mkdir(parents=True, exist_ok=True)
            fd = os.open(str(root.parent / f".{root.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log(f"cannot use {root} ({exc}); using a throwaway data-root")
            return self.tmp / "data"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            log(f"{root} is in use by another run; using a throwaway data-root")
            return self.tmp / "data"
        with contextlib.suppress(OSError, ValueError):
            pid = int(self._holder_file.read_text().strip())
            if _is_dockerd(pid):
                os.close(fd)
                log(f"{root} is used by a running dockerd (pid {pid}); using a throwaway data-root")
                return self.tmp / "data"
        self._lock_fd = fd
        return root

    def _set_holder(self) -> None:
        if self._lock_fd is not None and self.proc is not None:
            self._holder_file.write_text(f"{self.proc.pid}\n")

    def detach(self) -> None:
        """Leave the daemon running (the pid file keeps other runs off its data-root)."""
        self.proc = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self.tmp = None

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                self._holder_file.unlink()
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- client -----------------------------------------------------------------------------
    def docker(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 600,
        capture: bool = True,
        input: bytes | None = None,
    ) -> subprocess.CompletedProcess[str]:
        if self.proc is None:
            raise RuntimeError("daemon not started")
        res = subprocess.run(
            [self.cli, *args],
            env=self.env,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            timeout=timeout,
            input=input.decode() if input is not None else None,
            text=True,
        )
        if check and res.returncode != 0:
            raise RuntimeError(
                f"docker {' '.join(args)} exited {res.returncode}\n"
                f"stdout:\n{(res.stdout or '')[-4000:]}\nstderr:\n{(res.stderr or '')[-4000:]}"
            )
        return res

    def image_exists(self, ref: str) -> bool:
        return self.docker("image", "inspect", ref, check=False).returncode == 0

    def image_size(self, ref: str) -> int:
        return int(self.docker("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())

    def image_config(self, ref: str) -> dict:
        return json.loads(self.docker("image", "inspect", "--format", "{{json .Config}}", ref).stdout)


# --------------------------------------------------------------------------------------------
# The Debian base image
# --------------------------------------------------------------------------------------------


def apt_mirror() -> str:
    """The Debian mirror this machine's apt uses for bookworm main (deb822 or one-line sources)."""
    if os.environ.get("QUALIFY_DEBIAN_MIRROR"):
        return os.environ["QUALIFY_DEBIAN_MIRROR"].rstrip("/")
    candidates: list[str] = []
    sources_d = Path("/etc/apt/sources.list.d")
    for f in sorted(sources_d.glob("*.sources")) if sources_d.is_dir() else []:
        for stanza in re.split(r"\n\s*\n", f.read_text(errors="replace")):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, val = line.partition(":")
                fields[key.strip().lower()] = val.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" in fields.get("types", "").split() and SUITE in fields.get("suites", "").split():
                if "main" in fields.get("components", "").split():
                    candidates += fields.get("uris", "").split()
    lists = [Path("/etc/apt/sources.list")] + (sorted(sources_d.glob("*.list")) if sources_d.is_dir() else [])
    for f in lists:
        if not f.is_file():
            continue
        for line in f.read_text(errors="replace").splitlines():
            parts = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
            if len(parts) >= 4 and parts[0] == "deb" and parts[2] == SUITE and "main" in parts[3:]:
                candidates.append(parts[1])
    for uri in candidates:
        if uri.startswith(("http://", "https://", "file:/")):
            return uri.rstrip("/")
    return DEFAULT_MIRROR


def host_arch() -> str:
    try:
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def base_recipe() -> dict[str, object]:
    return {
        "suite": SUITE,
        "variant": VARIANT,
        "include": list(INCLUDE),
        "mirror": apt_mirror(),
        "arch": host_arch(),
        "recipe": BASE_RECIPE,
    }


def _key(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def ensure_base_image(daemon: Daemon, cache_dir: Path = CACHE_DIR) -> str:
    """Tag of the local Debian base image; debootstraps and imports only what is not cached."""
    recipe = base_recipe()
    key = _key(recipe)[:16]
    tag = f"qualify-base:{SUITE}-{key}"
    if daemon.image_exists(tag):
        log(f"base image {tag} already in the daemon")
        return tag
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / f"rootfs-{key}.tar"
    if not tarball.exists():
        with _file_lock(cache_dir / f".rootfs-{key}.lock"):
            if not tarball.exists():
                _debootstrap(recipe, tarball)
    t0 = time.monotonic()
    daemon.docker(
        "import",
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", "ENV LANG=C.UTF-8",
        "--change", 'CMD ["/bin/bash"]',
        "--message", f"debootstrap {json.dumps(recipe, sort_keys=True)}",
        str(tarball), tag,
        timeout=600,
    )  # fmt: skip
    log(f"imported {tarball} as {tag} in {time.monotonic() - t0:.1f}s")
    return tag


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _debootstrap(recipe: dict[str, object], tarball: Path) -> None:
    debootstrap = _which("debootstrap", "builds the local Debian base image, Debian package debootstrap")
    _which("tar", "packs the base image")
    work = Path(tempfile.mkdtemp(prefix="qualify-rootfs-", dir=tarball.parent))
    rootfs = work / "rootfs"
    cmd = [
        debootstrap,
        f"--variant={recipe['variant']}",
        f"--include={','.join(recipe['include'])}",  # type: ignore[arg-type]
        f"--arch={recipe['arch']}",
        str(recipe["suite"]),
        str(rootfs),
        str(recipe["mirror"]),
    ]
    log("running " + " ".join(cmd))
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200)
        if res.returncode != 0:
            raise DockerUnavailable(
                f"debootstrap failed ({res.returncode}):\n{res.stdout[-3000:]}\n"
                f"{_tail(rootfs / 'debootstrap' / 'debootstrap.log')}"
            )
        # Trim what an image does not need: package caches, apt lists, logs.
        for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", "var/log/*.log"):
            for p in rootfs.glob(pattern):
                if p.is_file():
                    p.unlink()
        partial = tarball.with_suffix(".tar.partial")
        subprocess.run(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "--exclude=./dev/*",
             "--exclude=./proc/*", "--exclude=./sys/*", "-cf", str(partial), "."],
            check=True, timeout=600,
        )  # fmt: skip
        partial.rename(tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"debootstrap + tar in {time.monotonic() - t0:.1f}s -> {tarball} ({tarball.stat().st_size / 1e6:.0f} MB)")


# --------------------------------------------------------------------------------------------
# Wheels for the build, served on the loopback
# --------------------------------------------------------------------------------------------


def target_python(daemon: Daemon, base: str) -> dict[str, str]:
    """Python version, glibc and machine of the base image, to download matching wheels."""
    code = (
        "import json, platform, sys; lib, ver = platform.libc_ver(); "
        "print(json.dumps({'py': '%d.%d' % sys.version_info[:2], 'libc': lib, 'libc_ver': ver, "
        "'machine': platform.machine()}))"
    )
    out = daemon.docker(
        "run", "--rm", "--pull=never", "--network", "none", "--entrypoint", "python3", base, "-c", code
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def wheelhouse(target: dict[str, str], requirements: Path = RUNTIME_REQUIREMENTS, cache_dir: Path = CACHE_DIR) -> Path:
    """A folder holding exactly the pinned wheels for ``target``, hash-checked; cached."""
    if not requirements.is_file():
        raise FileNotFoundError(f"{requirements} missing")
    key = _key({"req": requirements.read_text(), "target": target})[:16]
    dest = cache_dir / f"wheels-{key}"
    if (dest / ".complete").exists():
        return dest
    if target.get("libc") != "glibc":
        raise DockerUnavailable(f"base image libc {target} is not glibc; no manylinux wheels for it")
    major, minor = target["py"].split(".")
    glibc_minor = int(target["libc_ver"].split(".")[1])
    arch = target["machine"]
    platforms = [f"manylinux_2_{n}_{arch}" for n in range(glibc_minor, 16, -1)] + [f"manylinux2014_{arch}"]
    if arch in ("x86_64", "i686"):
        platforms += [f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    partial = cache_dir / f"wheels-{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
        "--only-binary=:all:", "--no-deps", "--require-hashes",
        "--implementation", "cp", "--python-version", f"{major}.{minor}", "--abi", f"cp{major}{minor}",
        *[a for p in platforms for a in ("--platform", p)],
        "-r", str(requirements), "-d", str(partial),
    ]  # fmt: skip
    log("downloading wheels: pip download ... -r " + str(requirements))
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if res.returncode != 0:
        raise RuntimeError(f"pip download failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    (partial / ".complete").write_text("")
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    return dest


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path, preferred_port: int = 0) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1; yields its URL.  A stable port keeps docker's build cache
    valid across runs (the PIP_FIND_LINKS value is part of the cache key)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = None
    for port in (preferred_port, 0) if preferred_port else (0,):
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError:
            continue
    assert server is not None
    thread = threading.Thread(target=server.serve_forever, name="wheelhouse-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------
# The image
# --------------------------------------------------------------------------------------------


def build_image(
    daemon: Daemon,
    base: str,
    context: Path = REPO_ROOT,
    tag: str = IMAGE_TAG,
    dockerfile: Path | None = None,
) -> float:
    """Builds ``tag`` from ``context``'s Dockerfile on the local base; returns seconds taken."""
    target = target_python(daemon, base)
    wheels = wheelhouse(target, requirements=context / "requirements" / "runtime.txt")
    port = 20000 + int(wheels.name.split("-")[-1][:8], 16) % 20000
    previous = _image_id(daemon, tag)
    with serve_folder(wheels, preferred_port=port) as url:
        t0 = time.monotonic()
        res = daemon.docker(
            "build",
            "--network", "host",
            "--build-arg", f"BASE_IMAGE={base}",
            "--build-arg", "PIP_NO_INDEX=1",
            "--build-arg", f"PIP_FIND_LINKS={url}",
            "-f", str(dockerfile or context / "Dockerfile"),
            "-t", tag,
            str(context),
            check=False, timeout=1200,
        )  # fmt: skip
        seconds = time.monotonic() - t0
    if res.returncode != 0:
        raise RuntimeError(f"docker build failed ({res.returncode}):\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}")
    log(f"built {tag} in {seconds:.1f}s")
    # The previous build of this tag is now untagged: drop it so the data-root does not grow.
    # (Not `image prune`: that would also drop the untagged build stage, which is the pip layer's cache.)
    if previous and previous != _image_id(daemon, tag):
        daemon.docker("image", "rm", previous, check=False)
    return seconds


def _image_id(daemon: Daemon, ref: str) -> str:
    res = daemon.docker("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return res.stdout.strip() if res.returncode == 0 else ""


class Session:
    """Daemon + base image + built image: what the container test needs."""

    def __init__(self, context: Path = REPO_ROOT, tag: str = IMAGE_TAG) -> None:
        self.context = context
        self.tag = tag
        self.daemon = Daemon()
        self.base = ""
        self.timings: dict[str, float] = {}

    def start(self) -> Session:
        t0 = time.monotonic()
        self.daemon.start()
        try:
            self.timings["daemon_start"] = self.daemon.startup_seconds
            t = time.monotonic()
            self.base = ensure_base_image(self.daemon)
            self.timings["base_image"] = time.monotonic() - t
            self.timings["build"] = build_image(self.daemon, self.base, self.context, self.tag)
        except BaseException:
            self.daemon.stop()
            raise
        self.timings["total_setup"] = time.monotonic() - t0
        return self

    def stop(self) -> None:
        self.daemon.stop()

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sizes(self) -> dict[str, int]:
        image, base = self.daemon.image_size(self.tag), self.daemon.image_size(self.base)
        return {"image": image, "base": base, "added": image - base}


@contextlib.contextmanager
def session_or_fail(purpose: str) -> Iterator[Session]:
    """A started Session for a test fixture, stopped afterwards. When Docker cannot start, the test
    fails with the reason and never skips: `purpose` says what could not be tested."""
    import pytest  # the command-line use of this module does without it

    session = Session()
    try:
        session.start()
    except DockerUnavailable as exc:
        reason: str | None = str(exc)
    else:
        reason = None
    if reason is not None:  # failed outside the except: no chained traceback in the report
        pytest.fail(f"Docker cannot run on this machine, so {purpose}: {reason}", pytrace=False)
    try:
        yield session
    finally:
        session.stop()


def write_facts(terminalreporter: object, title: str, facts: dict[str, object]) -> None:
    """The measured facts of a Docker-backed test folder, at the end of pytest's report."""
    if facts:
        terminalreporter.write_sep("-", title)  # type: ignore[attr-defined]
        for key, value in facts.items():
            terminalreporter.write_line(f"{key}: {value}")  # type: ignore[attr-defined]


def runner_like_run(
    daemon: Daemon,
    image: str,
    workspace: Path,
    file_commands: Path,
    inputs: dict[str, str],
    extra_env: dict[str, str] | None = None,
    args: Sequence[str] = (),
    timeout: float = 300,
) -> tuple[subprocess.CompletedProcess[str], float, dict[str, Path]]:
    """``docker run`` the way the Actions runner runs a Docker action (minus its network).

    ``inputs`` maps input names as declared in action.yml (hyphens kept) to values; they become
    ``INPUT_<NAME upper-cased>``.  Returns the process, its wall time and the host paths of the
    file commands (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` ...).
    """
    home = file_commands.parent / "_github_home"
    workflow = file_commands.parent / "_github_workflow"
    for d in (home, workflow, file_commands):
        d.mkdir(parents=True, exist_ok=True)
    commands = {}
    env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_REPOSITORY": "example/project",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_RUN_ID": "1",
        "GITHUB_JOB": "qualify",
        "GITHUB_ACTION": "__run",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": "/home/runner/work/_temp",
    }
    (workflow / "event.json").write_text("{}")
    for name, var in (("set_output", "GITHUB_OUTPUT"), ("step_summary", "GITHUB_STEP_SUMMARY"),
                      ("set_env", "GITHUB_ENV"), ("add_path", "GITHUB_PATH"), ("save_state", "GITHUB_STATE")):  # fmt: skip
        fname = f"{name}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
        (file_commands / fname).write_text("")
        commands[var] = file_commands / fname
        env[var] = f"/github/file_commands/{fname}"
    for name, value in inputs.items():
        env[f"INPUT_{name.replace(' ', '_').upper()}"] = value
    env.update(extra_env or {})
    cmd = ["run", "--rm", "--network", "none", "--workdir", "/github/workspace"]
    for k, v in env.items():
        cmd += ["-e", f"{k}={v}"]
    cmd += [
        "-v", f"{home}:/github/home",
        "-v", f"{workflow}:/github/workflow",
        "-v", f"{file_commands}:/github/file_commands",
        "-v", f"{workspace}:/github/workspace",
        image, *args,
    ]  # fmt: skip
    t0 = time.monotonic()
    res = daemon.docker(*cmd, check=False, timeout=timeout)
    return res, time.monotonic() - t0, commands


def parse_file_command(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT-style file: ``k=v`` lines and ``k<<DELIM ... DELIM`` blocks."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        i += 1
    return out


# --------------------------------------------------------------------------------------------
# Script
# --------------------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("build", "measure", "shell"))
    ap.add_argument("--context", type=Path, default=REPO_ROOT, help="build context (default: the repo)")
    ap.add_argument("--tag", default=IMAGE_TAG)
    ns = ap.parse_args(argv)
    session = Session(context=ns.context.resolve(), tag=ns.tag)
    try:
        session.start()
    except DockerUnavailable as exc:
        print(f"Docker unavailable: {exc}", file=sys.stderr)
        return 2
    try:
        sizes = session.sizes()
        facts = {
            "image": ns.tag,
            "base": session.base,
            "image_size": _mb(sizes["image"]),
            "base_size": _mb(sizes["base"]),
            "added_over_base": _mb(sizes["added"]),
            **{f"{k}_seconds": round(v, 1) for k, v in session.timings.items()},
        }
        if ns.command == "measure":
            facts.update(measure_cold_run(session))
        print(json.dumps(facts, indent=2))
        if ns.command == "shell":
            d = session.daemon
            print(f"export DOCKER_HOST={d.env['DOCKER_HOST']} DOCKER_BUILDKIT=0")
            print(f"# stop it with: kill {d.proc.pid if d.proc else '?'}")
            session.daemon.detach()
    finally:
        session.stop()
    return 0


def measure_cold_run(session: Session, scenario: str = "qualified") -> dict[str, object]:
    """Wall time of one ``docker run --rm`` of the example scenario (a fresh container each time)."""
    examples = session.context / "examples"
    results: dict[str, object] = {}
    times = []
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="qualify-measure-") as tmp:
            ws = Path(tmp) / "workspace"
            shutil.copytree(examples, ws)
            res, seconds, _ = runner_like_run(
                session.daemon, session.tag, ws, Path(tmp) / "_runner_file_commands",
                {"mock-results": f"runs/{scenario}/mock/*.xml", "real-results": f"runs/{scenario}/real/*.xml",
                 "tracking": "docs/issues/ISSUE-462/TRACKING.md"},
            )  # fmt: skip
            times.append(round(seconds, 2))
            results["exit_code"] = res.returncode
    results["docker_run_seconds"] = times
    return results


if __name__ == "__main__":
    sys.exit(main())

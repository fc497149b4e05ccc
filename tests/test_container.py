"""The container: the Dockerfile's own install steps, replayed in a fresh venv from a copy of
what it copies, then `marquee` used from that install; and, where a Docker engine answers,
the image itself built and run."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import Database
from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
# Run by the replayed install's Python: prints each runtime requirement it can't find.
MISSING_REQUIREMENTS = """
import re
from importlib.metadata import PackageNotFoundError, distribution
for requirement in distribution("marquee-bot").requires or []:
    if "extra ==" in requirement:
        continue
    try:
        distribution(re.split(r"[<>=!~\\[; ]", requirement, maxsplit=1)[0])
    except PackageNotFoundError:
        print(requirement)
"""


@dataclass
class Stage:
    name: str | None
    base: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)


def dockerfile_stages(text: str) -> list[Stage]:
    """The Dockerfile's stages and their instructions (continuations joined, comments out)."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    stages: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        instruction, _, rest = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(name, words[0]))
        else:
            stages[-1].steps.append((instruction, " ".join(rest.split())))
    return stages


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or (pattern != bare and fnmatch.fnmatch(name, bare)):
            return True
    return False


def build_context(into: Path) -> None:
    """The files `docker build .` sends: the tree less what .dockerignore names (the patterns
    this project uses: paths from the top, and `**/` ones at any depth)."""
    patterns = dockerignore_patterns()
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if not _ignored((here / d).as_posix(), patterns)]
        for name in files:
            relative = here / name
            if not _ignored(relative.as_posix(), patterns):
                (into / here).mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, into / relative)


def test_the_dockerfile_is_small_non_root_and_pinned_to_python_311_slim() -> None:
    stages = dockerfile_stages(DOCKERFILE.read_text())
    assert all(s.base.startswith("python:3.11-slim") for s in stages), [s.base for s in stages]
    final = stages[-1]
    users = [args for instruction, args in final.steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    assert ("CMD", '["marquee", "run"]') in final.steps
    # Secrets and local data never enter the build context.
    patterns = dockerignore_patterns()
    for secret in (".env", ".venv", ".git", "data", "x.db", "bot/__pycache__"):
        assert _ignored(secret, patterns), secret


def _replay_build_stage(context: Path, root: Path) -> Path:
    """Run the Dockerfile's first stage here: its venv, WORKDIR, COPY and RUN steps, with the
    image's absolute paths moved under `root`. Returns the venv.

    One difference, for CI's time: pip gets `--no-deps`, and the venv sees the test venv's
    packages (a .pth line) instead of downloading them again; the test then checks each
    declared dependency is there."""
    build = dockerfile_stages(DOCKERFILE.read_text())[0]
    workdir = root
    venv: Path | None = None
    for instruction, args in build.steps:
        if instruction == "ENV":
            continue
        if instruction == "WORKDIR":
            workdir = root / args.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            *sources, dest = shlex.split(args)
            target = workdir / dest if not dest.startswith("/") else root / dest.lstrip("/")
            for source in sources:
                src = context / source
                if src.is_dir():
                    shutil.copytree(src, target, dirs_exist_ok=True)
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target / src.name)
        elif instruction == "RUN":
            words = shlex.split(args)
            if words[:3] == ["python", "-m", "venv"]:
                venv = root / words[3].lstrip("/")
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                site = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
                (site / "test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
                continue
            assert venv is not None and words[0] == f"/{venv.relative_to(root)}/bin/pip", words
            assert words[1:] == ["install", "."], "the same install as `make run`"
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "."],
                cwd=workdir,
                check=True,
                capture_output=True,
            )
        else:
            raise AssertionError(f"the replay does not know {instruction} {args}")
    assert venv is not None
    return venv


@pytest.mark.slow
def test_the_dockerfile_install_runs_marquee(tmp_path: Path) -> None:
    context = tmp_path / "context"
    build_context(context)
    venv = _replay_build_stage(context, tmp_path / "image")
    python, marquee = venv / "bin" / "python", venv / "bin" / "marquee"
    work = tmp_path / "home"
    work.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")},
        "MARQUEE_DATA_DIR": str(tmp_path / "data"),  # as the image's ENV sets /data
        "MARQUEE_DEMO": "1",
    }

    # The code runs from the venv's own copy, not from the working tree.
    where = subprocess.run(
        [str(python), "-c", "import adapters.cli, storage; print(adapters.cli.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    # Every dependency the package declares is installed (--no-deps would hide a missing one).
    missing = subprocess.run(
        [str(python), "-c", MISSING_REQUIREMENTS], cwd=work, env=env, capture_output=True, text=True
    )
    assert missing.returncode == 0, missing.stderr
    assert missing.stdout.split() == []
    # The migrations and alembic.ini are package data of the install, or migrate fails.
    for args, expect in (
        (["--help"], "backup"),
        (["migrate"], "database is at the newest schema"),
    ):
        done = subprocess.run(
            [str(marquee), *args], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert expect in done.stdout
    assert (tmp_path / "data" / "marquee.db").exists()
    shell = subprocess.run(
        [str(marquee), "shell"],
        input="/film Solaris (1972)\n",
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    assert "Andrei Tarkovsky" in shell.stdout


def test_compose_runs_marquee_on_its_postgresql_15() -> None:
    text = (ROOT / "compose.yaml").read_text()
    assert re.search(r"^\s+image: postgres:15\s*$", text, re.M)
    assert re.search(r"^\s+- pgdata:/var/lib/postgresql/data\s*$", text, re.M)
    assert re.search(r"^volumes:\n(?:\s+\S+:\n)*\s+pgdata:\s*$", text, re.M)
    (url,) = re.findall(r"^\s+DATABASE_URL: (\S+)\s*$", text, re.M)
    parsed = make_url(url.replace("${POSTGRES_PASSWORD:-marquee}", "marquee"))
    assert parsed.drivername == "postgresql+psycopg"
    assert re.search(rf"^  {parsed.host}:\s*$", text, re.M), "the URL names the db service"
    assert re.search(rf"POSTGRES_DB: {parsed.database}\s*$", text, re.M)
    assert re.search(rf"POSTGRES_USER: {parsed.username}\s*$", text, re.M)
    assert "condition: service_healthy" in text


def _docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _docker_engine(), reason="no Docker engine answers on this machine")
def test_the_image_builds_and_answers(tmp_path: Path) -> None:
    tag = f"marquee-test:{os.getpid()}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1200)
    try:
        user = subprocess.run(
            ["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True
        )
        assert user.stdout.strip() != "0"
        shell = subprocess.run(
            ["docker", "run", "--rm", "-i", tag, "marquee", "shell"],
            input="/film Solaris (1972)\n",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert shell.returncode == 0, shell.stderr
        assert "Andrei Tarkovsky" in shell.stdout
        dump = subprocess.run(
            ["docker", "run", "--rm", tag, "pg_dump", "--version"], capture_output=True, text=True
        )
        assert " 15." in dump.stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


@pytest.mark.slow
def test_marquee_run_migrates_an_empty_postgresql_before_serving(postgres: PostgresServer) -> None:
    """compose.yaml's upgrade path: a new image, a restart, and `marquee run` migrates."""
    url = postgres.create_database(f"run_{os.getpid()}")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "SLACK_", "MARQUEE_HEALTH"))
    }
    env.update(DATABASE_URL=url, MARQUEE_DEMO="0")
    marquee = Path(sys.executable).with_name("marquee")
    # No platform configured: the console, which ends at the end of its (empty) input.
    done = subprocess.run(
        [str(marquee), "run"], input="", env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    database = Database(url)
    try:
        current, head = database.schema_revisions()
    finally:
        database.dispose()
    assert current == head is not None

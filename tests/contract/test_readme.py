"""The README's quick start is exactly two commands: the demo, and the tests that .ci/run runs."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^    \$ (.+)$", section, flags=re.M)


def test_quick_start_is_two_commands():
    demo, tests = quick_start_commands()
    assert "pip install '.[demo]'" in demo and demo.endswith("auditor demo --out auditor-demo")
    assert "pip install -c constraints.txt -e '.[test]'" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    # .ci/run extracts the command from the README itself, so the two cannot drift apart
    extracted = subprocess.run(["bash", "-c", "sed -n 's/^    \\$ //p' README.md | grep -m1 'pytest'"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert extracted == tests
    assert "sed -n 's/^    \\$ //p' README.md | grep -m1 'pytest'" in ci


def test_the_test_toolchain_is_pinned():
    """The README's install uses constraints.txt, which pins every package exactly (not the project)."""
    pins = [ln.split("#")[0].strip() for ln in (ROOT / "constraints.txt").read_text().splitlines()]
    pins = [p for p in pins if p]
    names = {re.split(r"==", p)[0].lower().replace("_", "-") for p in pins}
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+", p) for p in pins), pins
    assert {"pytest", "pytest-timeout", "moto", "playwright", "boto3", "botocore", "freezegun",
            "gcp-storage-emulator", "import-linter", "jsonschema", "sqlalchemy", "pydantic"} <= names
    assert "vendor-data-auditor" not in names


def test_every_dependency_of_the_test_install_is_pinned():
    """A dependency added to pyproject.toml comes with its pin (and its own dependencies' pins)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = {canonicalize_name(ln.split("==")[0]) for ln in (ROOT / "constraints.txt").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")}
    wanted: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [("vendor-data-auditor", frozenset({"test"}))]
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        for raw in metadata.distribution(name).requires or []:
            req = Requirement(raw)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                continue
            if canonicalize_name(req.name) != "vendor-data-auditor":  # the project's own extras: test -> demo, ...
                wanted.add(canonicalize_name(req.name))
            todo.append((req.name, frozenset(req.extras)))
    missing = sorted(wanted - pinned)
    assert not missing, f"not pinned in constraints.txt: {missing} (regenerate it: see its header)"


def test_the_demo_test_runs_the_readme_demo_verb():
    demo, _ = quick_start_commands()
    test = (ROOT / "tests" / "integration" / "test_demo.py").read_text()
    assert '[AUDITOR, "demo", "--out", str(out)]' in test and "auditor demo --out" in demo


# --------------------------------------------------------------------------- every example runs
#
# Every ```yaml block is loaded with the real loader: a whole config by default. A comment on
# the line before the fence says otherwise:
#   <!-- readme-test: policy ... -->    a policy file: checked with the policy loader
#   <!-- readme-test: fragment ... -->  top-level keys added to a config that has vendors and sources
#   <!-- readme-test: yaml ... -->      another program's file (Prometheus rules, ...): valid YAML only
#   <!-- readme-test: skip ... -->      not checked (say why)
# ${VAR}s get dummy values. Every shell command (indented code blocks, cron lines included) runs in
# a sandbox folder whose auditor.yaml audits a local SQLite file (absolute paths are moved into the
# sandbox; other programs run when installed); inline `auditor ...` commands run there too when they
# name no placeholder, else their --help proves the verb and options exist.

import os  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

README = ROOT / "README.md"
AUDITOR = shutil.which("auditor", path=str(Path(sys.executable).parent)) or "auditor"
MARKER = re.compile(r"<!--\s*readme-test:\s*(\w+)")
ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CRON = re.compile(r"^(\S+\s+){5}")
NOT_HERE = re.compile(r"^(python3 -m venv|\S*pip install|\S*lint-imports|\S*mypy|\S*pytest)\b")  # the quick start's install/test steps


def fenced_blocks() -> list[tuple[int, str, str | None, str]]:
    """(line, language, marker, text) of every fenced block."""
    lines = README.read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            start, lang = i, m.group(1)
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            marker = MARKER.search(lines[start - 1]) if start else None
            out.append((start + 1, lang, marker.group(1) if marker else None, "\n".join(lines[start + 1:j]) + "\n"))
            i = j
        i += 1
    return out


def shell_commands() -> list[tuple[int, str]]:
    """(line, command) of every line of an indented code block outside fences (``$ `` prompt dropped)."""
    lines = README.read_text().splitlines()
    out, fenced, block = [], False, False
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced, block = not fenced, False
            continue
        # a code block opens after a blank line and goes on while indented: a list item's continuation
        # lines (indented under a nested item) follow text, not a blank line, and are prose
        block = not fenced and line.startswith("    ") and (n == 1 or not lines[n - 2].strip() or block)
        if block:
            cmd = line.strip().removeprefix("$ ")
            if cmd and not cmd.startswith("#"):
                out.append((n, cmd))
    return out


def inline_commands() -> list[str]:
    text = re.sub(r"```.*?```", "", README.read_text(), flags=re.S)
    found = re.findall(r"`(auditor [^`]+)`", text)
    return sorted({c for c in found if "\n" not in c})


def dummy(name: str) -> str:
    if "DB" in name:
        return "sqlite:///readme-dummy.db"
    if "URL" in name:
        return "http://127.0.0.1:9/readme"
    return "readme-dummy-value"


BASE = {"vendors": [{"id": "acme-analytics"}, {"id": "redmart-legacy-host"}],
        "sources": [{"id": "shop-db", "vendor": "redmart-legacy-host", "kind": "sql", "url": "sqlite:///shop.db"}]}


@pytest.mark.parametrize("block", [b for b in fenced_blocks() if b[1] == "yaml"], ids=lambda b: f"line{b[0]}")
def test_every_yaml_block_loads(block, tmp_path, monkeypatch):
    from auditor.config import load_config
    import policies

    line, _, marker, text = block
    for name in ENV_VAR.findall(text):
        monkeypatch.setenv(name, dummy(name))
    if marker == "skip":
        pytest.skip(f"README line {line} is marked skip")
    if marker == "yaml":
        assert yaml.safe_load(text) is not None
        return
    if marker == "policy":
        path = tmp_path / "policy.yaml"
        path.write_text(text)
        assert policies.validate_paths([str(path)])[0].startswith(str(path))
        return
    assert marker in (None, "fragment"), f"README line {line}: unknown readme-test marker {marker!r}"
    # a block that is not an auditor config needs a marker (see the comment above)
    if marker == "fragment":
        text = yaml.safe_dump(BASE, sort_keys=False) + text
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    cfg = load_config(path)  # raises ConfigError naming the README block's line on any mistake
    assert cfg.sources
    policies.load_policies(list(cfg.policies), Path(cfg.base_dir))


def test_every_fenced_block_is_checked_or_named():
    langs = {lang for _, lang, _, _ in fenced_blocks()}
    assert langs <= {"yaml", "ini"}, f"a README block in {langs - {'yaml', 'ini'}} is not tested here"
    assert len([b for b in fenced_blocks() if b[1] == "yaml"]) >= 3


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder like /srv/auditor: .venv/bin/auditor, auditor.yaml over a local SQLite file with a
    stale customer table, the README's policy file and schedule."""
    root = tmp_path_factory.mktemp("srv-auditor")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "auditor").symlink_to(AUDITOR)
    with sqlite3.connect(root / "shop.db") as db:
        db.execute("create table customers (id integer, email text, updated_at text)")
        db.executemany("insert into customers values (?, ?, ?)",
                       [(i, f"user{i}@example.com", "2019-01-01 00:00:00") for i in range(40)])
    os.utime(root / "shop.db", (1546300800, 1546300800))
    doc = dict(BASE)
    for _, _, marker, text in fenced_blocks():
        if marker == "policy":
            name = text.splitlines()[0].removeprefix("# ").strip()
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        if marker == "fragment" and "schedule" in yaml.load(text, Loader=yaml.BaseLoader):
            doc["schedule"] = yaml.load(text, Loader=yaml.BaseLoader)["schedule"]
    (root / "auditor.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def _run(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{Path(AUDITOR).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=240, env=env)


@pytest.mark.parametrize("item", shell_commands(), ids=lambda c: f"line{c[0]}")
def test_every_shell_command_runs(item, sandbox):
    line, cmd = item
    cron = CRON.match(cmd) and not cmd.startswith(("auditor", "python3", "."))
    if cron:  # a crontab line: the schedule fields off, cron's \% back to %
        cmd = CRON.sub("", cmd).replace("\\%", "%")
    steps = [s.strip() for s in cmd.split("&&")]
    steps = [s for s in steps if not s.startswith("cd /srv/")]  # the sandbox is that folder
    ran, absent = 0, []
    for step in steps:
        if NOT_HERE.match(step):
            continue  # installing and the test suite itself: what .ci/run does
        program = shlex.split(step)[0]
        if not (program.endswith("auditor") or shutil.which(program)):
            absent.append(program)  # another program (node_exporter, ...) that is not installed here
            continue
        # output files at absolute paths (/var/lib/..., /srv/...) are written inside the sandbox instead
        step = re.sub(r"(?<=[\s=])/(?!tmp/)([\w.-]+/[\w./%$()+-]+)", lambda m: f"{sandbox}/root/{m.group(1)}", step)
        proc = _run(step, sandbox)
        assert proc.returncode in (0, 1), f"README line {line}: {step}\n{proc.stdout}{proc.stderr}"
        ran += 1
        if " -q " in f" {step} ":
            assert proc.stdout == "" if proc.returncode == 0 else "exit code 1" in proc.stdout
    if not ran and absent:
        pytest.skip(f"README line {line}: {', '.join(absent)} is not installed here")
    if not ran:
        assert all(NOT_HERE.match(s) for s in steps)
        pytest.skip(f"README line {line} installs and runs the tests: that is .ci/run (test_ci_runs_exactly_...)")
    if cron and "out/" in cmd:
        written = sorted(p.name for p in (sandbox / "out").iterdir() if not p.name.startswith("."))
        assert len(written) >= 2 and all(re.fullmatch(r"\d{4}-\d\d-\d\d\.(json|html)|index\.(json|html)", n)
                                         for n in written), written


PLACEHOLDER = re.compile(r"[\[\]|<>]|\.\.\.|\b[A-Z][A-Z_]{2,}\b")


@pytest.mark.parametrize("cmd", inline_commands())
def test_every_inline_command_parses_or_runs(cmd, sandbox):
    words = shlex.split(cmd)
    runnable = not PLACEHOLDER.search(cmd) and " run " not in f" {cmd} " and (
        "-c" in words or words[1] in ("permissions", "policies"))
    proc = _run(cmd if runnable else shlex.join([*words, "--help"]), sandbox)
    assert proc.returncode in (0, 1), f"{cmd}\n{proc.stdout}{proc.stderr}"

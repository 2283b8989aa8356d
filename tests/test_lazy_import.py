"""A process that only checks answers imports no environment; ``import rlvr`` still registers them.

Each case runs in a fresh interpreter: what a module imports, and when Gymnasium learns the rlvr
tasks, depends on what the process imported before, which pytest's own process cannot show.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.verifiers import MathVerifier, get_verifier
from rlvr.verifiers.code import CodeTests, CodeVerifier, SandboxUnavailable

HEAVY = ("gymnasium", "numpy", "sympy", "torch", "transformers", "rlvr.envs")


def run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize(
    "statement",
    [
        "import rlvr.verifiers",
        "import rlvr",
        "from rlvr.verifiers import CodeTests, CodeVerifier, MathVerifier",
        "from rlvr.verifiers.code import CodeVerifier",
    ],
)
def test_verifiers_import_no_environment_and_no_heavy_library(statement: str):
    loaded = json.loads(run(f"import sys, json\n{statement}\nprint(json.dumps(list(sys.modules)))"))
    assert not [n for n in loaded if any(n == h or n.startswith(h + ".") for h in HEAVY)]


def test_a_math_verdict_uses_sympy_in_a_worker_not_here():
    out = run(
        "import sys\nfrom rlvr.verifiers import MathVerifier\n"
        "verdict = MathVerifier()(r'\\boxed{(x+1)^2}', 'x^2+2x+1')\n"
        "print(verdict.reason, 'sympy' in sys.modules, 'gymnasium' in sys.modules)"
    )
    assert out.split() == ["symbolic-equal", "False", "False"]


def test_registered_verifiers_are_built_by_name():
    assert isinstance(get_verifier("math"), MathVerifier)
    assert get_verifier("math", timeout_s=3.0).timeout_s == 3.0


MAKE = "env = gym.make('rlvr/Arithmetic-v0'); print(type(env.unwrapped).__name__)"


@pytest.mark.parametrize(
    "imports",
    [
        "import rlvr\nimport gymnasium as gym",
        "import gymnasium as gym\nimport rlvr",
        "import rlvr.verifiers\nimport gymnasium as gym",
        "from rlvr.envs import register_task\nimport gymnasium as gym",
        "import rlvr\nimport gymnasium.spaces\nimport gymnasium as gym",
    ],
)
def test_importing_rlvr_registers_the_tasks_in_either_order(imports: str):
    # -W error: a task registered twice would warn ("replacing it")
    assert run(f"{imports}\n{MAKE}").strip() == "VerifierEnv"


def test_the_hook_leaves_gymnasium_as_it_was():
    out = run(
        "import sys, rlvr\n"
        "hooked = lambda: any(type(f).__name__ == '_AfterGymnasium' for f in sys.meta_path)\n"
        "assert hooked()\n"
        "import gymnasium\n"
        "print(type(gymnasium.__loader__).__name__, type(gymnasium.__spec__.loader).__name__,\n"
        "      hooked())"
    )
    assert out.split() == ["SourceFileLoader", "SourceFileLoader", "False"]


def test_task_functions_are_there_before_gymnasium_is():
    out = run(
        "import rlvr\nprint(len(rlvr.registered_tasks()) > 5, callable(rlvr.register_task))\n"
        "import gymnasium as gym\nprint('rlvr/Countdown-v0' in gym.registry)"
    )
    assert out.split() == ["True", "True", "True"]


def test_a_plugin_is_registered_by_import_rlvr(tmp_path: Path):
    (tmp_path / "rlvr_lazy_demo.py").write_text(
        "import rlvr\nfrom rlvr.verifiers import MathVerifier\n"
        "def register():\n"
        "    rlvr.register_task('lazydemo/Double-v0', source=[{'prompt': 'Double 21.', "
        "'reference': '42'}], verifier=MathVerifier())\n"
    )
    info = tmp_path / "rlvr_lazy_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rlvr-lazy-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rlvr.tasks]\ndemo = rlvr_lazy_demo:register\n")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    for imports in ("import rlvr\nimport gymnasium as gym", "import gymnasium as gym\nimport rlvr"):
        code = f"{imports}\nenv = gym.make('lazydemo/Double-v0')\nenv.reset(seed=0)\n"
        out = run(code + "print(env.step('It is 42.')[1])", env={"PYTHONPATH": path})
        assert out.strip() == "1.0"


def test_a_verifier_worker_registers_nothing():
    """``RLVR_WORKER`` processes (the sympy workers) skip the environments altogether."""
    out = run(
        "import sys, rlvr, gymnasium as gym\n"
        "print('rlvr.envs' in sys.modules, 'rlvr/Arithmetic-v0' in gym.registry)",
        env={"RLVR_WORKER": "1"},
    )
    assert out.split() == ["False", "False"]


def test_a_code_verifier_starts_its_first_sandbox_and_the_first_call_uses_it():
    try:
        verifier = CodeVerifier(timeout_s=5.0)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox here: {err}")
    try:
        (first,) = verifier._pool._idle
        assert verifier("def f():\n    return 1", CodeTests("assert f() == 1")).correct
        assert verifier._pool._idle == [first]
    finally:
        verifier.close()


def test_a_code_verifier_whose_bubblewrap_fails_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    with pytest.raises(SandboxUnavailable, match=r"unprivileged_userns_clone.*unsafe_local"):
        CodeVerifier(timeout_s=5.0)

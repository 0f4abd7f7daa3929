"""The README starts with exactly two set-up commands, and CI runs exactly those."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    head = text.split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", head, re.S)


def test_readme_starts_with_two_commands():
    cmds = readme_commands()
    assert len(cmds) == 2
    assert "examples/demo.py" in cmds[0] and "pip install ." in cmds[0]
    assert "pytest" in cmds[1] and "[test]" in cmds[1]


def test_ci_runs_the_readme_commands():
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read()
    for cmd in readme_commands():
        assert f'bash -c "{cmd}"' in ci


def test_ci_builds_with_werror():
    """Users' builds leave -Werror out; CI's must keep it (setup.py reads ESEPY_WERROR)."""
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read()
    assert "export ESEPY_WERROR=1" in ci.split('bash -c "')[0]

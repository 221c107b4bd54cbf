"""``gemini-batch-local -- COMMAND`` (the installed console script) runs a user's own DAG against the stack.

The DAG is written here, in a temporary ``dags/`` folder outside the repository: it uploads its
requests to ``gs://`` with the prepare operator, submits them, splits the output and checks the
counts in a last task. ``airflow dags test`` gets everything it needs from the command alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BUCKET = "my-own-bucket"
DAG_ID = "my_own_gemini_batch"
COMMAND = Path(sys.executable).parent / "gemini-batch-local"
USER_DAG = textwrap.dedent(f'''
    from datetime import datetime

    from airflow.sdk import DAG, task

    from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
    from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
    from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

    QUESTIONS = ["What is Airflow?", "What is a batch job?", "Why defer?"]

    with DAG(dag_id="{DAG_ID}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        prepare = GeminiBatchPrepareInputOperator(
            task_id="prepare",
            source=[{{"request": {{"contents": [{{"role": "user", "parts": [{{"text": q}}]}}]}}}} for q in QUESTIONS],
            destination_uri="gs://{BUCKET}/mine/{{{{ ds }}}}/input/requests.jsonl",
        )
        submit = GeminiBatchSubmitJobOperator(
            task_id="submit",
            input_uris=prepare.output,
            output_uri_prefix="gs://{BUCKET}/mine/{{{{ ds }}}}/output",
            model="gemini-2.5-flash",
            poll_interval=0.5,
        )
        split = GeminiBatchSplitOutputOperator(
            task_id="split", job_manifest=submit.output, destination_prefix="gs://{BUCKET}/mine/{{{{ ds }}}}/results",
        )

        @task
        def check(manifest: dict) -> None:
            assert (manifest["succeeded"], manifest["failed"]) == (len(QUESTIONS), 0), manifest
            print("USER-DAG-CHECKED", manifest["succeeded_uri"])

        check(split.output)
''')


def user_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points at the test session's own stack."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "STORAGE_EMULATOR"))}
    return {**env, **extra}


def test_a_users_dag_runs_on_the_stack_with_nothing_but_the_command(tmp_path: Path) -> None:
    assert COMMAND.exists(), "the console script of airflow-batch-gemini-local is installed"
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "my_dag.py").write_text(USER_DAG)
    result = subprocess.run(
        [str(COMMAND), "--bucket", BUCKET, "--", "airflow", "dags", "test", DAG_ID, "2026-01-01"],
        cwd=tmp_path, env=user_env(), capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert f"USER-DAG-CHECKED gs://{BUCKET}/mine/2026-01-01/results/succeeded.jsonl" in output, output[-6000:]
    assert "AIRFLOW_HOME:" in output and "(temporary)" in output


def test_the_callers_airflow_home_and_dags_folder_are_kept(tmp_path: Path) -> None:
    home, dags = tmp_path / "home", tmp_path / "elsewhere"
    show = "import json, os; print('ENV', json.dumps(dict(os.environ)))"
    result = subprocess.run(
        [str(COMMAND), "--", sys.executable, "-c", show], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=user_env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(dags)),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    env = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("ENV ")).removeprefix("ENV "))
    assert (env["AIRFLOW_HOME"], env["AIRFLOW__CORE__DAGS_FOLDER"]) == (str(home), str(dags))
    assert not home.exists(), "the caller's home is used as it is: no database migrated into it"
    connection = json.loads(env["AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT"])
    assert connection["extra"]["is_anonymous"] is True
    assert connection["extra"]["vertex_ai_endpoint"].startswith("http://127.0.0.1:")
    assert env["STORAGE_EMULATOR_HOST"].startswith("http://127.0.0.1:")
    assert env["PATH"].split(os.pathsep)[0] == str(COMMAND.parent), "the airflow beside the local tools comes first"

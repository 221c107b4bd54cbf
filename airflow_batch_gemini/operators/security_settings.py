"""The deployment's security settings, read from Airflow's configuration (section ``[gemini_batch]``).

- ``show_row_values`` (default ``False``): the prepare operator's messages about input lines name the JSON
  path and the type of a value, never the value itself; ``True`` shows values too (the split's messages never
  show a row's values, whatever the setting), for debugging on a
  deployment whose logs only the data's owners read. Also ``AIRFLOW__GEMINI_BATCH__SHOW_ROW_VALUES``.
- ``local_base_dir`` (default unset): the folder a templated local ``source`` of the prepare operator
  must lie in, when the task sets no ``local_base_dir`` of its own. Also
  ``AIRFLOW__GEMINI_BATCH__LOCAL_BASE_DIR``.

Both are the deployment manager's to set, like every option of ``airflow.cfg``; trigger-form params never
reach them.
"""

from __future__ import annotations

from airflow.configuration import conf

SECTION = "gemini_batch"


def show_row_values() -> bool:
    """Whether messages may show the values of input lines (``[gemini_batch] show_row_values``)."""
    return conf.getboolean(SECTION, "show_row_values", fallback=False)


def configured_local_base_dir() -> str | None:
    """The deployment's folder for local sources (``[gemini_batch] local_base_dir``), or ``None``."""
    value = conf.get(SECTION, "local_base_dir", fallback="")
    return value or None

"""The input stage: checking batch input lines against the request schema and the batch importer's rules,
and cutting the input into files within one job's limits. Pure: no I/O, no Airflow."""

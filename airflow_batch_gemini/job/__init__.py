"""The job stage: the create body, resource names and identity labels of a batch job, its states, every
wait decision and the retry rule. Pure: no I/O, no Airflow."""

"""The local tools of airflow-batch-gemini, a distribution of their own (``airflow-batch-gemini-local``).

``emulator`` is a Vertex AI ``batchPredictionJobs`` emulator, ``local_stack`` starts it with
fake-gcs-server on loopback, ``cli`` is the ``gemini-batch-local`` command and ``demo`` is
``make demo``. The provider (``airflow_batch_gemini``) never imports this package.
"""

"""The generator of the provider's request schema: Google's discovery documents in, JSON Schema out.

``make schema`` (``python -m gemini_batch_local.request_schema``) reads ``GenerateContentRequest`` and
every message it reaches from the Vertex AI discovery documents that google-api-python-client ships
(``aiplatform.v1.json`` and ``aiplatform.v1beta1.json``), maps each field to JSON Schema by the proto3
JSON mapping (:mod:`.proto_json`), adds what the documents state in words (:mod:`.statements`), and
writes ``airflow_batch_gemini/input/schemas/request.schema.json``. ``--check`` only compares.
"""

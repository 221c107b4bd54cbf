"""The output stage: a job's output rows split into result files, reconciled with its input, counted, and
resubmitted round by round. Pure: rows come and go through the Protocols of :mod:`.ports`."""

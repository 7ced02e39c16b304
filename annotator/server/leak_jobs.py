"""The team server's leak checks of stored packages, as jobs (``annotator.submission.leak_rescan``
does the checking).

- ``leak_check``: what the ``ocr`` job runs, for a package just accepted (``ocr-<id>``) and
  for a re-check (``ocr-<id>-v<version>``): the step frames read with OCR, and the video's
  fills looked around for pieces of what they hide.
- ``record_due``: packages whose latest check is older than the current one (made before it
  looked for fragments) get a queued re-check job; the reconciler (``jobs.reconcile``)
  calls it on every pass and then enqueues every queued job, so a server upgraded to this
  check re-checks what it holds on its own, one job per package.
- ``schedule``: the same, asked for by an admin (``POST /v1/leak-reports/rescan``).

Results reach contributors (their own submissions) and admins through
``GET /v1/leak-reports`` and ``GET /v1/submissions/{id}/checks``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from annotator.submission.leak_rescan import CHECK_KIND, check_stored, due, job_id


def leak_check(ctx: Any, submission_id: str) -> dict[str, Any]:
    """The ``ocr`` job: the leak check of a stored package (its result, never its text)."""
    return check_stored(ctx.svc, int(submission_id))


def record_due(ctx: Any, now: dt.datetime) -> list[str]:
    """A queued re-check job for every package whose latest check is out of date; returns
    their ids (the reconciler enqueues queued jobs)."""
    from annotator.server.jobs import record_job

    ids = due(ctx.svc)
    if not ids:
        return []
    made = []
    with ctx.store.write() as s:
        for sid in ids:
            jid = job_id(sid)
            job = record_job(s, job_id=jid, kind=CHECK_KIND, ref=str(sid), now=now)
            if job.state == "queued":
                made.append(jid)
    return made


def schedule(ctx: Any, now: dt.datetime) -> list[str]:
    """Re-check now what is due (recorded and enqueued)."""
    from annotator.server.jobs import QueueUnavailable

    made = record_due(ctx, now)
    for jid in made:
        try:
            ctx.queue.enqueue(jid, CHECK_KIND)
        except QueueUnavailable:
            break  # recorded: the reconciler enqueues them when Redis is back
    return made

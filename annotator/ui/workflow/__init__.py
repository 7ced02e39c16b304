"""The desktop views of the review workflow: sign-in and switching user, the
consent dialog, the contributor's submissions and tasks, the reviewer's queue and the
admin's figures, payouts and settings.  They call ``annotator.workflow.service.Services``
and ``annotator.submission.builder``; every rule lives in the core."""

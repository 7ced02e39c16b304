"""The workflow operations, one module per concern; ``annotator.workflow.service.Services``
puts them together.  ``core`` holds what every concern shares (the actor checks, the
transition log, the submission reads) and ``statements`` the prepared SQL of the hot
paths."""

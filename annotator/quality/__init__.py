"""Quality and integrity signals: what the machine finds in a demonstration before a person
looks at it (docs/signals.md).

One module per family: ``effects`` (steps that changed nothing, repeats), ``timing`` (idle
stretches), ``labels`` (instructions that do not fit, repeated or left as weak drafts),
``input`` (input made by a program; computed from the raw recording and sent as a
client-declared summary), ``replay`` (a video played back), ``redaction`` (redaction
doubts), ``duplicates`` and ``length`` (against the store).  ``records`` says what a signal
is and how it is written; ``evidence`` and ``package`` what the families read; ``compute``
runs them all.  The same code runs on the contributor's computer (the checklist, ``annotator
signals``) and on the store's side (a job after verification), so the same package gives the
same bytes everywhere.
"""

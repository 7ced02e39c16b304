"""The contributor app's entry point (PyInstaller runs this as ``annotator``)."""

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["--drafts-worker"]:
    # The editor's drafting process (annotator.drafts.worker), started by the app itself.
    from annotator.drafts.worker import main as drafts_worker

    sys.exit(drafts_worker(sys.argv[2:]))

from annotator.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

"""``RemoteServices``: the workflow contract (``annotator.workflow.contract.WorkflowServices``)
over the team server's HTTP API.

Same method names, keyword-only arguments and result types (``SubmissionInfo``,
``QueueItem``, ``SubmissionDetail``...), and the same exceptions (``NotFound``,
``PermissionDenied``, ``ForbiddenTransition``...) as ``Services`` on a store, so the desktop
views and the CLI work on either (tests/contract runs the same cases on both).  The ``actor`` arguments are accepted for that reason and ignored: on a server,
the access token says who acts.

``sign_in`` trades the passphrase for a personal access token (kept by ``TokenStore``: the
OS keyring, or a file only the user can read).  ``ingest_package`` sends the package through
the resumable upload of ``annotator.remote.upload``; if the server cannot be reached, the
package stays in the outbox and ``send_pending`` sends it later.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx

from annotator.errors import AnnotatorError
from annotator.fsutil import publish_folder
from annotator.remote.http import Api, ServerUnavailable, parse
from annotator.remote.upload import Outbox, UploadState, send
from annotator.workflow.contract import (
    Actor,
    BlindReviewInfo,
    BlindReviewPackage,
    CommentIn,
    CommentInfo,
    Invitation,
    PayoutReport,
    QueueFilter,
    QueueItem,
    RateInfo,
    ReviewerAgreement,
    SignalRates,
    SignalReport,
    SubmissionDetail,
    SubmissionId,
    SubmissionInfo,
    TaskInfo,
    TeamServices,
    TermsInfo,
    TransitionInfo,
    UserInfo,
    WithdrawResult,
    WorkflowServices,
    WorkStats,
)
from annotator.workflow.errors import NotFound
from annotator.workflow.states import Role


class _ServerName:
    """What ``store.url`` gives for display (``render_as_string`` like an SQLAlchemy URL)."""

    def __init__(self, server: str) -> None:
        self.server = server

    def render_as_string(self, hide_password: bool = True) -> str:
        return self.server

    def __str__(self) -> str:
        return self.server


class NotOnServer(AnnotatorError, AttributeError):
    """An operation of the embedded ``Services`` that the team server does not offer (an
    ``AttributeError`` too, so ``hasattr`` and ``getattr(..., default)`` still work)."""


class _NoStore:
    """``with svc.store:`` works as with the embedded services (closes the connection)."""

    def __init__(self, owner: RemoteServices) -> None:
        self.owner = owner
        self.url = _ServerName(owner.server)

    def __enter__(self) -> _NoStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.owner.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotOnServer("This command works on a store directly, and this workspace works "
                          f"against the team server {self.owner.server}.",
                          "Run it on the server's machine with $ANNOTATOR_DATABASE_URL set, "
                          "or use the server's API (exports: POST /v1/exports).")


class RemoteServices:
    def __init__(self, server: str, *, token: str | None = None,
                 outbox: str | os.PathLike[str] | None = None,
                 tokens: Any = None, user: str | None = None,
                 transport: httpx.BaseTransport | None = None,
                 upload_threads: int = 4) -> None:
        self.server = server.rstrip("/")
        self.tokens = tokens  # a TokenStore, or None
        self.user = user
        if token is None and tokens is not None and user:
            token = tokens.load(self.server, user)
        self.api = Api(self.server, token, transport=transport)
        self.outbox = Outbox(outbox) if outbox is not None else None
        self.upload_threads = upload_threads
        self.store = _NoStore(self)
        self.last_warning: str | None = None

    def close(self) -> None:
        self.api.close()

    if not TYPE_CHECKING:  # hidden from the type checker, which would take every name as here
        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            raise NotOnServer(f"“{name}” is not available when working against the team "
                              f"server {self.__dict__.get('server', '')}.",
                              "Ask an admin of the server, or use the server's own tools.")

    def now(self) -> dt.datetime:
        """This computer's clock, in UTC (the server stamps what it records itself)."""
        return dt.datetime.now(dt.UTC)

    def health(self) -> dict[str, Any]:
        """The server's own check (no token needed); ``ServerUnavailable`` if it is down."""
        return _json_dict(self.api.request("GET", "/v1/health", auth=False))

    def _get(self, path: str, **params: Any) -> Any:
        return self.api.request("GET", path, params={k: v for k, v in params.items()
                                                     if v is not None})

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.api.request("POST", path, json=body or {})

    # -- users and tokens --------------------------------------------------------------------
    def sign_in(self, *, name: str, passphrase: str, scope: str = "full",
                token_name: str = "annotator") -> Actor:
        r = self.api.request("POST", "/v1/auth/token", auth=False, json={
            "name": name, "passphrase": passphrase, "scope": scope, "token_name": token_name})
        self.api.token = r["token"]
        self.user = name
        if self.tokens is not None:
            saved = self.tokens.save(self.server, name, r["token"])
            self.last_warning = saved.warning
        return parse(Actor, r["user"])

    def sign_out(self) -> None:
        self.api.request("DELETE", "/v1/auth/token")
        if self.tokens is not None and self.user:
            self.tokens.delete(self.server, self.user)
        self.api.token = None

    def whoami(self) -> Actor:
        return parse(Actor, self._get("/v1/me")["user"])

    def is_set_up(self) -> bool:
        return True

    def invite_user(self, *, actor: Actor | None = None, name: str, role: Role | str,
                    passphrase: str | None = None) -> Invitation:
        return parse(Invitation, self._post("/v1/users", {
            "name": name, "role": str(getattr(role, "value", role)), "passphrase": passphrase}))

    def reset_passphrase(self, *, actor: Actor | None = None, name: str,
                         passphrase: str | None = None) -> str:
        return str(self._post(f"/v1/users/{_seg(name)}/reset",
                              {"passphrase": passphrase})["passphrase"])

    def change_passphrase(self, *, actor: Actor | None = None, current: str, new: str
                          ) -> Actor:
        r = self._post("/v1/me/passphrase", {"current": current, "new": new})
        # Every other token of this user was revoked; this client keeps the fresh one.
        if r.get("token"):
            self.api.token = r["token"]
            if self.tokens is not None and self.user:
                self.tokens.save(self.server, self.user, r["token"])
        return parse(Actor, r["user"])

    def set_role(self, *, actor: Actor | None = None, name: str, role: Role | str
                 ) -> UserInfo:
        return parse(UserInfo, self.api.request("PUT", f"/v1/users/{_seg(name)}/role",
                                                json={"role": str(getattr(role, "value", role))}))

    def set_disabled(self, *, actor: Actor | None = None, name: str, disabled: bool = True
                     ) -> UserInfo:
        return parse(UserInfo, self._post(f"/v1/users/{_seg(name)}/"
                                          + ("disable" if disabled else "enable")))

    def list_users(self, *, actor: Actor | None = None, include_deleted: bool = False
                   ) -> list[UserInfo]:
        return parse(list[UserInfo], self._get("/v1/users", include_deleted=include_deleted))

    def set_payee(self, *, actor: Actor | None = None, legal_name: str, payment_details: str,
                  passphrase: str | None = None, name: str | None = None) -> None:
        path = f"/v1/users/{_seg(name)}/payee" if name else "/v1/me/payee"
        self.api.request("PUT", path, json={"legal_name": legal_name,
                                            "payment_details": payment_details,
                                            "passphrase": passphrase})

    def get_payee(self, *, actor: Actor | None = None, name: str | None = None
                  ) -> dict[str, Any] | None:
        d = self._get(f"/v1/users/{_seg(name)}/payee" if name else "/v1/me/payee")
        if d is None:
            return None
        d = _json_dict(d)
        if d.get("updated_at"):
            d["updated_at"] = dt.datetime.fromisoformat(d["updated_at"])
        return d

    # -- terms, tasks, rates, payouts ------------------------------------------------------------
    def get_terms(self, *, version: str | None = None) -> TermsInfo:
        return parse(TermsInfo, self._get(f"/v1/terms/{version or 'current'}"))

    def list_terms(self) -> list[TermsInfo]:
        return parse(list[TermsInfo], self._get("/v1/terms"))

    def publish_terms(self, *, actor: Actor | None = None, version: str, text: str
                      ) -> TermsInfo:
        return parse(TermsInfo, self._post("/v1/terms", {"version": version, "text": text}))

    def list_tasks(self, *, actor: Actor | None = None, include_closed: bool = False
                   ) -> list[TaskInfo]:
        return parse(list[TaskInfo], self._get("/v1/tasks", include_closed=include_closed))

    def publish_task(self, *, actor: Actor | None = None, title: str, goal: str,
                     applications: Sequence[str] = (), difficulty: str = "medium",
                     pay_cents: int | None = None) -> TaskInfo:
        return parse(TaskInfo, self._post("/v1/tasks", {
            "title": title, "goal": goal, "applications": list(applications),
            "difficulty": difficulty, "pay_cents": pay_cents}))

    def close_task(self, *, actor: Actor | None = None, task_id: int) -> TaskInfo:
        return parse(TaskInfo, self._post(f"/v1/tasks/{task_id}/close"))

    def set_rates(self, *, actor: Actor | None = None, per_approved_minute_cents: int,
                  per_approved_task_cents: int, currency: str = "EUR",
                  effective_from: dt.datetime | None = None) -> RateInfo:
        return parse(RateInfo, self._post("/v1/rates", {
            "per_approved_minute_cents": per_approved_minute_cents,
            "per_approved_task_cents": per_approved_task_cents, "currency": currency,
            "effective_from": effective_from.isoformat() if effective_from else None}))

    def list_rates(self, *, actor: Actor | None = None) -> list[RateInfo]:
        return parse(list[RateInfo], self._get("/v1/rates"))

    def payouts(self, *, actor: Actor | None = None, month: str) -> PayoutReport:
        """The month's report, as the same DataFrames as locally."""
        from annotator.workflow.payouts import report_from_json

        return report_from_json(self._get(f"/v1/payouts/{_seg(month)}"))

    def close_month(self, *, actor: Actor | None = None, month: str) -> PayoutReport:
        from annotator.workflow.payouts import report_from_json

        return report_from_json(self._post(f"/v1/payouts/{_seg(month)}/close"))

    # -- submission ----------------------------------------------------------------------------------
    def ingest_package(self, *, actor: Actor | None = None, folder: str | os.PathLike[str],
                       submit: bool = True, previous_id: int | None = None,
                       timeout: float = 600) -> SubmissionInfo:
        """Check the package here, send it (resumably) and wait for the server's
        verification.  If the server cannot be reached the package stays in the outbox
        (``ServerUnavailable``; ``send_pending`` sends it later)."""
        if self.outbox is None:
            raise ValueError("RemoteServices needs an outbox folder to send packages")
        st = self.outbox.prepare(folder, server=self.server, submit=submit,
                                 previous_id=previous_id)
        return self._send(st, timeout)

    def _send(self, st: UploadState, timeout: float) -> SubmissionInfo:
        assert self.outbox is not None
        st = send(self.api, self.outbox, st, threads=self.upload_threads, timeout=timeout)
        assert st.submission_id is not None  # send returns once the server accepted it
        info = self.get_submission(submission_id=SubmissionId(st.submission_id)).info
        self.outbox.forget(st)
        return info

    def send_pending(self, *, timeout: float = 600) -> list[SubmissionInfo | Exception]:
        """Send every package waiting in the outbox; one result (or error) per package."""
        assert self.outbox is not None
        out: list[SubmissionInfo | Exception] = []
        for st in self.outbox.pending():
            try:
                out.append(self._send(st, timeout))
            except ServerUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - reported per package
                out.append(exc)
        return out

    def submit(self, *, actor: Actor | None = None, submission_id: int) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(f"/v1/submissions/{submission_id}/submit"))

    def my_submissions(self, *, actor: Actor | None = None, include_withdrawn: bool = True
                       ) -> list[SubmissionInfo]:
        return parse(list[SubmissionInfo], self._get(
            "/v1/submissions", include_withdrawn=include_withdrawn))

    def get_submission(self, *, actor: Actor | None = None, submission_id: int
                       ) -> SubmissionDetail:
        return parse(SubmissionDetail, self._get(f"/v1/submissions/{submission_id}"))

    def history(self, *, actor: Actor | None = None, submission_id: int
                ) -> list[TransitionInfo]:
        return [parse(TransitionInfo, t)
                for t in self._get(f"/v1/submissions/{submission_id}/history")]

    def work_stats(self, *, actor: Actor | None = None, weeks: int = 12) -> WorkStats:
        """The admin's charts, as the same DataFrames as locally."""
        from annotator.workflow.payouts import stats_from_json

        return stats_from_json(self._get("/v1/stats", weeks=weeks))

    def download_my_data(self, *, actor: Actor | None = None,
                         out_dir: str | os.PathLike[str]) -> Path:
        """Everything the server holds about you, into a new folder: the same files as a
        local workspace writes, each submission file checked against its SHA-256."""
        from annotator.workflow.mydata import check_empty, write_my_data

        out = check_empty(out_dir)
        return write_my_data(out, self._get("/v1/me/data"),
                             lambda sid, path, _sha: self.open_file(submission_id=sid,
                                                                    path=path))

    def checks(self, *, submission_id: int) -> dict[str, Any]:
        """The server's checks of a submission (``{"ocr": {state, result}}``)."""
        return _json_dict(self._get(f"/v1/submissions/{submission_id}/checks"))

    def leak_reports(self, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        """The latest leak check of each submission you may see
        (``annotator.submission.leak_rescan.reports``)."""
        got = self._get("/v1/leak-reports")
        if not isinstance(got, list):
            raise ServerUnavailable(f"The server answered {type(got).__name__}, not a list.",
                                    "Check the server URL: it should be an annotator team "
                                    "server.")
        return [_json_dict(x) for x in got]

    def rescan_leaks(self, *, actor: Actor | None = None) -> dict[str, Any]:
        """Admins: have the server check again every package made before its current leak
        check (jobs; ``{"scheduled": [job ids]}``)."""
        return _json_dict(self._post("/v1/leak-reports/rescan"))

    def file_url(self, *, submission_id: int, path: str) -> dict[str, Any]:
        return _json_dict(self._get(f"/v1/submissions/{submission_id}/files/{path}"))

    def open_file(self, *, actor: Actor | None = None, submission_id: int, path: str
                  ) -> BinaryIO:
        """The file's bytes, fetched through a short-lived URL and checked against their
        SHA-256 (into a temporary file)."""
        return _fetch_checked(self.file_url(submission_id=submission_id, path=path),
                              f"The file {path} of submission #{submission_id}")

    # -- review ------------------------------------------------------------------------------------
    def list_queue(self, *, actor: Actor | None = None, filters: QueueFilter | None = None,
                   limit: int = 50, offset: int = 0) -> list[QueueItem]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if filters is not None:
            params.update(_filter_fields(filters))
        return parse(list[QueueItem], self._get("/v1/queue", **params))

    def queue_counts(self, *, actor: Actor | None = None) -> dict[str, int]:
        return {str(k): int(v) for k, v in _json_dict(self._get("/v1/queue/counts")).items()}

    def claim(self, *, actor: Actor | None = None, submission_id: int) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(f"/v1/submissions/{submission_id}/claim"))

    def claim_next(self, *, actor: Actor | None = None, filters: QueueFilter | None = None
                   ) -> SubmissionInfo | None:
        fields = _filter_fields(filters) if filters is not None else {}
        fields.pop("state", None)  # claim_next takes what is claimable, whatever the states
        fields.pop("claimable", None)
        r = self._post("/v1/queue/claim-next", {k: v for k, v in fields.items() if v is not None})
        return None if r is None else parse(SubmissionInfo, r)

    def release(self, *, actor: Actor | None = None, submission_id: int) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(f"/v1/submissions/{submission_id}/release"))

    def add_comment(self, *, actor: Actor | None = None, submission_id: int,
                    comment: CommentIn) -> CommentInfo:
        return parse(CommentInfo, self._post(f"/v1/submissions/{submission_id}/comments",
                                             _comment(comment)))

    def submission_signals(self, *, actor: Actor | None = None, submission_id: SubmissionId
                           ) -> SignalReport:
        return parse(SignalReport, self._get(f"/v1/submissions/{submission_id}/signals"))

    def answer_signal(self, *, actor: Actor | None = None, submission_id: SubmissionId,
                      signal_key: str, body: str) -> CommentInfo:
        return parse(CommentInfo, self._post(f"/v1/submissions/{submission_id}/signals/answers",
                                             {"signal_key": signal_key, "body": body}))

    def set_review_mix(self, *, actor: Actor | None = None, gold_rate: float,
                       second_rate: float) -> dict[str, float]:
        got = self.api.request("PUT", "/v1/review-mix",
                               json={"gold_rate": gold_rate, "second_rate": second_rate})
        return {"gold_rate": float(got["gold_rate"]), "second_rate": float(got["second_rate"])}

    def mark_gold(self, *, actor: Actor | None = None, submission_id: SubmissionId,
                  decision: str, quality: int | None = None, note: str | None = None) -> None:
        self._post(f"/v1/submissions/{submission_id}/gold",
                   {"decision": decision, "quality": quality, "note": note})

    def next_blind_review(self, *, actor: Actor | None = None) -> BlindReviewInfo | None:
        got = self._post("/v1/blind-reviews/next")
        return None if got is None else parse(BlindReviewInfo, got)

    def open_blind_review(self, *, actor: Actor | None = None, review_id: int
                          ) -> BlindReviewPackage:
        return parse(BlindReviewPackage, self._get(f"/v1/blind-reviews/{review_id}"))

    def open_blind_file(self, *, actor: Actor | None = None, review_id: int, path: str
                        ) -> BinaryIO:
        """A file of a blind review's package, as ``open_file`` fetches one."""
        f = _json_dict(self._get(f"/v1/blind-reviews/{review_id}/files/{path}"))
        return _fetch_checked(f, f"The file {path} of blind review #{review_id}")

    def decide_blind_review(self, *, actor: Actor | None = None, review_id: int, decision: str,
                            quality: int | None = None) -> BlindReviewInfo:
        return parse(BlindReviewInfo, self._post(f"/v1/blind-reviews/{review_id}/decide",
                                                 {"decision": decision, "quality": quality}))

    def reviewer_agreement(self, *, actor: Actor | None = None) -> ReviewerAgreement:
        return parse(ReviewerAgreement, self._get("/v1/reviewers/agreement"))

    def signal_rates(self, *, actor: Actor | None = None, weeks: int = 12) -> SignalRates:
        return parse(SignalRates, self._get("/v1/signals/rates", weeks=weeks))

    def approve(self, *, actor: Actor | None = None, submission_id: int, quality: int,
                note: str | None = None) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(f"/v1/submissions/{submission_id}/approve",
                                                {"quality": quality, "note": note}))

    def request_changes(self, *, actor: Actor | None = None, submission_id: int,
                        comments: Sequence[CommentIn], reason: str | None = None
                        ) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(
            f"/v1/submissions/{submission_id}/request-changes",
            {"comments": [_comment(c) for c in comments], "reason": reason}))

    def reject(self, *, actor: Actor | None = None, submission_id: int, reason: str
               ) -> SubmissionInfo:
        return parse(SubmissionInfo, self._post(f"/v1/submissions/{submission_id}/reject",
                                                {"reason": reason}))

    # -- withdrawal and exports ---------------------------------------------------------------------
    def withdraw(self, *, actor: Actor | None = None, submission_id: int) -> WithdrawResult:
        return parse(WithdrawResult, self._post(f"/v1/submissions/{submission_id}/withdraw"))

    def withdraw_everything(self, *, actor: Actor | None = None, delete_account: bool = False
                            ) -> WithdrawResult:
        return parse(WithdrawResult, self._post("/v1/me/withdraw-all",
                                                {"delete_account": delete_account}))

    def tombstones(self, *, actor: Actor | None = None, since: dt.datetime | None = None
                   ) -> list[dict[str, Any]]:
        out = [_json_dict(t) for t in self._get("/v1/tombstones",
                                                 since=since.isoformat() if since else None)]
        for t in out:
            t["withdrawn_at"] = dt.datetime.fromisoformat(t["withdrawn_at"])
        return out

    def start_export(self, **options: Any) -> str:
        """Queue an export on the server; with ``format=...`` (and ``dialect``, ``filter``,
        ``split``, ``image_format``, ``max_side``, as for ``annotator export``) the server
        also makes the training set."""
        return str(self._post("/v1/exports", {k: v for k, v in options.items()
                                              if v is not None})["id"])

    def get_export(self, export_id: str, *, wait: float = 120) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + wait
        while True:
            r = _json_dict(self._get(f"/v1/exports/{export_id}"))
            if r["state"] in ("done", "failed") or time.monotonic() > deadline:
                return r
            time.sleep(0.3)

    def download_export(self, export: dict[str, Any], out_dir: str | os.PathLike[str]) -> Path:
        """Fetch every file of an export into ``out_dir/<submission id>/<path>``, each
        checked against its SHA-256."""
        out = Path(out_dir)
        for sub in export["submissions"]:
            for f in sub["files"]:
                dest = out / str(sub["id"]) / f["path"]
                if not dest.resolve().is_relative_to(out.resolve()):
                    raise NotFound(f"Refusing the path {f['path']!r}.")
                dest.parent.mkdir(parents=True, exist_ok=True)
                with open(dest, "wb") as fh:
                    sha = _fetch(f["url"], fh, httpx.Response.raise_for_status)
                if sha != f["sha256"]:
                    raise ServerUnavailable(f"{f['path']} arrived damaged.", "Try again.")
        return out


def _fetch(url: str, fh: BinaryIO, refuse: Callable[[httpx.Response], Any]) -> str:
    """Stream a short-lived URL's body into ``fh`` and return its SHA-256; ``refuse`` raises
    for an answer that is not the file (before anything is written)."""
    import hashlib

    h = hashlib.sha256()
    with httpx.stream("GET", url, timeout=120) as r:
        refuse(r)
        for chunk in r.iter_bytes(1 << 20):
            h.update(chunk)
            fh.write(chunk)
    return h.hexdigest()


def _fetch_checked(f: dict[str, Any], what: str) -> BinaryIO:
    """The bytes behind a file URL answer (``url``, ``sha256``) in a temporary file, checked
    against their SHA-256."""
    import tempfile

    def refuse(r: httpx.Response) -> None:
        if r.status_code != 200:
            raise NotFound(f"{what} cannot be fetched (HTTP {r.status_code}).")

    out = tempfile.TemporaryFile()
    if _fetch(f["url"], out, refuse) != f["sha256"]:
        out.close()
        raise ServerUnavailable(f"{what} arrived damaged (hash mismatch).", "Try again.")
    out.seek(0)
    return out


def download_dataset(export: dict[str, Any], out: str | os.PathLike[str], *,
                     force: bool = False) -> Path:
    """Fetch the training set an export job made (``export["dataset"]``), check its SHA-256
    and unpack it into ``out``: through a temporary folder renamed at the end, so that a
    failure leaves nothing that looks complete; an existing ``out`` only with ``force``."""
    import shutil
    import tarfile
    import tempfile

    from annotator.export.errors import ExportError

    ds = export.get("dataset")
    state = export.get("state")
    if state == "failed":  # the job's own error, with its own "What to do"
        message, _, hint = str(export.get("error") or "The export failed.").partition(
            "\n  What to do: ")
        raise ExportError(f"The export failed on the server: {message}",
                          hint or "Check the server's worker log, then start it again.")
    if state != "done":
        raise ExportError(f"The export is still {state} on the server.",
                          "It goes on there; start it again with a longer --wait.")
    if not ds or "url" not in ds:
        raise ExportError((ds or {}).get("message") or "This export has no training set.",
                          "Start an export with a format: `annotator remote export "
                          "--format ...`.")
    out = Path(out)
    if out.exists() and not force:
        raise ExportError(f"{out} exists already.", "Choose another --out, or add --force.")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        archive = tmp / "dataset.tar"

        def refuse(r: httpx.Response) -> None:
            if r.status_code != 200:
                raise ServerUnavailable(f"The export could not be fetched (HTTP "
                                        f"{r.status_code}).", "Fetch it again.")

        with open(archive, "wb") as fh:
            sha = _fetch(ds["url"], fh, refuse)
        if sha != ds["sha256"]:
            raise ServerUnavailable("The export arrived damaged (its SHA-256 differs).",
                                    "Fetch it again.")
        data = tmp / "data"
        with tarfile.open(archive) as tf:
            tf.extractall(data, filter="data")  # PEP 706: no links out, no absolute paths
        archive.unlink()
        publish_folder(data, out)  # an older copy (--force) is replaced only now
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _seg(name: str) -> str:
    """A name as one path segment (a user name may hold any character but '/'...)."""
    from urllib.parse import quote

    return quote(name, safe="")


def _filter_fields(f: QueueFilter) -> dict[str, Any]:
    """A queue filter as the query fields of ``GET /v1/queue`` (and the body of claim-next)."""
    return {"state": [str(s) for s in f.states], "task_id": f.task_id,
            "contributor": f.contributor, "claimed_by": f.claimed_by,
            "claimable": f.claimable or None, "application": f.application, "text": f.text,
            "include_own": f.include_own or None,
            "submitted_after": f.submitted_after.isoformat() if f.submitted_after else None,
            "submitted_before": f.submitted_before.isoformat() if f.submitted_before else None,
            "signal": f.signal, "order": f.order if f.order != "oldest" else None}


def _json_dict(value: Any) -> dict[str, Any]:
    """A JSON object the server answered (ServerUnavailable if it answered something else:
    a proxy's page, a server of another kind)."""
    if not isinstance(value, dict):
        raise ServerUnavailable(f"The server answered {type(value).__name__}, not an object.",
                                "Check the server URL: it should be an annotator team server.")
    return value


def _comment(c: CommentIn) -> dict[str, Any]:
    return {"body": c.body, "step_index": c.step_index, "step_id": c.step_id,
            "t_start_us": c.t_start_us, "t_end_us": c.t_end_us}


if TYPE_CHECKING:  # the type checker confirms that this face implements the contract
    def _implements_contract(s: RemoteServices) -> WorkflowServices:
        return s

    def _implements_team(s: RemoteServices) -> TeamServices:  # and has the outbox
        return s

#!/usr/bin/env python3
"""Local S3 + IAM stand-in for a runbook rehearsal.

What it models
    The AWS side of a Cloud Foundry S3 service broker: an S3 endpoint and an
    IAM endpoint, both served by moto on 127.0.0.1 only. Request signing is
    enforced once setup is done, so a key that IAM does not know (or that was
    deleted) is refused just as on AWS, and IAM policies limit each key to its
    own bucket.

Invocation
    python3 s3_server.py --port PORT [--bucket LABEL]...

Environment
    RB_REHEARSAL_STATE      private directory (mode 0700) for the files below.
    RB_REHEARSAL_FIXTURES   optional path of a JSON list of
                            {"bucket": LABEL, "key": KEY, "source": PATH}
                            objects to upload before the server is ready.
    Every other AWS_* variable of the parent is ignored.

Files written in RB_REHEARSAL_STATE (all mode 0600)
    s3-admin.json    {"aws_access_key_id", "aws_secret_access_key",
                      "endpoint_url", "region"} of an all-powerful IAM user.
    s3-values.env    LABEL_KEY_ID=..., LABEL_SECRET_KEY=..., LABEL_BUCKET=...
                     for each --bucket LABEL (written even when empty).
    s3-buckets.json  {"LABEL": "bucket-name", ...}.

HTTP endpoints besides the AWS APIs
    GET /_rehearsal/ready    503 until setup is finished, then 200.
    GET /_rehearsal/report   {"requests": {"s3": n, "iam": m, ...}, "denied": k}
                             counting the AWS requests made after setup.
    /moto-api/...            refused (404): it could switch authentication off.
    Unsigned AWS requests get a 403 AccessDenied and presigned URLs a 501
    NotImplemented: with authentication on, moto answers both with a 500.

Lifecycle
    One line per startup phase goes to stderr. Any setup failure exits 1.
    SIGTERM or SIGINT stops the server and exits 0.
"""

import os
import signal
import sys

# Until the real handlers are installed (moto takes about a second to
# import), a stop request simply ends the process with status 0.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

REGION = "eu-west-2"
HOST = "127.0.0.1"
ADMIN_USER = "rehearsal-admin"
BUCKET_PREFIX = "paas-s3-broker-rehearsal-"

# Setup makes exactly this many requests before the admin user has a key:
# iam:CreateUser, iam:PutUserPolicy and iam:CreateAccessKey. moto lets that
# many requests through unsigned-or-unknown, then checks every request.
SETUP_UNAUTHENTICATED_CALLS = 3

# The environment must be settled before boto3 or moto is imported: moto
# reads INITIAL_NO_AUTH_ACTION_COUNT at import time, and boto3 must not pick
# up profiles, endpoints or credentials from the parent.
for _name in list(os.environ):
    if _name.startswith(("AWS_", "MOTO_")):
        del os.environ[_name]
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_DEFAULT_REGION"] = REGION
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_UNAUTHENTICATED_CALLS)

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import parse_qs  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402
from private_files import private_state_dir, write_private  # noqa: E402

LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
SETUP_HEADER = "X-Rehearsal-Setup"
SETUP_ENVIRON_KEY = "HTTP_X_REHEARSAL_SETUP"
T0 = time.monotonic()


class SetupError(Exception):
    """A setup step failed; the message is shown as one line on stderr."""


class StopRequested(BaseException):
    """SIGTERM or SIGINT arrived while setup was still running.

    A BaseException so that botocore's generic error handling lets it through.
    """


STOP = threading.Event()


def log(message):
    print(f"s3_server [{time.monotonic() - T0:6.2f}s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# WSGI middleware: readiness, request accounting, moto-api guard


class RehearsalMiddleware:
    """Wraps moto's dispatcher with the rehearsal's own endpoints and counters."""

    def __init__(self, app, setup_token):
        self.app = app
        self.setup_token = setup_token
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.requests = {}
        self.denied = 0

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_rehearsal/"):
            return self._own_endpoint(path, environ, start_response)
        if path.startswith("/moto-api"):
            return self._respond(start_response, "404 Not Found",
                                 {"error": "the moto API is disabled in a rehearsal"})

        # Requests made by setup itself carry a per-process token and are
        # neither counted nor allowed to be mixed with outside traffic.
        if environ.get(SETUP_ENVIRON_KEY) == self.setup_token:
            return self.app(environ, start_response)
        if not self.ready.is_set():
            return self._respond(start_response, "503 Service Unavailable",
                                 {"error": "the rehearsal S3 server is still starting"})

        service = self._service_of(environ)
        with self.lock:
            self.requests[service] = self.requests.get(service, 0) + 1
        if service == "unsigned":
            # moto answers some unsigned requests with a 500 once
            # authentication is on; AWS refuses them, and so do we.
            with self.lock:
                self.denied += 1
            return self._s3_error(start_response, "403 Forbidden", "AccessDenied",
                                  "Anonymous requests are not allowed")
        if "HTTP_AUTHORIZATION" not in environ:
            # A presigned URL: moto cannot check those while authentication
            # is on (it fails with a 500), so say so plainly.
            return self._s3_error(start_response, "501 Not Implemented", "NotImplemented",
                                  "Presigned URLs are not supported by the rehearsal server")

        def counting_start_response(status, headers, exc_info=None):
            if status.startswith("403"):
                with self.lock:
                    self.denied += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counting_start_response)

    @staticmethod
    def _service_of(environ):
        """The AWS service named in the SigV4 credential scope, or "unsigned"."""
        match = SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            # Presigned URLs carry the scope in the query string instead.
            query = parse_qs(environ.get("QUERY_STRING", ""))
            credential = (query.get("X-Amz-Credential") or [""])[0]
            match = SCOPE_RE.search("Credential=" + credential)
        return match.group(1).lower() if match else "unsigned"

    def _own_endpoint(self, path, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._respond(start_response, "405 Method Not Allowed",
                                 {"error": "only GET is supported"})
        if path == "/_rehearsal/ready":
            if self.ready.is_set():
                return self._respond(start_response, "200 OK", {"ready": True})
            return self._respond(start_response, "503 Service Unavailable", {"ready": False})
        if path == "/_rehearsal/report":
            with self.lock:
                body = {"requests": dict(sorted(self.requests.items())), "denied": self.denied}
            return self._respond(start_response, "200 OK", body)
        return self._respond(start_response, "404 Not Found", {"error": "unknown rehearsal endpoint"})

    @staticmethod
    def _s3_error(start_response, status, code, message):
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>").encode()
        start_response(status, [("Content-Type", "application/xml"),
                                ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _respond(start_response, status, body):
        data = (json.dumps(body) + "\n").encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(data)))])
        return [data]


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without one access-log line per request."""

    def log_request(self, code="-", size="-"):
        pass


# --------------------------------------------------------------------------
# State files


# --------------------------------------------------------------------------
# Setup through the HTTP API, as any client would do it


def make_session(key_id, secret, setup_token):
    session = boto3.session.Session(
        aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)

    def tag_setup_request(request, **_):
        # Runs before every setup request: the place to notice a stop request.
        if STOP.is_set():
            raise StopRequested()
        request.headers[SETUP_HEADER] = setup_token

    session.events.register("before-send", tag_setup_request)
    return session


def client(session, service, endpoint):
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return session.client(service, endpoint_url=endpoint, config=config)


def bucket_policy(bucket):
    """Read-write access to one bucket and its objects, nothing else."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow",
             "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    })


def read_fixtures(path):
    try:
        with open(path, encoding="utf-8") as handle:
            fixtures = json.load(handle)
    except (OSError, ValueError) as error:
        raise SetupError(f"cannot read fixtures {path!r}: {error}") from None
    if not isinstance(fixtures, list):
        raise SetupError(f"fixtures {path!r} must be a JSON list")
    for index, item in enumerate(fixtures):
        if not (isinstance(item, dict)
                and all(isinstance(item.get(k), str) and item.get(k) for k in ("bucket", "key", "source"))):
            raise SetupError(
                f"fixture #{index + 1} in {path!r} needs string fields bucket, key and source")
    return fixtures


def setup(port, labels, state_dir, fixtures_path, setup_token):
    endpoint = f"http://{HOST}:{port}"

    # 1. The admin user, created while moto still accepts unknown keys. The
    #    bootstrap key below is random and never valid afterwards.
    bootstrap = make_session("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30), setup_token)
    iam = client(bootstrap, "iam", endpoint)
    iam.create_user(UserName=ADMIN_USER)
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="rehearsal-admin-all",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    admin = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
        "endpoint_url": endpoint,
        "region": REGION,
    }
    write_private(os.path.join(state_dir, "s3-admin.json"), json.dumps(admin, indent=2) + "\n")
    log(f"admin user {ADMIN_USER} created; s3-admin.json written")

    # From here on every request is signed with the admin key and checked.
    session = make_session(admin["aws_access_key_id"], admin["aws_secret_access_key"], setup_token)
    iam = client(session, "iam", endpoint)
    s3 = client(session, "s3", endpoint)

    # 2. One bucket and one read-write user per label.
    buckets = {}
    env_lines = []
    for label in labels:
        bucket = BUCKET_PREFIX + str(uuid.uuid4())
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        user = f"rehearsal-{label.lower().replace('_', '-')}"
        iam.create_user(UserName=user, Path="/rehearsal/")
        iam.put_user_policy(UserName=user, PolicyName="s3-bucket-read-write",
                            PolicyDocument=bucket_policy(bucket))
        label_key = iam.create_access_key(UserName=user)["AccessKey"]
        buckets[label] = bucket
        env_lines += [f"{label}_KEY_ID={label_key['AccessKeyId']}",
                      f"{label}_SECRET_KEY={label_key['SecretAccessKey']}",
                      f"{label}_BUCKET={bucket}"]
        log(f"bucket for {label} created with its own read-write user")
    write_private(os.path.join(state_dir, "s3-values.env"),
                  "".join(line + "\n" for line in env_lines))
    write_private(os.path.join(state_dir, "s3-buckets.json"), json.dumps(buckets, indent=2) + "\n")
    log(f"s3-values.env and s3-buckets.json written ({len(labels)} bucket(s))")

    # 3. Fixtures.
    if fixtures_path:
        fixtures = read_fixtures(fixtures_path)
        for item in fixtures:
            if item["bucket"] not in buckets:
                raise SetupError(
                    f"fixture {item['key']!r} names bucket label {item['bucket']!r}, "
                    f"which is not among the --bucket labels ({', '.join(labels) or 'none'})")
        for item in fixtures:
            try:
                with open(item["source"], "rb") as handle:
                    body = handle.read()
            except OSError as error:
                raise SetupError(f"fixture source {item['source']!r}: {error.strerror}") from None
            s3.put_object(Bucket=buckets[item["bucket"]], Key=item["key"], Body=body)
        log(f"{len(fixtures)} fixture object(s) seeded")
    else:
        log("no fixtures to seed")


# --------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Local S3 + IAM stand-in for a runbook rehearsal.")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--bucket", action="append", default=[], metavar="LABEL",
                        help="create a bucket and a read-write key for LABEL (repeatable)")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    for label in args.bucket:
        if not LABEL_RE.match(label):
            parser.error(f"--bucket {label!r}: a label is letters, digits and underscores")
    if len(set(args.bucket)) != len(args.bucket):
        parser.error("--bucket labels must be distinct")
    return args


def on_signal(_signum, _frame):
    STOP.set()


def main(argv):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    args = parse_args(argv)
    fixtures_path = os.environ.get("RB_REHEARSAL_FIXTURES", "")
    try:
        state_dir = private_state_dir()
    except ValueError as error:
        log(f"error: {error}")
        return 1

    setup_token = secrets.token_hex(16)
    app = RehearsalMiddleware(DomainDispatcherApplication(create_backend_app), setup_token)
    # Bind the socket ourselves: werkzeug reports a busy port with its own
    # multi-line message and exits, where a one-line error is wanted.
    try:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, args.port))
        listener.listen(128)
    except OSError as error:
        log(f"error: cannot listen on {HOST}:{args.port}: {error.strerror or error}")
        return 1
    with listener:
        server = make_server(HOST, args.port, app, threaded=True,
                             request_handler=QuietRequestHandler, fd=listener.fileno())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="s3-server", daemon=True)
    thread.start()
    log(f"listening on {HOST}:{args.port}")

    status = 0
    try:
        setup(args.port, args.bucket, state_dir, fixtures_path, setup_token)
        app.ready.set()
        log("ready")
        while not STOP.wait(3600):
            pass
        log("stopping")
    except StopRequested:
        log("stop requested during setup; stopping")
    except SetupError as error:
        log(f"error: {error}")
        status = 1
    except Exception as error:  # botocore errors, connection problems, ...
        log(f"error: setup failed: {type(error).__name__}: {error}")
        status = 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
        log("stopped")
    return status


if __name__ == "__main__":
    exit_status = main(sys.argv[1:])
    # The server is closed and every file is written. Skip the interpreter's
    # teardown, which takes a few hundred milliseconds with moto loaded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_status)

#!/usr/bin/env python3
"""Rehearsal handler for the `cf` subcommands that reach an S3 service broker.

What it models
    Cloud Foundry CLI v8 talking to an `aws-s3-bucket` broker (plan `default`)
    of the kind GOV.UK PaaS ran: a service instance is a real bucket, and each
    app binding or service key is an IAM user with an access key and a policy
    on that bucket only (`read-only` or `read-write`, default `read-write`).
    Buckets, users and keys are created on the rehearsal's local S3/IAM server
    (s3_server.py); the Cloud Foundry side (instances, bindings, keys, app
    environment) lives in a JSON state file.

Invocation
    python3 cf_broker.py SUBCOMMAND ARGS...
    with the arguments that were given to `cf`. Modelled subcommands and their
    cf v8 aliases:
        create-service (cs)      SERVICE PLAN NAME [-c PARAMS] [-t TAGS] [-b BROKER] [-w]
        service                  NAME [--guid] [--params]
        bind-service (bs)        APP NAME [-c PARAMS] [--binding-name B] [--strategy S] [-w]
        env (e)                  APP
        set-env (se)             APP VAR VALUE
        create-service-key (csk) NAME KEY [-c PARAMS] [-w]
        service-key              NAME KEY [--guid]
        service-keys (sk)        NAME
        delete-service-key (dsk) NAME KEY [-f] [-w]
    PARAMS is inline JSON or the path of a JSON file (relative to the cwd).
    Any other subcommand: message on stderr, exit 3.

Environment
    RB_REHEARSAL_STATE  the rehearsal's private directory; s3-admin.json there
                        gives the admin key and the server's endpoint.
    CF_ORG, CF_SPACE, CF_USERNAME
                        names used in messages (default rehearsal-org,
                        rehearsal-space, rehearsal-user).
    The step's AWS_* variables are ignored: the admin key is always used.

Files
    $RB_REHEARSAL_STATE/cf-broker.json  broker state, mode 0600, replaced
                                        atomically; holds binding secrets.
    $RB_REHEARSAL_STATE/cf-broker.lock  serialises concurrent calls.

Output
    Shaped like cf v8 (no colour): progress on stdout, then OK. A failure
    prints its message on stderr and FAILED on stdout, and exits 1. Secret
    keys are printed only where cf prints them (env and service-key), and are
    never passed to another process.
"""

import os
import sys

# Settle boto3's view of the environment before it is imported (lazily, by
# the commands that need it): no profiles, config files or metadata lookups.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from private_files import private_state_dir, write_private  # noqa: E402

SERVICE_OFFERING = "aws-s3-bucket"
PLAN = "default"
BROKER_NAME = "s3-broker"
REGION = "eu-west-2"
RESOURCE_PREFIX = "paas-s3-broker-rehearsal-"
PERMISSIONS = ("read-only", "read-write")
INVALID_PARAMS = ("Invalid configuration provided for -c flag. Please provide a valid JSON "
                  "object or path to a file containing a valid JSON object.")
# Names derived from a fixed namespace, so that an app's guid is stable.
GUID_NAMESPACE = uuid.UUID("6f1b1c2e-5a7d-4e39-9c61-0d2b8f4a7e15")

ALIASES = {
    "cs": "create-service",
    "bs": "bind-service",
    "e": "env",
    "se": "set-env",
    "csk": "create-service-key",
    "sk": "service-keys",
    "dsk": "delete-service-key",
}

# Per command: number of positional arguments, flags that take a value, and
# flags that do not (a long flag may also be written --flag=value).
GRAMMAR = {
    "create-service": (3, {"-c", "-t", "-b"}, {"-w", "--wait"}),
    "service": (1, set(), {"--guid", "--params"}),
    "bind-service": (2, {"-c", "--binding-name", "--strategy"}, {"-w", "--wait"}),
    "env": (1, set(), set()),
    "set-env": (3, set(), set()),
    "create-service-key": (2, {"-c"}, {"-w", "--wait"}),
    "service-key": (2, set(), {"--guid", "--json"}),
    "service-keys": (1, set(), set()),
    "delete-service-key": (2, set(), {"-f", "-w", "--wait"}),
}


class Failed(Exception):
    """A cf-level failure: the message goes to stderr, FAILED to stdout."""


# --------------------------------------------------------------------------
# Small helpers


def say(text=""):
    print(text.rstrip())


def who():
    return (os.environ.get("CF_ORG") or "rehearsal-org",
            os.environ.get("CF_SPACE") or "rehearsal-space",
            os.environ.get("CF_USERNAME") or "rehearsal-user")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def pretty(value):
    """JSON as cf prints it: keys sorted, two-space indent, UTF-8 kept."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def key_value_table(rows, width):
    for key, value in rows:
        say(f"{key:<{width}}{value}")


def parse_args(command, args):
    count, value_flags, bool_flags = GRAMMAR[command]
    positional, flags = [], {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if command == "set-env" or arg == "-" or not arg.startswith("-"):
            positional.append(arg)
            continue
        if arg == "--":
            positional.extend(args[index:])
            break
        name, has_inline, inline = arg.partition("=")
        if name in value_flags:
            if has_inline:
                flags[name] = inline
            elif index < len(args):
                flags[name] = args[index]
                index += 1
            else:
                raise Failed(f"Incorrect Usage: expected argument for flag `{name}'")
        elif arg in bool_flags:
            flags[arg] = True
        else:
            raise Failed(f"Incorrect Usage: unknown flag `{arg.lstrip('-')}'")
    if len(positional) != count:
        raise Failed(f"Incorrect Usage: cf {command} takes {count} argument(s), got {len(positional)}")
    return positional, flags


def parse_params(value):
    """cf's -c semantics: an existing file is read, anything else is JSON."""
    if value is None:
        return None
    text = value
    if os.path.exists(value):
        try:
            with open(value, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            raise Failed(INVALID_PARAMS) from None
    try:
        params = json.loads(text)
    except ValueError:
        raise Failed(INVALID_PARAMS) from None
    if not isinstance(params, dict):
        raise Failed(INVALID_PARAMS)
    return params


def binding_params(params):
    """The broker's reading of bind / key parameters: (permissions, external)."""
    if params is None:
        return "read-write", False
    permissions = params.get("permissions", "read-write")
    external = params.get("allow_external_access", False)
    prefix = "bind could not be completed: Service broker error: "
    if not isinstance(permissions, str):
        raise Failed(f"{prefix}permissions must be a string, not {json_type(permissions)}")
    if not isinstance(external, bool):
        raise Failed(f"{prefix}allow_external_access must be true or false, not {json_type(external)}")
    if permissions not in PERMISSIONS:
        raise Failed(f"{prefix}unknown permission name {permissions}")
    return permissions, external


def json_type(value):
    if value is None:
        return "null"
    return {bool: "bool", int: "number", float: "number", str: "string",
            list: "array", dict: "object"}[type(value)]


# --------------------------------------------------------------------------
# State


def state_dir():
    try:
        return private_state_dir()
    except ValueError as error:
        raise Failed(f"rehearsal: {error}") from None


def empty_state():
    return {"version": 1, "instances": {}, "bindings": [], "keys": [], "apps": {}}


@contextlib.contextmanager
def locked_state():
    """Yield the broker state under an exclusive lock; write it back if changed."""
    directory = state_dir()
    path = os.path.join(directory, "cf-broker.json")
    lock_fd = os.open(os.path.join(directory, "cf-broker.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as handle:
                state = json.load(handle)
        except FileNotFoundError:
            state = empty_state()
        except ValueError:
            raise Failed(f"rehearsal: {path} is not valid JSON") from None
        before = json.dumps(state, sort_keys=True)
        yield state
        if json.dumps(state, sort_keys=True) != before:
            write_private(path, json.dumps(state, indent=2, sort_keys=True) + "\n")
    finally:
        os.close(lock_fd)


def instance_of(state, name):
    instance = state["instances"].get(name)
    if instance is None:
        raise Failed(f"Service instance '{name}' not found")
    return instance


def keys_of(state, name):
    return [key for key in state["keys"] if key["instance"] == name]


def find_key(state, name, key_name):
    for key in keys_of(state, name):
        if key["name"] == key_name:
            return key
    return None


def credentials(record, bucket):
    return {
        "aws_access_key_id": record["aws_access_key_id"],
        "aws_region": REGION,
        "aws_secret_access_key": record["aws_secret_access_key"],
        "bucket_name": bucket,
        "deploy_env": "",
    }


# --------------------------------------------------------------------------
# The rehearsal's S3/IAM server, reached with the admin key


class Aws:
    """boto3 clients signed with the admin key from s3-admin.json."""

    def __init__(self):
        path = os.path.join(state_dir(), "s3-admin.json")
        try:
            with open(path, encoding="utf-8") as handle:
                admin = json.load(handle)
        except OSError as error:
            raise Failed(f"rehearsal: cannot read {path}: {error.strerror}") from None
        except ValueError as error:
            raise Failed(f"rehearsal: cannot read {path}: {error}") from None
        if not isinstance(admin, dict) or not all(
                isinstance(admin.get(k), str) for k in ("aws_access_key_id", "aws_secret_access_key",
                                                        "endpoint_url")):
            raise Failed(f"rehearsal: {path} lacks the admin key or the endpoint")
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=admin["aws_access_key_id"],
            aws_secret_access_key=admin["aws_secret_access_key"],
            region_name=admin.get("region", REGION),
        )
        config = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)
        self.s3 = session.client("s3", endpoint_url=admin["endpoint_url"], config=config)
        self.iam = session.client("iam", endpoint_url=admin["endpoint_url"], config=config)

    def create_bucket(self, bucket):
        self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    def create_user_for(self, guid, bucket, permissions):
        """IAM user + inline policy on one bucket + access key; returns the record."""
        user = RESOURCE_PREFIX + guid
        self.iam.create_user(UserName=user, Path="/rehearsal/")
        try:
            self.iam.put_user_policy(UserName=user, PolicyName="s3-bucket-access",
                                     PolicyDocument=json.dumps(bucket_policy(bucket, permissions)))
            key = self.iam.create_access_key(UserName=user)["AccessKey"]
        except Exception:
            with contextlib.suppress(Exception):
                self.delete_user(user)
            raise
        return {"iam_user": user, "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"]}

    def delete_user(self, user):
        """Delete the user's access keys, inline policies, then the user."""
        for key in self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            self.iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        for policy in self.iam.list_user_policies(UserName=user)["PolicyNames"]:
            self.iam.delete_user_policy(UserName=user, PolicyName=policy)
        self.iam.delete_user(UserName=user)


def bucket_policy(bucket, permissions):
    object_actions = ["s3:GetObject"]
    if permissions == "read-write":
        object_actions += ["s3:PutObject", "s3:DeleteObject"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
             "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow", "Action": object_actions,
             "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    }


def aws_call(what, function, *args):
    """Run an AWS operation; report failures as one cf-style line."""
    try:
        return function(*args)
    except Failed:
        raise
    except Exception as error:
        raise Failed(f"rehearsal: {what} failed on the local S3/IAM server: "
                     f"{type(error).__name__}: {error}") from None


# --------------------------------------------------------------------------
# Commands


def create_service(args):
    (offering, plan, name), flags = parse_args("create-service", args)
    name = name.strip()
    params = parse_params(flags.get("-c"))  # cf checks flags before anything else
    org, space, user = who()
    say(f"Creating service instance {name} in org {org} / space {space} as {user}...")
    if offering != SERVICE_OFFERING:
        raise Failed(f"Service offering '{offering}' not found.")
    if plan != PLAN:
        raise Failed(f"The plan {plan} could not be found for service offering {offering}.")
    with locked_state() as state:
        if name in state["instances"]:
            # cf v8 prints OK first, then the note, and succeeds.
            say("OK")
            say()
            say(f"Service instance {name} already exists")
            return 0
        guid = str(uuid.uuid4())
        bucket = RESOURCE_PREFIX + guid
        aws = aws_call("connecting", Aws)
        aws_call("CreateBucket", aws.create_bucket, bucket)
        tags = [t.strip() for t in flags.get("-t", "").split(",") if t.strip()]
        state["instances"][name] = {"guid": guid, "bucket": bucket, "offering": offering,
                                    "plan": plan, "parameters": params, "tags": tags,
                                    "created_at": now()}
    say()
    say(f"Service instance {name} created.")
    say("OK")
    return 0


def service(args):
    (name,), flags = parse_args("service", args)
    org, space, user = who()
    with locked_state() as state:
        instance = instance_of(state, name)
    if flags.get("--guid"):
        say(instance["guid"])
        return 0
    if flags.get("--params"):
        say(json.dumps(instance.get("parameters") or {}, sort_keys=True))
        return 0
    say(f"Showing info of service {name} in org {org} / space {space} as {user}...")
    say()
    key_value_table([
        ("name:", name),
        ("guid:", instance["guid"]),
        ("type:", "managed"),
        ("broker:", BROKER_NAME),
        ("service:", instance["offering"]),
        ("offering:", instance["offering"]),
        ("plan:", instance["plan"]),
        ("tags:", ", ".join(instance.get("tags") or [])),
        ("offering tags:", "s3"),
        ("description:", "A private S3 bucket (rehearsal stand-in)"),
        ("documentation:", ""),
        ("dashboard url:", ""),
    ], 18)
    say()
    say(f"Showing status of last operation from service instance {name}...")
    say()
    key_value_table([
        ("status:", "create succeeded"),
        ("message:", ""),
        ("started:", instance["created_at"]),
        ("updated:", instance["created_at"]),
    ], 11)
    say()
    if instance.get("parameters"):
        say(f"Showing parameters for service instance {name}...")
        say()
        say(json.dumps(instance["parameters"], sort_keys=True, separators=(",", ":")))
    else:
        say(f"No parameters are set for service instance {name}.")
    say()
    say("Sharing:")
    say()
    say("This service instance is not currently being shared.")
    say()
    say("Upgrading:")
    say("Upgrades are not supported by this broker.")
    say()
    return 0


def bind_service(args):
    (app, name), flags = parse_args("bind-service", args)
    params = parse_params(flags.get("-c"))
    org, space, user = who()
    say(f"Binding service instance {name} to app {app} in org {org} / space {space} as {user}...")
    with locked_state() as state:
        instance = instance_of(state, name)
        if any(b["app"] == app and b["instance"] == name for b in state["bindings"]):
            say(f"App {app} is already bound to service instance {name}.")
            say("OK")
            return 0
        permissions, _external = binding_params(params)
        guid = str(uuid.uuid4())
        aws = aws_call("connecting", Aws)
        record = aws_call("creating the binding's IAM user", aws.create_user_for,
                          guid, instance["bucket"], permissions)
        record.update({"guid": guid, "app": app, "instance": name,
                       "binding_name": flags.get("--binding-name"),
                       "permissions": permissions, "created_at": now()})
        state["bindings"].append(record)
    say("OK")
    say()
    say(f"TIP: Use 'cf restage {app}' to ensure your env variable changes take effect")
    return 0


def vcap_services(state, app):
    entries = []
    for binding in state["bindings"]:
        if binding["app"] != app:
            continue
        instance = state["instances"].get(binding["instance"])
        if instance is None:
            continue
        entries.append({
            "binding_guid": binding["guid"],
            "binding_name": binding.get("binding_name"),
            "credentials": credentials(binding, instance["bucket"]),
            "instance_guid": instance["guid"],
            "instance_name": binding["instance"],
            "label": SERVICE_OFFERING,
            "name": binding.get("binding_name") or binding["instance"],
            "plan": instance["plan"],
            "provider": None,
            "syslog_drain_url": None,
            "tags": ["s3"],
            "volume_mounts": [],
        })
    return {SERVICE_OFFERING: entries} if entries else {}


def vcap_application(app):
    org, space, _ = who()
    return {
        "application_id": str(uuid.uuid5(GUID_NAMESPACE, "app/" + app)),
        "application_name": app,
        "application_uris": [],
        "cf_api": "https://api.rehearsal.invalid",
        "limits": {"fds": 16384},
        "name": app,
        "organization_id": str(uuid.uuid5(GUID_NAMESPACE, "org/" + org)),
        "organization_name": org,
        "space_id": str(uuid.uuid5(GUID_NAMESPACE, "space/" + space)),
        "space_name": space,
        "uris": [],
        "users": None,
    }


def env(args):
    (app,), _flags = parse_args("env", args)
    org, space, user = who()
    with locked_state() as state:
        services = vcap_services(state, app)
        user_env = dict(state["apps"].get(app, {}).get("env", {}))
    say(f"Getting env variables for app {app} in org {org} / space {space} as {user}...")
    say("System-Provided:")
    say(f"VCAP_SERVICES: {pretty(services)}")
    say()
    say(f"VCAP_APPLICATION: {pretty(vcap_application(app))}")
    say()
    if user_env:
        say("User-Provided:")
        for key in sorted(user_env):  # cf sorts them by name
            say(f"{key}: {user_env[key]}")
    else:
        say("No user-provided env variables have been set")
    say()
    say("No running env variables have been set")
    say()
    say("No staging env variables have been set")
    say()
    return 0


def set_env(args):
    (app, var, value), _flags = parse_args("set-env", args)
    org, space, user = who()
    # The value is stored but never printed: it is often a secret.
    say(f"Setting env variable {var} for app {app} in org {org} / space {space} as {user}...")
    with locked_state() as state:
        state["apps"].setdefault(app, {}).setdefault("env", {})[var] = value
    say("OK")
    say(f"TIP: Use 'cf restage {app}' to ensure your env variable changes take effect.")
    return 0


def create_service_key(args):
    (name, key_name), flags = parse_args("create-service-key", args)
    params = parse_params(flags.get("-c"))
    _, _, user = who()
    say(f"Creating service key {key_name} for service instance {name} as {user}...")
    with locked_state() as state:
        instance = instance_of(state, name)
        if find_key(state, name, key_name) is not None:
            say()
            say(f"Service key {key_name} already exists")
            say("OK")
            return 0
        permissions, external = binding_params(params)
        guid = str(uuid.uuid4())
        aws = aws_call("connecting", Aws)
        record = aws_call("creating the key's IAM user", aws.create_user_for,
                          guid, instance["bucket"], permissions)
        record.update({"guid": guid, "name": key_name, "instance": name,
                       "permissions": permissions, "allow_external_access": external,
                       "created_at": now()})
        state["keys"].append(record)
    say("OK")
    return 0


def service_key(args):
    (name, key_name), flags = parse_args("service-key", args)
    _, _, user = who()
    if not flags.get("--guid"):
        say(f"Getting key {key_name} for service instance {name} as {user}...")
    with locked_state() as state:
        instance = instance_of(state, name)
        key = find_key(state, name, key_name)
    if key is None:
        raise Failed(f"No service key {key_name} found for service instance {name}")
    if flags.get("--guid"):
        say(key["guid"])
        return 0
    details = {"credentials": credentials(key, instance["bucket"])}
    if not flags.get("--json"):
        say()
    say(pretty(details))
    return 0


def service_keys(args):
    (name,), _flags = parse_args("service-keys", args)
    _, _, user = who()
    say(f"Getting keys for service instance {name} as {user}...")
    say()
    with locked_state() as state:
        instance_of(state, name)
        names = [key["name"] for key in keys_of(state, name)]
    if not names:
        say(f"No service keys for service instance {name}")
        return 0
    table = [("name", "last operation", "message")] + [(n, "create succeeded", "") for n in names]
    widths = [max(len(row[col]) for row in table) + 3 for col in range(2)]
    for row in table:
        say(f"{row[0]:<{widths[0]}}{row[1]:<{widths[1]}}{row[2]}")
    return 0


def delete_service_key(args):
    (name, key_name), flags = parse_args("delete-service-key", args)
    _, _, user = who()
    if not flags.get("-f"):
        # cf asks for confirmation on stdin. In a rehearsal stdin is
        # /dev/null, so the answer is end-of-input: nothing is deleted. Real
        # cf would report the EOF; the rehearsal treats it as "no".
        say(f"Really delete the service key {key_name}?> ")
        say("Delete cancelled")
        return 0
    say(f"Deleting key {key_name} for service instance {name} as {user}...")
    with locked_state() as state:
        instance_of(state, name)
        key = find_key(state, name, key_name)
        if key is None:
            say()
            say(f"Service key {key_name} does not exist for service instance {name}.")
            say("OK")
            return 0
        aws = aws_call("connecting", Aws)
        aws_call("deleting the key's IAM user", aws.delete_user, key["iam_user"])
        state["keys"].remove(key)
    say("OK")
    return 0


COMMANDS = {
    "create-service": create_service,
    "service": service,
    "bind-service": bind_service,
    "env": env,
    "set-env": set_env,
    "create-service-key": create_service_key,
    "service-key": service_key,
    "service-keys": service_keys,
    "delete-service-key": delete_service_key,
}


def main(argv):
    if not argv:
        print("rehearsal: cf_broker.py needs a cf subcommand", file=sys.stderr)
        return 3
    command = ALIASES.get(argv[0], argv[0])
    handler = COMMANDS.get(command)
    if handler is None:
        print(f"rehearsal: cf {argv[0]} is not modelled by cf_broker.py", file=sys.stderr)
        return 3
    try:
        return handler(argv[1:])
    except BrokenPipeError:
        # The reader went away (e.g. `cf env APP | head`); stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Failed as failure:
        sys.stdout.flush()
        print(str(failure), file=sys.stderr, flush=True)
        print("FAILED", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

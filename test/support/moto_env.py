"""Imported first by the moto runners (moto_switch_actions.py, moto_preflight.py): an AWS environment
of moto's own, and one botocore model loader for the whole process.

moto needs credentials and a region; nothing from the machine's own AWS configuration may apply, and
nothing may reach the network. Every botocore session in the process (moto makes several, each loading
EC2's large model again) shares one loader, which parses each model file once: speed only, the models
are botocore's own.
"""

import functools
import os

for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
    os.environ.pop(name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    AWS_EC2_METADATA_DISABLED="true",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    # Nothing here looks at AMIs; moto would otherwise build thousands in every region it touches.
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
)

import botocore.loaders  # noqa: E402
import botocore.session  # noqa: E402

botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


def forbid_network(answered_by="moto"):
    """Makes any request that moto (or a stub) leaves unanswered fail instead of reaching the network:
    moto answers in botocore's before-send event, and whatever it does not answer would go out here."""
    import botocore.httpsession

    def _no_network(self, request, *args, **kwargs):
        raise RuntimeError(f"no answer from {answered_by} for {request.method} {request.url}")

    botocore.httpsession.URLLib3Session.send = _no_network

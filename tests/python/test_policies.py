"""Identity-based policies in the credentials file, as boto3 meets them: the issue's four examples."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMaker-ci"
ADMIN = ("AKIAPOLICYADMIN01", "policy-admin-secret")


def key(access_key, user, statements):
    """A [[credentials]] table of the account with one inline policy."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return f"""
[[credentials]]
access_key_id = "{access_key}"
secret_access_key = "{access_key}-secret"
account_id = "{ACCOUNT}"
user = "{user}"
policy = '''{policy}'''
"""


CREDENTIALS = f"""
[[credentials]]
access_key_id = "{ADMIN[0]}"
secret_access_key = "{ADMIN[1]}"
account_id = "{ACCOUNT}"
admin = true
""" + "".join(
    [
        key("READER", "dashboards", [
            {"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
        ]),
        key("TEAM", "ci", [
            {"Effect": "Allow", "Action": "sagemaker:CreateImage", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "${aws:username}"}}},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE},
        ]),
        key("NOPROD", "ops", [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:*:*:image/prod-*"},
        ]),
        key("NOPASS", "builder", [
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
        ]),
    ]
)


@pytest.fixture
def endpoint(start_server, tmp_path):
    path = tmp_path / "credentials.toml"
    path.write_text(CREDENTIALS)
    return start_server("--credentials", str(path))


def client(endpoint, access_key):
    return make_client(endpoint, key=(access_key, f"{access_key}-secret"))


def refusal(user, action, resource, explicit=False):
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: {action} on resource: {resource} {why}"


def image_arn(name):
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:image/{name}"


def assert_denied(call, message):
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["Error"]["Message"] == message
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_read_only_key_is_refused_create_image(endpoint):
    reader = client(endpoint, "READER")
    assert reader.list_images()["Images"] == []
    assert_denied(
        lambda: reader.create_image(ImageName="base", RoleArn=ROLE),
        refusal("dashboards", "sagemaker:CreateImage", image_arn("base")),
    )
    assert make_client(endpoint, key=ADMIN).list_images()["Images"] == []


def test_a_key_may_create_an_image_only_with_its_own_team_tag(endpoint):
    team = client(endpoint, "TEAM")
    team.create_image(ImageName="mine", RoleArn=ROLE, Tags=[{"Key": "team", "Value": "ci"}])
    for tags in ([{"Key": "team", "Value": "other"}], []):
        assert_denied(
            lambda: team.create_image(ImageName="theirs", RoleArn=ROLE, Tags=tags),
            refusal("ci", "sagemaker:CreateImage", image_arn("theirs")),
        )
    names = [i["ImageName"] for i in make_client(endpoint, key=ADMIN).list_images()["Images"]]
    assert names == ["mine"]


def test_a_deny_on_prod_images_beats_an_allow_on_everything(endpoint):
    ops = client(endpoint, "NOPROD")
    ops.create_image(ImageName="staging-base", RoleArn=ROLE)
    assert_denied(
        lambda: ops.create_image(ImageName="prod-base", RoleArn=ROLE),
        refusal("ops", "sagemaker:CreateImage", image_arn("prod-base"), explicit=True),
    )
    make_client(endpoint, key=ADMIN).create_image(ImageName="prod-base", RoleArn=ROLE)
    assert_denied(
        lambda: ops.delete_image(ImageName="prod-base"),
        refusal("ops", "sagemaker:DeleteImage", image_arn("prod-base"), explicit=True),
    )
    assert ops.describe_image(ImageName="staging-base")["ImageStatus"] == "CREATED"


def test_create_image_naming_a_role_the_key_may_not_pass_is_refused(endpoint):
    builder = client(endpoint, "NOPASS")
    assert_denied(
        lambda: builder.create_image(ImageName="base", RoleArn=ROLE),
        refusal("builder", "iam:PassRole", ROLE),
    )
    team = client(endpoint, "TEAM")
    team.create_image(ImageName="base", RoleArn=ROLE, Tags=[{"Key": "team", "Value": "ci"}])
